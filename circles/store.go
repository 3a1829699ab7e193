package circles

import (
	"context"
	"time"
)

// Store keeps circlebot's state. The data package implements it on SQLite.
// Every method is one transaction: it either does all of its work or none.
// Methods that take a guildID scope their lookups to that guild, so an ID
// from one server can never reach a circle of another. Errors are *Error
// (ENotFound, EConflict, …) or internal.
type Store interface {
	GuildStore
	CircleStore
	MembershipStore
	SessionStore
	PrivacyStore
	LocaleStore
	CardStore
	ReachStore
	RoundStore
}

// LocaleStore keeps languages as bare Discord locale codes: a circle's
// (for its session channels) and the one a person's client last sent in a
// server (for DMs). Nothing else about a person's language is kept.
type LocaleStore interface {
	// CircleLocale returns a circle's language, "" when none was set.
	CircleLocale(ctx context.Context, circleID int64) (string, error)
	// SetCircleLocale sets a circle's language; "" removes it.
	SetCircleLocale(ctx context.Context, circleID int64, locale string) error
	// UserLocale returns the locale userID last used in guildID, "" if none.
	UserLocale(ctx context.Context, guildID, userID string) (string, error)
	// SeeUserLocale records the locale userID's client sent in guildID,
	// only if they are someone the bot may DM there (a membership that is
	// not left, or a facilitator place); it reports whether it wrote.
	SeeUserLocale(ctx context.Context, guildID, userID, locale string) (bool, error)
}

// GuildStore keeps per-server settings and the bot's presence.
type GuildStore interface {
	// GuildSettings returns a guild's settings; ENotFound if the bot has
	// never seen the guild.
	GuildSettings(ctx context.Context, guildID string) (GuildSettings, error)
	// SaveGuildSettings stores what /setup sets (facilitator role,
	// category, crisis text, retention, reminder lead) and marks the guild
	// configured. The guild row is created if missing.
	SaveGuildSettings(ctx context.Context, g GuildSettings) error
	// GuildSeen records that the bot is in a guild (GUILD_CREATE). It
	// clears a pending removal. isNew is true the first time, so the owner
	// can be welcomed once. Defaults fill retention and reminder lead.
	GuildSeen(ctx context.Context, guildID, ownerID string, defaults GuildSettings, at time.Time) (isNew bool, err error)
	// GuildRemoved records that the bot was removed (GUILD_DELETE without
	// unavailable); its data is purged after a grace period.
	GuildRemoved(ctx context.Context, guildID string, at time.Time) error
	// GuildIDs lists the guilds the bot is in as far as the store knows
	// (not marked removed), so READY can reveal removals made while the
	// bot was offline.
	GuildIDs(ctx context.Context) ([]string, error)
	// GuildsRemovedBefore lists guilds removed before t, due for purging.
	GuildsRemovedBefore(ctx context.Context, t time.Time) ([]string, error)
	// PurgeGuild deletes everything stored about a guild.
	PurgeGuild(ctx context.Context, guildID string) error
}

// CircleFilter narrows Circles.
type CircleFilter struct {
	IncludeArchived bool
	NamePrefix      string // case-insensitive; for autocomplete
	FacilitatedBy   string // only circles this user facilitates
	Limit           int    // 0 = no limit
}

