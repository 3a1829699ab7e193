package circles

import (
	"sort"
	"time"
)

// ConsentAction is what a consent event records.
type ConsentAction string

// Consent actions.
const (
	ConsentGiven     ConsentAction = "given"
	ConsentWithdrawn ConsentAction = "withdrawn"
)

// ConsentEvent is one entry of the append-only consent ledger: a user gave
// or withdrew consent to a circle's guidelines version, in a mode, at a time.
// The current state is derived from the ledger, never stored beside it.
type ConsentEvent struct {
	ID                int64         `json:"id"`
	GuildID           string        `json:"guild_id"`
	CircleID          int64         `json:"circle_id"`
	UserID            string        `json:"user_id"`
	GuidelinesVersion int           `json:"guidelines_version"`
	Mode              Mode          `json:"mode"`
	Action            ConsentAction `json:"action"`
	At                time.Time     `json:"at"`
}

// CurrentConsent folds a user's ledger for one circle into their current
// consent: the latest event wins. ok is false when there is none or the
// latest one withdrew consent.
func CurrentConsent(events []ConsentEvent) (ev ConsentEvent, ok bool) {
	if len(events) == 0 {
		return ConsentEvent{}, false
	}
	sorted := append([]ConsentEvent(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if !sorted[i].At.Equal(sorted[j].At) {
			return sorted[i].At.Before(sorted[j].At)
		}
		return sorted[i].ID < sorted[j].ID
	})
	last := sorted[len(sorted)-1]
	return last, last.Action == ConsentGiven
}

// ConsentIsCurrent reports whether the latest consent covers the circle's
// current guidelines. After a guidelines change every earlier consent is
// stale: membership stays, but the next session's channel opens to the
// member only after they consent again (a session under way keeps them in:
// ConsentGrantsAccess).
func ConsentIsCurrent(c Circle, events []ConsentEvent) bool {
	ev, ok := CurrentConsent(events)
	return ok && ev.GuidelinesVersion == c.Guidelines.Version
}
