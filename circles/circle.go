package circles

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Circle limits.
const (
	MinCapacity          = 2
	MaxCapacity          = 25
	DefaultCapacity      = 10
	MaxNameLength        = 64
	MaxTopicLength       = 200
	MaxGuidelinesLength  = 4000 // Discord's text-input limit in a modal
	MaxPrompts           = 10
	MaxPromptLength      = 500
	MaxFacilitators      = 10
	MinSessionDuration   = 15 * time.Minute
	MaxSessionDuration   = 8 * time.Hour
	DefaultSessionLength = 60 * time.Minute
)

// ListenerCapAsCapacity, as a circle's ListenerCap, means "as many listener
// seats as speaking seats": a new circle's default. It is stored as it is,
// so the listener seats follow the capacity when that changes; read the
// number through ListenerSeats.
const ListenerCapAsCapacity = -1

// Kind is what sort of circle this is.
type Kind string

// Kinds of circle.
const (
	KindPeer        Kind = "peer"
	KindEducational Kind = "educational"
	KindCondition   Kind = "condition"
	KindDemographic Kind = "demographic"
	KindOther       Kind = "other"
)

// Kinds lists every kind in display order.
var Kinds = []Kind{KindPeer, KindEducational, KindCondition, KindDemographic, KindOther}

