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

// shortDuration writes whole hours or minutes the way a person would type
// them in the file ("24h", not "24h0m0s").
func shortDuration(d time.Duration) string {
	switch {
	case d != 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d != 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
