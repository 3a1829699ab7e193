package circles

import (
	"context"
	"slices"
	"time"
)

// Speaking times a round may give each person.
const (
	MinSpeakingTime = time.Minute
	MaxSpeakingTime = 10 * time.Minute
)

// Round is a facilitated go-round in a session: people raise a hand, wait
// in a queue, and get the turn one at a time, when the facilitator moves
// it on. It lives only in memory while the session runs: nothing about
// who spoke or passed is ever stored. Round is not safe for concurrent
// use; its owner locks it.
type Round struct {
	// SpeakingTime is each turn's length; 0 means no timer.
	SpeakingTime time.Duration
	// Speaker has the turn ("" when nobody has it), since SpeakerSince.
	Speaker      string
	SpeakerSince time.Time
	// TimeUp is set once Speaker's time has run out.
	TimeUp bool
	// Queue is the raised hands in the order they were raised.
	Queue []string
	// Passed are those who passed this round (speaking members only:
	// a listener passes silently).
	Passed []string
	// Spoken counts the turns that ended with Next.
	Spoken int
	Ended  bool
}

// NewRound starts a round; speaking is 0 (no timer) or between
// MinSpeakingTime and MaxSpeakingTime.
func NewRound(speaking time.Duration) (*Round, error) {
	if speaking != 0 && (speaking < MinSpeakingTime || speaking > MaxSpeakingTime) {
		return nil, Errorf(EInvalid, "The speaking time must be between %d and %d minutes (or left out for no timer).", int(MinSpeakingTime/time.Minute), int(MaxSpeakingTime/time.Minute))
	}
	return &Round{SpeakingTime: speaking}, nil
}

// Raise puts userID at the end of the queue. Only someone who may speak
// (a speaker or facilitator) takes a turn; raising again changes nothing.
// changed is false when nothing changed.
func (r *Round) Raise(userID string, role Role) (changed bool, err error) {
	if err := r.live(); err != nil {
		return false, err
	}
	if role == RoleListener {
		return false, Errorf(EForbidden, "You're listening in this circle, so you can't take a turn — but you're welcome to pass, and to just be here.")
	}
	if r.Speaker == userID || slices.Contains(r.Queue, userID) {
		return false, nil
	}
	r.Queue = append(r.Queue, userID)
	r.Passed = slices.DeleteFunc(r.Passed, func(u string) bool { return u == userID })
	return true, nil
}

// Lower takes userID's hand down.
func (r *Round) Lower(userID string) (changed bool, err error) {
	if err := r.live(); err != nil {
		return false, err
	}
	n := len(r.Queue)
	r.Queue = slices.DeleteFunc(r.Queue, func(u string) bool { return u == userID })
	return len(r.Queue) != n, nil
}

// Pass lets userID sit this round out: out of the queue, and, for someone
// who may speak, noted as passed. A listener's pass is silent. A speaker
// who passes gives up the turn.
func (r *Round) Pass(userID string, role Role) (changed bool, err error) {
	if err := r.live(); err != nil {
		return false, err
	}
	lowered, _ := r.Lower(userID)
	if role == RoleListener {
		return lowered, nil
	}
	if r.Speaker == userID {
		r.endTurn()
	}
	if !slices.Contains(r.Passed, userID) {
		r.Passed = append(r.Passed, userID)
		return true, nil
	}
	return lowered, nil
}

// Next ends the current turn (counted as spoken) and gives the turn to the
// first raised hand, at now.
func (r *Round) Next(now time.Time) error {
	if err := r.live(); err != nil {
		return err
	}
	if r.Speaker != "" {
		r.Spoken++
	}
	r.endTurn()
	r.advance(now)
	return nil
}

// Skip passes over whoever has the turn — or, when nobody has, the first
// raised hand — without counting a turn, and gives the turn to the next.
func (r *Round) Skip(now time.Time) error {
	if err := r.live(); err != nil {
		return err
	}
	if r.Speaker == "" && len(r.Queue) > 0 {
		r.Queue = r.Queue[1:]
	}
	r.endTurn()
	r.advance(now)
	return nil
}

// End ends the round.
func (r *Round) End() {
	r.endTurn()
	r.Queue = nil
	r.Ended = true
}

// Deadline is when the speaker's time runs out; ok is false without a
// timer or a speaker.
func (r *Round) Deadline() (t time.Time, ok bool) {
	if r.Ended || r.SpeakingTime == 0 || r.Speaker == "" {
		return time.Time{}, false
	}
	return r.SpeakerSince.Add(r.SpeakingTime), true
}

// Tick marks the speaker's time up once now has reached the deadline;
// changed is true the moment it does.
func (r *Round) Tick(now time.Time) (changed bool) {
	d, ok := r.Deadline()
	if !ok || r.TimeUp || now.Before(d) {
		return false
	}
	r.TimeUp = true
	return true
}

func (r *Round) endTurn() {
	r.Speaker, r.SpeakerSince, r.TimeUp = "", time.Time{}, false
}

func (r *Round) advance(now time.Time) {
	if len(r.Queue) == 0 {
		return
	}
	r.Speaker, r.SpeakerSince = r.Queue[0], now
	r.Queue = r.Queue[1:]
}

func (r *Round) live() error {
	if r.Ended {
		return Errorf(EConflict, "This round has ended.")
	}
	return nil
}

// RoundMessage is where a session's running round is: only its message and
// speaking time, never who spoke (the round lives in memory).
type RoundMessage struct {
	SessionID int64
	ChannelID string
	MessageID string
	Minutes   int
}

// RoundStore remembers the running rounds' messages across a restart.
type RoundStore interface {
	// SaveRoundMessage records a session's round message, replacing one
	// recorded before.
	SaveRoundMessage(ctx context.Context, m RoundMessage) error
	// DeleteRoundMessage forgets a session's round message (it ended).
	DeleteRoundMessage(ctx context.Context, sessionID int64) error
	// RoundMessages lists every recorded round message.
	RoundMessages(ctx context.Context) ([]RoundMessage, error)
}