// CircleStore keeps circles.
type CircleStore interface {
	// CreateCircle validates and stores c, setting its ID. EConflict when
	// the guild already has a circle of that name (case-insensitive).
	CreateCircle(ctx context.Context, c *Circle) error
	// Circle returns one circle of a guild.
	Circle(ctx context.Context, guildID string, id int64) (Circle, error)
	// CircleByName finds a circle by name (case-insensitive) in a guild.
	CircleByName(ctx context.Context, guildID, name string) (Circle, error)
	// Circles lists a guild's circles by name.
	Circles(ctx context.Context, guildID string, f CircleFilter) ([]Circle, error)
	// CirclePage is what a listing of the guild's circles shows, as of
	// now: the first f.Limit circles Circles would list, how many it would
	// list in all, and the state of each circle shown (as CircleStates
	// gives it). It is one statement however many circles there are: the
	// whole of /circles' reading.
	CirclePage(ctx context.Context, guildID string, f CircleFilter, now time.Time) (CirclePage, error)
	// UpdateCircle loads the circle, applies fn, validates and saves, in one
	// transaction. fn returning an error aborts with that error and nothing
	// changes. Guideline changes go through Circle.SetGuidelines inside fn,
	// which bumps the version. Sessions are left alone when the schedule
	// changes: the scheduler reconciles them (Scheduler.ScheduleChanged).
	// Seats the change frees (more capacity, more listener seats) go to
	// the waitlist at once, in the same transaction; promoted lists them.
	UpdateCircle(ctx context.Context, guildID string, id int64, fn func(*Circle) error) (c Circle, promoted []Membership, err error)
	// AllCircleIDs returns the IDs of every non-archived circle in every
	// guild that has not removed the bot; used at start-up to plan sessions.
	AllCircleIDs(ctx context.Context) ([]int64, error)
	// CircleByID returns a circle without guild scoping, for the scheduler
	// (never for IDs that came from a client).
	CircleByID(ctx context.Context, id int64) (Circle, error)
	// CircleStates returns, by circle ID, the state of each circle of the
	// guild named in ids as of now: its seats, its open and planned
	// sessions and its skipped sessions from now on. It is one statement
	// however many circles it is asked about, for /mycircles and /join
	// (CirclePage reads them for /circles). A circle
	// with nothing to report (no seats taken, no sessions), another
	// guild's circle and an ID of none have no entry: the zero
	// CircleState, which is what the map gives for them.
	CircleStates(ctx context.Context, guildID string, ids []int64, now time.Time) (map[int64]CircleState, error)
}

// CirclePage is one page of a listing of circles (CirclePage).
type CirclePage struct {
	// Circles are the page's circles, in order, as listings see them:
	// complete but for what no listing shows, their guidelines' text and
	// their prompts (Guidelines.Text and Prompts are empty; the version
	// is there), and CreatedAt and CreatedBy. Load a circle with Circle
	// for those.
	Circles []Circle
	// Total is how many circles the listing has, on this page and after.
	Total int
	// States are the states of the page's circles by ID; a circle with
	// nothing to report has none, the zero CircleState (CircleStates).
	States map[int64]CircleState
}

// CircleState is what people choosing or following a circle see of it
// beside the circle itself, as of a moment (CircleStates).
type CircleState struct {
	Seats    SeatCounts // active members and listeners
	Waitlist int        // waitlisted, in either mode
	// Sessions are the circle's open and planned sessions, whenever they
	// start, by start time then ID: the one on now, the next ones, and
	// any that began without being opened yet (which hold back the next
	// occurrence until they end: schedule.BusyUntil).
	Sessions []SessionBrief
	// Skipped are the starts of the circle's skipped sessions from the
	// moment on, in order.
	Skipped []time.Time
}

// Open is the circle's open session (the earliest, should there be more
// than one), or nil.
func (s CircleState) Open() *SessionBrief {
	for i := range s.Sessions {
		if s.Sessions[i].State == SessionOpen {
			return &s.Sessions[i]
		}
	}
	return nil
}

// Next is the circle's first stored session that is open or planned, or
// nil: the one RSVPs in /mycircles are for.
func (s CircleState) Next() *SessionBrief {
	if len(s.Sessions) == 0 {
		return nil
	}
	return &s.Sessions[0]
}

// RosterEntry is one line of a facilitator's roster.
type RosterEntry struct {
	Membership
	ConsentCurrent bool
	Position       int // waitlist place, 1-based; 0 when not waitlisted
}

