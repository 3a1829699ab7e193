package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "15m" or
// "168h" (time.ParseDuration syntax).
type Duration struct{ time.Duration }

// UnmarshalText parses a duration such as "15m"; the error names the value.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a number with a unit, like \"15m\" or \"168h\"", text)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in time.Duration.String form.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}
