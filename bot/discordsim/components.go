package discordsim

import (
	"encoding/json"
	"slices"
)

// Component is a message or modal component as sent over the wire. The
// simulator keeps components in this plain form (rather than discordgo's
// interface types) so tests can inspect them directly.
type Component struct {
	Type        int             `json:"type"`
	CustomID    string          `json:"custom_id,omitempty"`
	Label       string          `json:"label,omitempty"`
	Style       int             `json:"style,omitempty"`
	URL         string          `json:"url,omitempty"`
	Disabled    bool            `json:"disabled,omitempty"`
	Emoji       json.RawMessage `json:"emoji,omitempty"`
	Placeholder string          `json:"placeholder,omitempty"`
	MinLength   *int            `json:"min_length,omitempty"`
	MaxLength   *int            `json:"max_length,omitempty"`
	MinValues   *int            `json:"min_values,omitempty"`
	MaxValues   *int            `json:"max_values,omitempty"`
	Required    *bool           `json:"required,omitempty"`
	Value       string          `json:"value,omitempty"`
	Options     []SelectOption  `json:"options,omitempty"`
	Content     string          `json:"content,omitempty"` // text display
	Components  []Component     `json:"components,omitempty"`
}

// SelectOption is one option of a string select menu.
type SelectOption struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	Default     bool   `json:"default,omitempty"`
}

// Component types used by the simulator.
const (
	componentActionRow    = 1
	componentButton       = 2
	componentStringSelect = 3
	componentTextInput    = 4
	buttonStyleLink       = 5
)

// Button is a button as a test sees it.
type Button struct {
	CustomID string
	Label    string
	Style    int
	URL      string
	Disabled bool
}

func buttons(cs []Component) []Button {
	var out []Button
	var walk func([]Component)
	walk = func(cs []Component) {
		for _, c := range cs {
			if c.Type == componentButton {
				out = append(out, Button{CustomID: c.CustomID, Label: c.Label, Style: c.Style, URL: c.URL, Disabled: c.Disabled})
			}
			walk(c.Components)
		}
	}
	walk(cs)
	return out
}

func findComponent(cs []Component, customID string) *Component {
	for i := range cs {
		if cs[i].CustomID == customID && cs[i].Type != componentActionRow {
			return &cs[i]
		}
		if c := findComponent(cs[i].Components, customID); c != nil {
			return c
		}
	}
	return nil
}

func cloneComponents(cs []Component) []Component {
	if cs == nil {
		return nil
	}
	out := slices.Clone(cs)
	for i := range out {
		out[i].Components = cloneComponents(out[i].Components)
		out[i].Options = slices.Clone(out[i].Options)
	}
	return out
}

// Modal is a modal the bot showed in answer to an interaction.
type Modal struct {
	CustomID string
	Title    string
	Inputs   []TextInput

	userID    string
	sourceMsg string // set when the modal answered a component click
}

// TextInput is one text field of a modal.
type TextInput struct {
	CustomID  string
	Label     string
	Style     int
	Required  bool
	MinLength int
	MaxLength int
	Value     string // pre-filled value
}

// Choice is an autocomplete or option choice.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}