// UserCircle is one of a user's circles, for /mycircles.
type UserCircle struct {
	Circle     Circle
	Membership Membership
	Position   int // waitlist place when waitlisted
}

// MembershipStore keeps memberships and the consent ledger.
type MembershipStore interface {
	// Join records consent (given, at req.GuidelinesVersion, in req.Mode)
	// and an active or waitlisted membership, applying DecideJoin inside
	// one immediate transaction, so concurrent joins never overfill a circle
	// and the waitlist keeps join order.
	Join(ctx context.Context, req JoinRequest, at time.Time) (JoinResult, error)
	// Leave withdraws consent, ends the membership and promotes the first
	// waitlisted person of the freed seat's mode.
	Leave(ctx context.Context, guildID string, circleID int64, userID string, at time.Time) (LeaveResult, error)
	// Remove is Leave by a facilitator: the member is marked removed and
	// can't rejoin until LiftRemoval.
	Remove(ctx context.Context, guildID string, circleID int64, userID, by string, at time.Time) (LeaveResult, error)
	// LiftRemoval lets a removed member join again. An archived circle
	// refuses it, as it refuses every change (Circle.Editable).
	LiftRemoval(ctx context.Context, guildID string, circleID int64, userID string, at time.Time) error
	// Reconsent records consent to the circle's current guidelines version
	// for an active or waitlisted member whose consent is stale. EConflict
	// if version is not the current one.
	Reconsent(ctx context.Context, guildID string, circleID int64, userID string, version int, at time.Time) (Membership, error)
	// Membership returns a user's membership in a circle (any status);
	// ENotFound if they never joined.
	Membership(ctx context.Context, guildID string, circleID int64, userID string) (Membership, error)
	// Memberships lists a circle's active and waitlisted memberships.
	Memberships(ctx context.Context, circleID int64) ([]Membership, error)
	// Roster lists a circle's memberships for its facilitators: active
	// first, then the waitlist in order, then removed.
	Roster(ctx context.Context, guildID string, circleID int64) ([]RosterEntry, error)
	// UserCircles lists the circles a user is active or waitlisted in,
	// leaving out archived ones.
	UserCircles(ctx context.Context, guildID, userID string) ([]UserCircle, error)
	// SetReminders turns a member's reminder DMs on or off.
	SetReminders(ctx context.Context, guildID string, circleID int64, userID string, on bool, at time.Time) error
	// LeaveGuild ends all of a user's memberships in a guild (they left the
	// server), withdrawing consent and promoting from waitlists.
	LeaveGuild(ctx context.Context, guildID, userID string, at time.Time) ([]LeaveResult, error)
	// GuildMemberUserIDs lists, sorted and once each, the users whose
	// leaving the server LeaveGuild would act on or a facilitator should
	// hear of: active and waitlisted members of the guild's circles, and
	// facilitators of its circles that are not archived. The bot checks at
	// start-up that they are still in the server.
	GuildMemberUserIDs(ctx context.Context, guildID string) ([]string, error)
	// ConsentLedger returns a user's consent events in a circle, oldest first.
	ConsentLedger(ctx context.Context, circleID int64, userID string) ([]ConsentEvent, error)
}

// SessionFilter narrows Sessions.
type SessionFilter struct {
	GuildID  string
	CircleID int64
	States   []SessionState
	From, To time.Time // Start in [From, To) when set
	Limit    int
}

