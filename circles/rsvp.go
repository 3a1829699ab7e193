package circles

import "time"

// RSVPStatus is a member's answer for one session.
type RSVPStatus string

// RSVP answers.
const (
	RSVPGoing RSVPStatus = "going"
	RSVPSkip  RSVPStatus = "skip"
)

// Valid reports whether s is a known answer.
func (s RSVPStatus) Valid() bool { return s == RSVPGoing || s == RSVPSkip }

// RSVP is a member's answer for one session.
type RSVP struct {
	GuildID   string     `json:"guild_id"`
	SessionID int64      `json:"session_id"`
	CircleID  int64      `json:"circle_id"`
	UserID    string     `json:"user_id"`
	Status    RSVPStatus `json:"status"`
	At        time.Time  `json:"at"`
}

// FacilitatorPresent reports whether any facilitator of c said they are going.
func FacilitatorPresent(c Circle, rsvps []RSVP) bool {
	for _, r := range rsvps {
		if r.Status == RSVPGoing && c.IsFacilitator(r.UserID) {
			return true
		}
	}
	return false
}
