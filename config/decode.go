package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

// A key is one setting of the file: section.name, and where it lives in
// Config.
type key struct {
	section, name string
	field         []int // reflect index path into Config
}

func (k key) String() string { return k.section + "." + k.name }

// schema lists the file's sections and keys in declaration order. It is
// derived from Config's toml tags so the struct stays the one description of
// the file.
var schema = sync.OnceValues(func() (sections []string, keys []key) {
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		sf := ct.Field(i)
		sec := tomlName(sf)
		if sec == "" {
			continue
		}
		sections = append(sections, sec)
		for j := range sf.Type.NumField() {
			if name := tomlName(sf.Type.Field(j)); name != "" {
				keys = append(keys, key{section: sec, name: name, field: []int{i, j}})
			}
		}
	}
	return sections, keys
})

func tomlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

func lookupKey(section, name string) (key, bool) {
	_, keys := schema()
	for _, k := range keys {
		if k.section == section && k.name == name {
			return k, true
		}
	}
	return key{}, false
}

func isSection(name string) bool {
	sections, _ := schema()
	for _, s := range sections {
		if s == name {
			return true
		}
	}
	return false
}

// decode applies the TOML document data over c. It returns a non-nil error
// only for a document that does not parse; problems with individual keys are
// returned as FieldErrors so all of them can be reported together.
//
// It does not use toml.Decode into Config directly because that stops at the
// first type error and matches keys case-insensitively; instead it walks the
// document's keys (MetaData.Keys, in file order) against the schema: a key
// not in the schema is what MetaData.Undecoded would report.
func decode(c *Config, path string, data []byte) ([]*FieldError, error) {
	file := fileLabel(path)
	var tree map[string]any
	md, err := toml.Decode(string(data), &tree)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d:%d: invalid TOML: %s", file, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return nil, fmt.Errorf("%s: invalid TOML: %w", file, err)
	}

	var problems []*FieldError
	report := func(k toml.Key, value any, format string, args ...any) {
		problems = append(problems, &FieldError{File: file, Key: k.String(), Value: formatValue(value), Msg: fmt.Sprintf(format, args...)})
	}
	seen := make(map[string]bool)
	first := func(k toml.Key) bool {
		if seen[k.String()] {
			return false
		}
		seen[k.String()] = true
		return true
	}
	rv := reflect.ValueOf(c).Elem()
	for _, full := range md.Keys() {
		if n := tokenPart(full); n > 0 {
			// Never echo the value: it may be the token.
			if k := full[:n]; first(k) {
				report(k, nil, "the bot token does not belong in the config file (files get committed and shared); delete this line and set the %s environment variable instead", TokenEnv)
			}
			continue
		}
		// Judge each key once, at the level the schema has (section, then
		// section.name): anything deeper belongs to a key that is unknown or
		// should not be a table, and is reported with it.
		if !isSection(full[0]) {
			if first(full[:1]) {
				report(full[:1], nil, "%s", unknownKeyMsg(full[:1]))
			}
			continue
		}
		section, ok := tree[full[0]].(map[string]any)
		if !ok {
			if first(full[:1]) {
				report(full[:1], tree[full[0]], "must be a table; write it as a [%s] section", full[0])
			}
			continue
		}
		if len(full) == 1 || !first(full[:2]) {
			continue
		}
		k := full[:2]
		sk, ok := lookupKey(k[0], k[1])
		if !ok {
			report(k, nil, "%s", unknownKeyMsg(k))
			continue
		}
		if msg := set(rv.FieldByIndex(sk.field), section[k[1]]); msg != "" {
			report(k, section[k[1]], "%s", msg)
		}
	}
	return problems, nil
}

// tokenPart returns how many parts of k lead to the first part that looks
// like it holds a token (token, bot_token, discord.token …), or 0.
func tokenPart(k toml.Key) int {
	for i, part := range k {
		if strings.Contains(strings.ToLower(part), "token") {
			return i + 1
		}
	}
	return 0
}

