package circles

import (
	"fmt"
	"regexp"
	"time"
	"unicode"
)

// SessionState is where a session is in its life.
type SessionState string

// Session states. planned → open → closed → deleted; planned → skipped or missed.
const (
	SessionPlanned SessionState = "planned"
	SessionOpen    SessionState = "open"
	SessionClosed  SessionState = "closed"
	SessionDeleted SessionState = "deleted"
	SessionSkipped SessionState = "skipped"
	SessionMissed  SessionState = "missed"
)

// WarningLead is how long before the end the bot warns that time is nearly up.
const WarningLead = 5 * time.Minute

// SessionBrief is what listings show of a session: when it runs, its state
// and its channel once it has one (CircleState). Session.Brief makes one.
type SessionBrief struct {
	ID         int64
	Start, End time.Time
	State      SessionState
	ChannelID  string
}

// Brief is the session as listings see it.
func (s Session) Brief() SessionBrief {
	return SessionBrief{ID: s.ID, Start: s.Start, End: s.End, State: s.State, ChannelID: s.ChannelID}
}

// Session is one occurrence of a circle. It is keyed by circle and start
// time, which makes opening idempotent: the same occurrence is the same row.
// The progress fields record which side effects are done, so a restart after
// a crash picks up where it stopped instead of repeating them.
type Session struct {
	ID       int64        `json:"id"`
	GuildID  string       `json:"guild_id"`
	CircleID int64        `json:"circle_id"`
	Start    time.Time    `json:"start"`
	End      time.Time    `json:"end"`
	State    SessionState `json:"state"`
	// Shift explains why Start differs from the rule (a DST gap), or is empty.
	Shift string `json:"shift,omitempty"`

	ChannelID           string `json:"channel_id,omitempty"`
	GuidelinesMessageID string `json:"-"`
	WelcomePosted       bool   `json:"-"`
	PromptsPosted       int    `json:"-"`
	WarningSent         bool   `json:"-"`
	RemindersSent       bool   `json:"-"`
	ShiftNoticeSent     bool   `json:"-"`
	FacilitatorAlerted  bool   `json:"-"`
	// GateMessageID is the facilitator-presence notice posted in the
	// channel when the session opened without a facilitator; "I'm here"
	// edits it.
	GateMessageID string `json:"-"`
	// GuidelinesVersion is the circle's guidelines version when the session
	// opened (0 before): consent to it keeps access for the rest of the
	// session even if the guidelines change meanwhile.
	GuidelinesVersion int `json:"-"`
	// ReconsentAsked: members with stale consent were sent a re-consent DM
	// for this session (so a retried open doesn't send it twice).
	ReconsentAsked bool `json:"-"`
	// AccessDirty: a change of who may see the channel could not be
	// applied (Discord refused); the scheduler re-syncs the channel's
	// access until it succeeds, and clears this.
	AccessDirty bool `json:"-"`
	// GuidelinesPinned: the guidelines message is pinned.
	GuidelinesPinned bool `json:"-"`
	// OpeningPending: the session is open and its people let in, but part
	// of its opening (the pin, the re-consent DMs, the welcome, the
	// facilitator notice) failed; the scheduler retries it alongside the
	// session's steps, never holding them up, and clears this when done.
	OpeningPending bool `json:"-"`
	// ChannelRequested: an open is about to create, or created, the
	// session's channel; only then can a channel of the session exist
	// without ChannelID (the create's answer was lost), to be looked for.
	ChannelRequested bool `json:"-"`
	// EventID is the Discord scheduled event mirroring the session, for a
	// circle with Events; "" when none.
	EventID string `json:"-"`
	// EventRequested: the bot is about to create, or created, the
	// session's event; only then can one exist without EventID (the
	// create's answer was lost), to be looked for before making another.
	EventRequested bool `json:"-"`
	// ChannelLost: someone deleted the session's channel in Discord; the
	// session ended then (State deleted).
	ChannelLost bool      `json:"channel_lost,omitempty"`
	OpenedAt    time.Time `json:"opened_at,omitzero"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	DeleteAt    time.Time `json:"delete_at,omitzero"`
	// DueAt is the next time the scheduler must act on this session; zero
	// when nothing is pending. It is indexed so the next wake is one lookup.
	DueAt time.Time `json:"-"`
}

// Marker is written at the very end of a session channel's topic so the
// channel can be found again after a crash between creating it and storing
// its ID. No circle name or topic may contain it (checkTyped), and only the
// marker that ends a topic counts, so text people type can't make a
// channel pass for another session's.
func (s Session) Marker() string { return fmt.Sprintf("%s%d", markerWord, s.ID) }

// markerRe is the marker as the last thing in a topic, after a separator.
var markerRe = regexp.MustCompile(`(?:^|\s)` + regexp.QuoteMeta(markerWord) + `([1-9]\d{0,18})$`)

// SessionIDFromTopic extracts the session ID from the marker that ends a
// channel topic, or 0.
func SessionIDFromTopic(topic string) int64 {
	m := markerRe.FindStringSubmatch(topic)
	if m == nil {
		return 0
	}
	var id int64
	fmt.Sscan(m[1], &id)
	return id
}

// Active reports whether the session still has work ahead (not finished or cancelled).
func (s Session) Active() bool {
	return s.State == SessionPlanned || s.State == SessionOpen || s.State == SessionClosed
}

// PromptTimes spreads n prompts evenly over a session: the first at the
// start, the rest at equal steps before the end-of-session warning.
func PromptTimes(start, end time.Time, n int) []time.Time {
	if n <= 0 {
		return nil
	}
	usable := end.Sub(start) - WarningLead
	if usable <= 0 {
		usable = end.Sub(start)
	}
	step := usable / time.Duration(n)
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.Add(time.Duration(i) * step)
	}
	return out
}

// WarningTime is when the "5 minutes left" message goes out.
func (s Session) WarningTime() time.Time {
	if s.End.Sub(s.Start) <= 2*WarningLead {
		return time.Time{} // too short to bother
	}
	return s.End.Add(-WarningLead)
}

// ChannelName builds a Discord channel name like "grief-circle-2026-11-25"
// from the circle's name (Slug) and the session date in the circle's zone.
func ChannelName(circleName string, start time.Time, loc *time.Location) string {
	return Slug(circleName) + "-" + start.In(loc).Format("2006-01-02")
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