// SessionStore keeps sessions and RSVPs.
type SessionStore interface {
	// EnsureSession inserts a session unless one exists for the same circle
	// and start; either way it returns the stored row. This is what makes
	// planning and opening idempotent.
	EnsureSession(ctx context.Context, s Session) (Session, bool, error)
	// EnsureSessions is EnsureSession for many sessions in one
	// transaction, all or none; out and created follow the order of in.
	EnsureSessions(ctx context.Context, in []Session) (out []Session, created []bool, err error)
	// DeletePlannedSession removes a session that is planned and has not
	// begun to open (no channel, never opened), with its RSVPs: an
	// occurrence a schedule change dropped. deleted is false, and nothing
	// changes, for any other session.
	DeletePlannedSession(ctx context.Context, id int64) (deleted bool, err error)
	// Session returns a session by ID.
	Session(ctx context.Context, id int64) (Session, error)
	// UpdateSession loads, applies fn and saves in one transaction.
	UpdateSession(ctx context.Context, id int64, fn func(*Session) error) (Session, error)
	// Sessions lists sessions by start time.
	Sessions(ctx context.Context, f SessionFilter) ([]Session, error)
	// DueSessions returns the sessions of guilds in shards (the zero
	// Shards: every guild) whose DueAt is set and not after t, earliest
	// first (an indexed query, not a scan).
	DueSessions(ctx context.Context, t time.Time, limit int, shards Shards) ([]Session, error)
	// NextDue returns the earliest DueAt of any session of a guild in
	// shards, or an earlier time to look again (never a later one); ok is
	// false if nothing is pending there.
	NextDue(ctx context.Context, shards Shards) (t time.Time, ok bool, err error)
	// SessionByChannel finds the session that owns a channel.
	SessionByChannel(ctx context.Context, channelID string) (Session, error)
	// SetRSVP records a member's answer for a session of their circle.
	SetRSVP(ctx context.Context, guildID string, sessionID int64, userID string, status RSVPStatus, at time.Time) (RSVP, error)
	// RSVPs lists the answers for a session.
	RSVPs(ctx context.Context, sessionID int64) ([]RSVP, error)
	// UserRSVPs lists one user's answers for the given sessions (none for
	// a session they haven't answered), in one lookup.
	UserRSVPs(ctx context.Context, userID string, sessionIDs []int64) ([]RSVP, error)
	PlanMarkStore
	EventStore
}

// EventStore finds the circles whose Discord scheduled events may need
// bringing in line with their sessions at a start-up.
type EventStore interface {
	// EventCircles returns, by ID, the circles of guilds the bot is in
	// that mirror their sessions as events (Circle.Events, not archived),
	// and those with a session that holds an event (Session.EventID) or
	// was about to get one (EventRequested): indexed, its cost grows with
	// what it returns.
	EventCircles(ctx context.Context) ([]int64, error)
}

// PlanMark says that a circle's next session is planned: session
// SessionID, starting at Start, planned from the circle as it was at
// generation Gen. The store resets a circle's mark, and moves its Gen on,
// whenever the circle's row changes or that session stops being planned
// (it opens, is skipped, moves, is deleted), so that a start-up only
// plans the circles whose mark is reset or whose next session has begun.
type PlanMark struct {
	CircleID  int64
	Gen       int64
	SessionID int64
	Start     time.Time
	// Fresh, from CirclesToPlan: the circle has no sessions at all, so
	// none can be under way, skipped or taken (a new circle, or the first
	// start of a new database).
	Fresh bool
}

// PlanMarkStore keeps the plan marks, which let a start-up skip the
// circles with nothing to plan.
type PlanMarkStore interface {
	// CirclesToPlan returns the non-archived circles of guilds in shards
	// (the zero Shards: every guild) the bot is in whose mark is reset or
	// whose marked session starts at or before now, each with its current
	// Gen (CircleID, Gen and Fresh set), by ID: an indexed query, whose
	// cost grows with what it returns.
	CirclesToPlan(ctx context.Context, now time.Time, shards Shards) ([]PlanMark, error)
	// PlanGen returns a circle's current Gen; read it before the circle,
	// so that a change in between refuses the mark. ENotFound if the
	// circle is gone.
	PlanGen(ctx context.Context, circleID int64) (int64, error)
	// MarkPlanned stores the marks, in one transaction. A mark whose Gen
	// is no longer the circle's, or whose session is no longer planned
	// (with a DueAt) at Start, is left out: the circle is planned again
	// at the next start.
	MarkPlanned(ctx context.Context, marks []PlanMark) error
}

