package config

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one key of a configuration file. Load,
// Parse and Validate return these, joined with errors.Join when there are
// several; use errors.As, or Problems, to inspect them.
type FieldError struct {
	File  string // the file the key came from; "config" when unknown
	Key   string // dotted TOML key, such as "defaults.capacity"
	Value string // the value as TOML would write it; "" when not shown
	Msg   string // what is wrong and how to fix it
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteString(": ")
	b.WriteString(e.Key)
	if e.Value != "" {
		b.WriteString(" = ")
		b.WriteString(e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// KeyError reports a problem with the key of c found after loading (a
// data.path the database can't be created at, say) in the same form as
// Load's errors: "config.toml: data.path = "/x.db": msg".
func (c Config) KeyError(key string, value any, format string, args ...any) *FieldError {
	return &FieldError{File: fileLabel(c.Path), Key: key, Value: formatValue(value), Msg: fmt.Sprintf(format, args...)}
}

// Problems flattens an error returned by this package into its FieldErrors,
// in the order they were found. Errors that are not about a key (an
// unreadable file, a syntax error) are not included.
func Problems(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// fileLabel is how errors name the file.
func fileLabel(path string) string {
	if path == "" {
		return "config"
	}
	return path
}

// formatValue renders a decoded TOML value the way it would be written in the
// file, so an error shows the operator what they wrote.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []any:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = formatValue(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []map[string]any:
		return "[[...]]"
	case map[string]any:
		return "{...}"
	case Duration:
		return fmt.Sprintf("%q", v.Duration.String())
	default:
		return fmt.Sprint(v)
	}
}
