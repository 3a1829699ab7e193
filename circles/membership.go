package circles

import "time"

// Mode is how someone takes part: speaking member or listener.
type Mode string

// Modes.
const (
	ModeMember   Mode = "member"   // may speak
	ModeListener Mode = "listener" // reads only; the option to just listen at first
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeMember || m == ModeListener }

// MemberStatus is where a membership stands.
type MemberStatus string

// Membership statuses.
const (
	StatusActive     MemberStatus = "active"
	StatusWaitlisted MemberStatus = "waitlisted"
	StatusLeft       MemberStatus = "left"
	StatusRemoved    MemberStatus = "removed" // by a facilitator; rejoining needs the removal lifted
)

// Membership is one user's place in one circle. ConsentVersion is derived
// from the consent ledger (the guidelines version of the latest consent
// still given; 0 when withdrawn or never given).
type Membership struct {
	GuildID        string       `json:"guild_id"`
	CircleID       int64        `json:"circle_id"`
	UserID         string       `json:"user_id"`
	Mode           Mode         `json:"mode"`
	Status         MemberStatus `json:"status"`
	JoinedAt       time.Time    `json:"joined_at"`
	WaitlistedAt   time.Time    `json:"waitlisted_at,omitzero"` // waitlist order
	UpdatedAt      time.Time    `json:"updated_at"`
	Reminders      bool         `json:"reminders"`
	ConsentVersion int          `json:"consent_version"`
	RemovedBy      string       `json:"removed_by,omitempty"`
	// DMUnreachableAt is when a DM to them last failed because they
	// don't take DMs from the bot (zero: none has, since the last one
	// that got through), so facilitators know who missed a reminder.
	DMUnreachableAt time.Time `json:"dm_unreachable_at,omitzero"`
}

// HasCurrentConsent reports whether the member consented to guidelines version v.
func (m Membership) HasCurrentConsent(v int) bool {
	return m.Status == StatusActive && m.ConsentVersion == v && v > 0
}

// SeatCounts are the active memberships of a circle by mode.
type SeatCounts struct {
	Members   int
	Listeners int
}

// JoinRequest is someone asking to join, having read guidelines version
// GuidelinesVersion.
type JoinRequest struct {
	GuildID           string
	CircleID          int64
	UserID            string
	Mode              Mode
	GuidelinesVersion int
	// Locale, when not empty, is the joiner's client locale, recorded as
	// SeeUserLocale does, in the join's own transaction.
	Locale string
}

// JoinResult is what joining did. Position is the 1-based waitlist place
// when Membership.Status is StatusWaitlisted.
type JoinResult struct {
	Membership Membership
	Position   int
	Switched   bool         // an existing membership changed mode
	Promoted   []Membership // waitlisted people who got the seat a switch freed

	// What the join read on its way, so that its caller needn't read it
	// again: the circle, the user's membership before the join (nil for
	// none), and the circle's sessions as CircleState has them (Sessions
	// and Skipped, from the join's time on; a join changes neither; its
	// seat counts are left zero). SessionChannels says whether any of
	// the circle's planned, open or closed sessions has a channel, whose
	// access the join may change.
	Circle          Circle
	Previous        *Membership
	Sessions        CircleState
	SessionChannels bool
}

// DecideJoin applies the joining rules to the current state and returns the
// status the membership should get. prev is the user's existing membership
// in this circle, if any. It changes nothing; the store calls it inside the
// transaction that then writes the result.
func DecideJoin(c Circle, prev *Membership, seats SeatCounts, req JoinRequest) (MemberStatus, error) {
	switch {
	case c.Archived:
		return "", Errorf(EConflict, "%s is archived and no longer takes members.", c.EscapedName())
	case !req.Mode.Valid():
		return "", Errorf(EInvalid, "Choose to join as a member or as a listener.")
	case req.Mode == ModeListener && !c.AcceptsListeners() && !holdsListenerSeat(prev):
		// Someone already listening keeps their seat (and may renew
		// consent in it); nobody new takes one.
		return "", Errorf(EConflict, "%s doesn't have listener seats. You can join as a member, and you are always free to just listen.", c.EscapedName())
	case req.GuidelinesVersion != c.Guidelines.Version:
		return "", Errorf(EConflict, "The guidelines of %s changed while you were reading them. Please run /join again to read the new version.", c.EscapedName())
	}
	if prev != nil {
		switch prev.Status {
		case StatusRemoved:
			return "", Errorf(EForbidden, "A facilitator removed you from %s, so you can't rejoin it yourself. If you think this was a mistake, please talk to a facilitator.", c.EscapedName())
		case StatusWaitlisted:
			if prev.Mode == req.Mode {
				if prev.ConsentVersion == c.Guidelines.Version {
					return "", Errorf(EConflict, "You are already on the waitlist for %s.", c.EscapedName())
				}
				return StatusWaitlisted, nil // renewing consent; the place in line stays
			}
		case StatusActive:
			if prev.Mode == req.Mode {
				if prev.ConsentVersion == c.Guidelines.Version {
					return "", Errorf(EConflict, "You are already in %s as a %s.", c.EscapedName(), req.Mode)
				}
				return StatusActive, nil // renewing consent to new guidelines
			}
			// Switching mode frees the old seat; the new one must be free.
			if req.Mode == ModeMember && seats.Members >= c.Capacity {
				return "", Errorf(EConflict, "All %d speaking seats in %s are taken, so you stay a listener for now. Try again when a seat frees up.", c.Capacity, c.EscapedName())
			}
			if req.Mode == ModeListener && seats.Listeners >= c.ListenerSeats() {
				return "", Errorf(EConflict, "All listener seats in %s are taken, so you keep your speaking seat.", c.EscapedName())
			}
			return StatusActive, nil
		}
	}
	if req.Mode == ModeMember && seats.Members >= c.Capacity {
		return StatusWaitlisted, nil
	}
	if req.Mode == ModeListener && seats.Listeners >= c.ListenerSeats() {
		return StatusWaitlisted, nil
	}
	return StatusActive, nil
}

func holdsListenerSeat(m *Membership) bool {
	return m != nil && m.Status == StatusActive && m.Mode == ModeListener
}

// LeaveResult is what leaving (or being removed, or erased) did.
type LeaveResult struct {
	Left     Membership
	Promoted []Membership // waitlisted members who got the freed seat
}

// DecideLeave checks that m may leave.
func DecideLeave(c Circle, m *Membership) error {
	if m == nil || (m.Status != StatusActive && m.Status != StatusWaitlisted) {
		return Errorf(ENotFound, "You're not in %s (nor on its waitlist), so there's nothing to leave. /mycircles shows the circles you're in.", c.EscapedName())
	}
	return nil
}

// DecideRemove checks that a facilitator may remove target from c.
func DecideRemove(c Circle, target *Membership) error {
	if err := c.Editable(); err != nil {
		return err
	}
	if target == nil || (target.Status != StatusActive && target.Status != StatusWaitlisted) {
		return Errorf(ENotFound, "That person isn't in %s or on its waitlist, so there's nothing to remove. /circle roster shows who is in it.", c.EscapedName())
	}
	return nil
}

// SeatsFreed says how many waitlisted people of each mode can be promoted
// given the seats now taken. Waitlists are served first come, first served.
func SeatsFreed(c Circle, seats SeatCounts) (members, listeners int) {
	if c.Archived {
		return 0, 0
	}
	members = max(c.Capacity-seats.Members, 0)
	if c.AcceptsListeners() {
		listeners = max(c.ListenerSeats()-seats.Listeners, 0)
	}
	return members, listeners
}