// Describe returns a short human description of the kind.
func (k Kind) Describe() string {
	switch k {
	case KindPeer:
		return "Peer support: people with a shared experience"
	case KindEducational:
		return "Educational: learning together, with a guide"
	case KindCondition:
		return "Condition-focused: living with the same condition"
	case KindDemographic:
		return "Demographic: people of a shared background or life stage"
	case KindOther:
		return "Other"
	}
	return string(k)
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Guidelines are a circle's ground rules. Version increases by one on every
// change, and consent is given to a version.
type Guidelines struct {
	Text    string `json:"text"`
	Version int    `json:"version"`
}

// DefaultGuidelines are a new circle's guidelines until a facilitator writes their own.
const DefaultGuidelines = "1. What is shared here stays here. Do not copy, screenshot or repeat what others say.\n" +
	"2. Listen without judging. Speak from your own experience (\"I\" statements) and don't give advice unless someone asks for it.\n" +
	"3. Share only what you are comfortable sharing. You may just listen.\n" +
	"4. Give everyone room to speak; the facilitator may gently keep time.\n" +
	"5. This circle is peer support, not therapy or medical care. If you are in crisis, use /helpnow or call your local emergency number.\n" +
	"6. Be kind. The facilitators may remove anyone who makes the circle unsafe."

// Circle is a recurring support group in one server.
type Circle struct {
	ID               int64      `json:"id"`
	GuildID          string     `json:"guild_id"`
	Name             string     `json:"name"`
	Kind             Kind       `json:"kind"`
	Topic            string     `json:"topic"`
	Capacity         int        `json:"capacity"`     // speaking seats
	ListenerCap      int        `json:"listener_cap"` // listening seats; counts separately; see ListenerSeats
	ListenersAllowed bool       `json:"listeners_allowed"`
	Facilitators     []string   `json:"facilitators"` // user IDs
	Guidelines       Guidelines `json:"guidelines"`
	Prompts          []string   `json:"prompts"`
	Schedule         Rule       `json:"schedule"`
	// FacilitatorGate: when no facilitator has RSVP'd going by the start,
	// the session opens with a notice and facilitators are alerted, or is
	// postponed when PostponeWithoutFacilitator is set.
	FacilitatorGate            bool `json:"facilitator_gate"`
	PostponeWithoutFacilitator bool `json:"postpone_without_facilitator"`
	Archived                   bool `json:"archived"`
	// Events mirrors each upcoming session as a Discord scheduled event
	// (opt-in: people who click Interested are visible to the server).
	Events    bool      `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// NewCircle returns a circle with the defaults filled in. Callers set the
// fields they have and then call Validate. Listener seats follow Capacity
// unless ListenerCap is set.
func NewCircle(guildID, name string, kind Kind, rule Rule, createdBy string, at time.Time) Circle {
	return Circle{
		GuildID:          guildID,
		Name:             NormalizeName(name),
		Kind:             kind,
		Capacity:         DefaultCapacity,
		ListenerCap:      ListenerCapAsCapacity,
		ListenersAllowed: true,
		Facilitators:     []string{createdBy},
		Guidelines:       Guidelines{Text: DefaultGuidelines, Version: 1},
		Schedule:         rule,
		FacilitatorGate:  true,
		CreatedAt:        at,
		CreatedBy:        createdBy,
	}
}

// ListenerSeats is how many listener seats the circle has: ListenerCap, or
// Capacity while ListenerCap is ListenerCapAsCapacity.
func (c Circle) ListenerSeats() int {
	if c.ListenerCap == ListenerCapAsCapacity {
		return c.Capacity
	}
	return c.ListenerCap
}

// Editable refuses, with a message for the person asking, any change to an
// archived circle: it stays on record for the server's history, but
// nothing about it changes any more.
func (c Circle) Editable() error {
	if c.Archived {
		return Errorf(EConflict, "%s is archived, so it can't be changed any more; its record stays for the server's history. /circle create starts a new circle.", c.EscapedName())
	}
	return nil
}

// AcceptsListeners reports whether anyone can take a listener seat:
// listeners are allowed and there is at least one listener seat. Wherever
// joining as a listener is offered or decided, this is the test.
func (c Circle) AcceptsListeners() bool { return c.ListenersAllowed && c.ListenerSeats() > 0 }

// IsFacilitator reports whether userID facilitates this circle.
func (c Circle) IsFacilitator(userID string) bool {
	for _, f := range c.Facilitators {
		if f == userID {
			return true
		}
	}
	return false
}

// SetGuidelines replaces the guidelines and bumps the version, which makes
// every earlier consent stale. An unchanged text is not a new version.
func (c *Circle) SetGuidelines(text string) (changed bool, err error) {
	text = strings.TrimSpace(text)
	if err := ValidateGuidelines(text); err != nil {
		return false, err
	}
	if text == c.Guidelines.Text {
		return false, nil
	}
	c.Guidelines = Guidelines{Text: text, Version: c.Guidelines.Version + 1}
	return true, nil
}

// ValidateGuidelines checks guidelines text.
func ValidateGuidelines(text string) error {
	n := utf8.RuneCountInString(text)
	switch {
	case strings.TrimSpace(text) == "":
		return Errorf(EInvalid, "Guidelines can't be empty: members consent to them before they join.")
	case n > MaxGuidelinesLength:
		return Errorf(EInvalid, "Guidelines can be at most %d characters; yours have %d. Please shorten them by %d.", MaxGuidelinesLength, n, n-MaxGuidelinesLength)
	}
	if err := checkFormatting("Guidelines", text); err != nil {
		return err
	}
	return containsNoMentions("Guidelines", text)
}

// ParsePrompts splits a block of text into prompts, one per non-empty line.
func ParsePrompts(block string) ([]string, error) {
	var out []string
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		out = append(out, line)
	}
	return out, ValidatePrompts(out)
}

// ValidatePrompts checks a list of prompts.
func ValidatePrompts(prompts []string) error {
	if len(prompts) > MaxPrompts {
		return Errorf(EInvalid, "A circle can have at most %d prompts; you gave %d.", MaxPrompts, len(prompts))
	}
	for i, p := range prompts {
		if n := utf8.RuneCountInString(p); n > MaxPromptLength {
			return Errorf(EInvalid, "Prompt %d is %d characters long; the limit is %d.", i+1, n, MaxPromptLength)
		}
		if err := containsNoMentions("Prompts", p); err != nil {
			return err
		}
		if err := checkFormatting("Prompts", p); err != nil {
			return err
		}
	}
	return nil
}

// SameName reports whether two circle names collide (case-insensitive).
func SameName(a, b string) bool {
	return strings.EqualFold(NormalizeName(a), NormalizeName(b))
}

var mentionRe = regexp.MustCompile(`@(everyone|here)|<@[!&]?\d+>|<#\d+>`)

func containsNoMentions(what, s string) error {
	if mentionRe.MatchString(s) {
		return Errorf(EInvalid, "%s can't contain mentions (@everyone, @here, <@user>, <@&role>, <#channel>). Please write names out instead.", what)
	}
	return nil
}

// IDRefPrefix starts a reference to a circle by its ID ("id:12"): the value
// a circle autocomplete choice carries. No name may start with it, so a
// circle picked from the list and a name typed by hand can never be
// confused (a circle named "12" is not circle 12).
const IDRefPrefix = "id:"

// ValidateName checks a circle name (as NormalizeName leaves it). Every
// refusal says what to change.
func ValidateName(name string) error {
	if err := checkTyped("Circle names", name); err != nil {
		return err
	}
	name = NormalizeName(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return Errorf(EInvalid, "Please give the circle a name of 1 to %d characters, for example \"Grief circle\".", MaxNameLength)
	case n > MaxNameLength:
		return Errorf(EInvalid, "Circle names can be at most %d characters; \"%s\" has %d. Please shorten it by %d.", MaxNameLength, EscapeMarkdown(name), n, n-MaxNameLength)
	case len(name) >= len(IDRefPrefix) && strings.EqualFold(name[:len(IDRefPrefix)], IDRefPrefix):
		return Errorf(EInvalid, "Circle names can't start with %q: circlebot uses that to tell circles picked from a list apart from typed names. Please choose another name.", IDRefPrefix)
	case !hasLetterOrDigit(name):
		return Errorf(EInvalid, "A circle name needs at least one letter or digit, so that people can tell circles apart, for example \"Grief circle\".")
	}
	return containsNoMentions("Circle names", name)
}

// Validate checks every field of a circle.
func (c Circle) Validate() error {
	if c.GuildID == "" {
		return Errorf(EInvalid, "Circles live in a server; this command only works inside one.")
	}
	if err := ValidateName(c.Name); err != nil {
		return err
	}
	if !c.Kind.Valid() {
		return Errorf(EInvalid, "Kind must be one of peer, educational, condition, demographic or other (got %q).", c.Kind)
	}
	if n := utf8.RuneCountInString(c.Topic); n > MaxTopicLength {
		return Errorf(EInvalid, "The topic can be at most %d characters; it has %d.", MaxTopicLength, n)
	}
	if err := containsNoMentions("The topic", c.Topic); err != nil {
		return err
	}
	if strings.Contains(strings.ToLower(c.Topic), markerWord) {
		return Errorf(EInvalid, "The topic can't contain %q: circlebot writes that into session channels to recognise them.", markerWord)
	}
	if c.Capacity < MinCapacity || c.Capacity > MaxCapacity {
		return Errorf(EInvalid, "Capacity must be between %d and %d people (support groups work best with 6–12); got %d.", MinCapacity, MaxCapacity, c.Capacity)
	}
	if c.ListenerCap != ListenerCapAsCapacity && (c.ListenerCap < 0 || c.ListenerCap > MaxCapacity) {
		return Errorf(EInvalid, "Listener seats must be between 0 and %d; got %d.", MaxCapacity, c.ListenerCap)
	}
	if len(c.Facilitators) == 0 {
		return Errorf(EInvalid, "A circle needs at least one facilitator.")
	}
	if len(c.Facilitators) > MaxFacilitators {
		return Errorf(EInvalid, "A circle can have at most %d facilitators.", MaxFacilitators)
	}
	if c.Guidelines.Version < 1 {
		return Errorf(EInvalid, "Guidelines version must start at 1.")
	}
	if err := ValidateGuidelines(c.Guidelines.Text); err != nil {
		return err
	}
	if err := ValidatePrompts(c.Prompts); err != nil {
		return err
	}
	return c.Schedule.Validate()
}

// Location returns the circle's time zone (UTC if it can't be loaded, which
// Validate prevents).
func (c Circle) Location() *time.Location { return c.Schedule.Location() }