// unknownKeyMsg explains an unknown key, suggesting the one that was
// probably meant: a wrong-case or misspelt name of a key of the same
// section, or the same key in the section it belongs in. Otherwise it
// lists the keys that are allowed where it stands.
func unknownKeyMsg(k toml.Key) string {
	sections, keys := schema()
	if len(k) == 1 {
		for _, s := range sections {
			if strings.EqualFold(s, k[0]) {
				return fmt.Sprintf("unknown section; keys are lower case: did you mean [%s]?", s)
			}
		}
		if s := closest(k[0], sections); s != "" {
			return fmt.Sprintf("unknown section; did you mean [%s]?", s)
		}
		if sk, ok := keyNamed(keys, k[0], ""); ok {
			return fmt.Sprintf("not a setting on its own; did you mean %s (%s = … under [%s])?", sk, sk.name, sk.section)
		}
		return "not a circlebot setting; the file has the sections " + listSections(sections) + " (see config.example.toml)"
	}
	var names []string
	for _, sk := range keys {
		if sk.section != k[0] {
			continue
		}
		if strings.EqualFold(sk.name, k[1]) {
			return fmt.Sprintf("unknown key; keys are lower case: did you mean %s?", sk)
		}
		names = append(names, sk.name)
	}
	if name := closest(k[1], names); name != "" {
		return fmt.Sprintf("unknown key; did you mean %s.%s?", k[0], name)
	}
	if sk, ok := keyNamed(keys, k[1], k[0]); ok {
		return fmt.Sprintf("unknown key in [%s]; did you mean %s (under [%s])?", k[0], sk, sk.section)
	}
	return fmt.Sprintf("unknown key; [%s] takes %s (see config.example.toml)", k[0], strings.Join(names, ", "))
}

// keyNamed finds the key called name (or nearly) in a section other than
// except.
func keyNamed(keys []key, name, except string) (key, bool) {
	var names []string
	var found []key
	for _, sk := range keys {
		if sk.section != except {
			names = append(names, sk.name)
			found = append(found, sk)
		}
	}
	if n := closest(name, names); n != "" {
		for _, sk := range found {
			if sk.name == n {
				return sk, true
			}
		}
	}
	return key{}, false
}

func listSections(sections []string) string {
	parts := make([]string, len(sections))
	for i, s := range sections {
		parts[i] = "[" + s + "]"
	}
	return strings.Join(parts, ", ")
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// tomlSetter is a setting that reads its own TOML value, for a key that
// takes more than one TOML type (discord.shards: "auto" or a number). It
// says what is wrong with a value it can't take, or "".
type tomlSetter interface{ setTOML(v any) string }

// set stores the decoded TOML value v in field, returning what is wrong with
// v, or "" when it fits. The kinds here are the kinds Config uses.
func set(field reflect.Value, v any) string {
	if ts, ok := field.Addr().Interface().(tomlSetter); ok {
		return ts.setTOML(v)
	}
	if field.Addr().Type().Implements(textUnmarshaler) {
		s, ok := v.(string)
		if !ok {
			return `must be a duration in quotes, with a unit, like "15m" or "168h"`
		}
		if err := field.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return `not a duration; write a number with a unit, like "15m" or "168h"`
		}
		return ""
	}
	switch field.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return "must be a string, in quotes"
		}
		field.SetString(s)
	case reflect.Int:
		n, ok := v.(int64)
		if !ok || field.OverflowInt(n) {
			return "must be a whole number"
		}
		field.SetInt(n)
	case reflect.Slice: // []string
		const msg = `must be a list of strings, like ["123", "456"]`
		items, ok := v.([]any)
		if !ok {
			return msg
		}
		out := make([]string, len(items))
		for i, item := range items {
			if out[i], ok = item.(string); !ok {
				return msg
			}
		}
		if len(out) > 0 { // [] means the same as leaving the key out
			field.Set(reflect.ValueOf(out))
		}
	default:
		panic(fmt.Sprintf("config: no decoder for %s", field.Type()))
	}
	return ""
}