// UserExport is everything circlebot holds about one user, for /privacy export.
type UserExport struct {
	UserID        string         `json:"user_id"`
	GuildID       string         `json:"guild_id,omitempty"` // empty: all servers
	GeneratedAt   time.Time      `json:"generated_at"`
	Memberships   []Membership   `json:"memberships"`
	Consents      []ConsentEvent `json:"consent_ledger"`
	RSVPs         []RSVP         `json:"rsvps"`
	FacilitatorOf []CircleRef    `json:"facilitator_of"`
	GuildsOwned   []string       `json:"guilds_owned,omitempty"`
	// Locales is the language the user's Discord client last sent in each
	// server (a locale code, for DMs in their language).
	Locales   map[string]string   `json:"locales,omitempty"`
	NotStored []string            `json:"not_stored"`
	Circles   map[int64]CircleRef `json:"circles"` // names of the circles referenced above
}

// CircleRef names a circle in an export.
type CircleRef struct {
	ID      int64  `json:"id"`
	GuildID string `json:"guild_id"`
	Name    string `json:"name"`
}

// NotStored is what circlebot never keeps, stated in every export.
var NotStored = []string{
	"the content of any message you wrote",
	"health information of any kind",
	"your username, nickname or avatar (only your numeric Discord user ID)",
}

// Erasure reports what EraseUser deleted, and what it kept.
type Erasure struct {
	Memberships   int           `json:"memberships"`
	RemovalsKept  int           `json:"removals_kept"` // minimal removal markers kept (see EraseUser)
	ConsentEvents int           `json:"consent_events"`
	RSVPs         int           `json:"rsvps"`
	Facilitations int           `json:"facilitations"`
	Left          []LeaveResult `json:"-"` // memberships ended, with promotions, so the bot can update channels
	FacilitatorOf []CircleRef   `json:"-"` // circles they facilitated, whose channels must close to them too
}

// Sweep reports what SweepEnded deleted, and what it kept.
type Sweep struct {
	Memberships   int // ended memberships deleted
	RemovalsKept  int // removals cut down to their bare marker
	ConsentEvents int // consent events of ended memberships deleted
	RSVPs         int // RSVPs to long-ended sessions deleted
	// Memberships (any status, removals too) of circles archived before
	// the cutoff, deleted with their consent events (counted above).
	ArchivedMemberships int
}

// PrivacyStore answers data-subject requests and keeps data no longer than
// needed.
type PrivacyStore interface {
	// SweepEnded deletes memberships that ended (left or removed) before
	// cutoff, with their consent events, keeping of a removal only its
	// bare marker (as EraseUser does), and RSVPs to sessions that ended
	// before cutoff; and every membership, with its consent events, of a
	// circle archived before cutoff (it can't be joined or meet again).
	// It is idempotent.
	SweepEnded(ctx context.Context, cutoff time.Time) (Sweep, error)
	// ExportUser collects everything held about userID in guildID, or in
	// every guild when guildID is empty.
	ExportUser(ctx context.Context, guildID, userID string, at time.Time) (UserExport, error)
	// EraseUser deletes every row about userID in guildID (all guilds when
	// empty), consent ledger included, removes them from facilitator lists
	// and promotes waitlisted people into freed seats, in one transaction.
	// One thing stays: where a facilitator removed them from a circle, a
	// minimal marker (user ID, circle, when; status removed, nothing else)
	// keeps the removal in force until a facilitator lifts it, so erasing
	// one's data is no way back into a circle one was removed from.
	// EConflict, changing nothing, when they are the only facilitator of a
	// circle that is not archived: the circle must be handed over first.
	EraseUser(ctx context.Context, guildID, userID string, at time.Time) (Erasure, error)
}
