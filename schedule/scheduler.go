package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Actions are the side effects of a session's steps, implemented by the bot.
// Each must be idempotent: after a crash mid-way it may be called again for
// a step that already partly or fully happened.
type Actions interface {
	// SendReminders DMs the members who want reminders.
	SendReminders(ctx context.Context, c circles.Circle, s circles.Session) error
	// NotifyShift tells facilitators a coming occurrence moved (DST); the
	// explanation is s.Shift.
	NotifyShift(ctx context.Context, c circles.Circle, s circles.Session) error
	// OpenSession creates the channel, posts the guidelines and lets the
	// people consent admits in, then pins the guidelines and posts the
	// welcome, saving its fine-grained progress in the store as it goes,
	// and returns the session with ChannelID etc. When the people are in
	// but part of what follows failed, it returns a *PartlyOpenError: the
	// session is open, and the rest is retried by FinishOpening.
	OpenSession(ctx context.Context, c circles.Circle, s circles.Session) (circles.Session, error)
	// FinishOpening does what OpenSession left undone after letting
	// people in (s.OpeningPending). The scheduler calls it before any step
	// due, and a failure never holds those steps up.
	FinishOpening(ctx context.Context, c circles.Circle, s circles.Session) error
	// PostPrompt posts c.Prompts[index].
	PostPrompt(ctx context.Context, c circles.Circle, s circles.Session, index int) error
	// WarnEnding says the session ends in circles.WarningLead.
	WarnEnding(ctx context.Context, c circles.Circle, s circles.Session) error
	// CloseSession locks the channel and posts a closing note naming the
	// next session, if any. s.ClosedAt is set, and stored before the call,
	// so that an access change meanwhile keeps the channel locked; the
	// scheduler alone writes it.
	CloseSession(ctx context.Context, c circles.Circle, s circles.Session, next *circles.Session) error
	// DeleteChannel deletes the session's channel (retention is over).
	DeleteChannel(ctx context.Context, c circles.Circle, s circles.Session) error
	// MissedSession tells facilitators a session was missed: its start
	// passed more than the grace window ago without it opening. cause is
	// the last error of an attempt to open it that this process saw, or
	// nil (the bot was down at the time).
	MissedSession(ctx context.Context, c circles.Circle, s circles.Session, cause error) error
	// SyncAccess makes the channel's permission overwrites match current
	// consent, changing only what differs. The scheduler calls it for a
	// session marked AccessDirty (see WakeSoon), before any step due.
	SyncAccess(ctx context.Context, c circles.Circle, s circles.Session) error
	// StepStuck says a step of a session has failed StuckAfter times in a
	// row with err (the last error), so that people who can fix it (a
	// permission taken away, a deleted category) hear of it. It is called
	// once per run of failures; the step is retried regardless, less and
	// less often.
	StepStuck(ctx context.Context, c circles.Circle, s circles.Session, step Step, err error) error
	// SessionMoved tells the people who expect a planned session that a
	// schedule change dropped it: whoever RSVP'd, and everyone reminded of
	// it if old.RemindersSent. next is the circle's next session under the
	// new schedule, nil if it could not be planned. It is called just
	// before the session (and its RSVPs) is deleted, only for a session
	// that was reminded or has RSVPs.
	SessionMoved(ctx context.Context, c circles.Circle, old circles.Session, next *circles.Session) error
	// SessionOverlapped tells the people who expect a planned session that
	// it can't be held: earlier, another session of the circle, still runs
	// when it should start. For a rule ValidateRule accepted only a clock
	// change can do that (the rule was saved before the check, or the
	// zone's rules changed); why says how, in words, like "on Sun 28 Mar
	// 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving
	// time), so the session starting at 01:00 would last until 05:00, past
	// the start of the next one at 04:00". Told are the facilitators,
	// whoever RSVP'd, and everyone reminded of it if s.RemindersSent. The
	// session is marked skipped right after.
	SessionOverlapped(ctx context.Context, c circles.Circle, s, earlier circles.Session, why string) error
	// ForgetSession drops whatever the Actions keep in memory about a
	// session that is finished for good (deleted, skipped, missed,
	// cancelled, dropped) or gone (its guild purged: Scheduler.Forget).
	ForgetSession(id int64)
}

// Options configure a Scheduler. Store and Actions are required.
type Options struct {
	Store   circles.Store
	Actions Actions
	Clock   circles.Clock // default circles.SystemClock
	Logger  *slog.Logger  // default slog.Default()
	// LateOpenGrace is how late a session may still open after its start
	// (after downtime, say); later than that it is marked missed. Default 15m.
	LateOpenGrace time.Duration
	// DefaultSettings supply retention and reminder lead for guilds the
	// store has no settings for.
	DefaultSettings circles.GuildSettings
	// Workers is how many sessions one wake works on in parallel. Default 4.
	Workers int
	// RetryDelay is how long a failed step waits before it is tried again.
	// After StuckAfter failures in a row the wait doubles with each further
	// one, up to MaxRetryDelay. Default 1m.
	RetryDelay time.Duration
	// Shards are the guilds whose sessions this scheduler runs, when the
	// bot's shards are split between processes over one store: each
	// process's scheduler runs the sessions of its own guilds, so that
	// none is worked on by two. The zero value is every guild.
	Shards circles.Shards
	// Observer, if set, is told of steps done and failed and of how late
	// due sessions are taken up (metrics).
	Observer Observer
}

// Observer hears what the scheduler does, for metrics. Its methods are
// called from the scheduler's workers and must return at once.
type Observer interface {
	// StepDone: a step (or work aside) of a session was done and recorded.
	StepDone(step Step)
	// StepFailed: a step failed and will be retried.
	StepFailed(step Step)
	// SessionOpened: a session's channel opened to its members.
	SessionOpened()
	// SessionMissed: a session was marked missed.
	SessionMissed()
	// Lag: a due session was taken up d after its due time.
	Lag(d time.Duration)
}

// noObserver is the Observer of a Scheduler given none.
type noObserver struct{}

func (noObserver) StepDone(Step)     {}
func (noObserver) StepFailed(Step)   {}
func (noObserver) SessionOpened()    {}
func (noObserver) SessionMissed()    {}
func (noObserver) Lag(time.Duration) {}

// Defaults.
const (
	DefaultLateOpenGrace = 15 * time.Minute
	DefaultWorkers       = 4
	DefaultRetryDelay    = time.Minute
	// StuckAfter is how many failures in a row of one step of a session
	// make it stuck: Actions.StepStuck is called and retries back off.
	StuckAfter = 3
	// MaxRetryDelay caps the backed-off wait between retries of a stuck step.
	MaxRetryDelay = time.Hour
)

const (
	batchSize = 256 // due sessions fetched per query
	// maxChain bounds the steps one session takes in one wake (a session
	// found long closed after downtime goes close → delete at once).
	maxChain = 16
	// maxIdle caps how long Run sleeps, so a clock that jumps (a laptop
	// waking, an NTP step) is noticed within a minute.
	maxIdle = time.Minute
	// minWait stops Run from spinning when something is due but cannot be
	// processed yet (another goroutine holds the session).
	minWait = 10 * time.Millisecond
	// removedRecheck is how often sessions of a guild that removed the bot
	// are looked at again (it may be added back before the purge).
	removedRecheck = time.Hour
	// maxReplanWait caps the backed-off wait before circles whose planning
	// failed are planned again (replanLater).
	maxReplanWait = time.Hour
	// maxPlanAhead bounds how many occurrences Plan walks past (skipped
	// ones, ones already held) looking for one to plan.
	maxPlanAhead = 64
)

// Scheduler drives sessions through their steps. The store is the truth:
// every pending step is a session row with DueAt set, so nothing is lost
// when the process stops, and a new Scheduler on the same store carries on.
type Scheduler struct {
	store    circles.Store
	actions  Actions
	clock    circles.Clock
	log      *slog.Logger
	grace    time.Duration
	defaults circles.GuildSettings
	workers  int
	retry    time.Duration
	shards   circles.Shards
	obs      Observer

	mu       sync.Mutex
	inflight map[int64]chan struct{} // sessions a goroutine is working on; closed when done
	kick     chan struct{}
	// Circles whose planning failed, to be tried again at replanAt (see
	// replanLater); guarded by mu.
	unplanned  map[int64]bool
	replanAt   time.Time
	replanWait time.Duration
	// Circles whose PlanFollower failed, to be followed again at followAt
	// (follow.go; made by FollowLater); guarded by mu.
	unfollowed map[int64]bool
	followAt   time.Time
	followWait time.Duration
	// troubles are the sessions whose last step (or, apart, whose last
	// access re-sync) failed, with how often in a row; guarded by mu. Kept
	// in memory only: a restart starts counting again, which at worst
	// repeats one StepStuck. Entries go when a step succeeds and when the
	// session is finished or forgotten.
	troubles map[troubleKey]*trouble
}

// troubleKey tells a session's failed steps from its failed work aside
// (access re-syncs, finishing an opening): that runs alongside the steps (a
// prompt may post while access can't be changed), and each kind counts its
// own run of failures.
type troubleKey struct {
	session int64
	aside   Step // StepSyncAccess or StepFinishOpen; "" for the steps
}

func keyFor(id int64, step Step) troubleKey {
	if isAside(step) {
		return troubleKey{session: id, aside: step}
	}
	return troubleKey{session: id}
}

// trouble is a run of failures of one step of a session.
type trouble struct {
	step  Step
	count int
	err   error // the latest
	told  bool  // StepStuck was called for this run
}

// New returns a Scheduler. It does nothing until Reconcile, RunDue or Run.
func New(o Options) *Scheduler {
	s := &Scheduler{
		store:     o.Store,
		actions:   o.Actions,
		clock:     o.Clock,
		log:       o.Logger,
		grace:     o.LateOpenGrace,
		defaults:  o.DefaultSettings,
		workers:   o.Workers,
		retry:     o.RetryDelay,
		shards:    o.Shards,
		obs:       o.Observer,
		inflight:  map[int64]chan struct{}{},
		kick:      make(chan struct{}, 1),
		unplanned: map[int64]bool{},
		troubles:  map[troubleKey]*trouble{},
	}
	if s.clock == nil {
		s.clock = circles.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.grace <= 0 {
		s.grace = DefaultLateOpenGrace
	}
	if s.workers <= 0 {
		s.workers = DefaultWorkers
	}
	if s.retry <= 0 {
		s.retry = DefaultRetryDelay
	}
	if s.obs == nil {
		s.obs = noObserver{}
	}
	return s
}

// SetShards changes the guilds whose sessions the scheduler runs (see
// Options.Shards): the bot knows them only once Discord has said how many
// shards there are. Call it before Reconcile and Run.
func (s *Scheduler) SetShards(shards circles.Shards) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shards = shards
}

// owned is the guilds the scheduler runs.
func (s *Scheduler) owned() circles.Shards {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shards
}

// Kick wakes Run early, e.g. after a circle was created or edited.
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default: // a wake is already pending
	}
}

// Run processes due sessions until ctx is done, sleeping until the next
// DueAt in between. It never stops on errors: they are logged and retried.
// It returns nil once ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		_, err := s.RunDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := s.untilNext(ctx)
		if err != nil {
			s.log.Error("schedule: wake failed", "error", err)
			wait = max(wait, s.retry)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// untilNext is how long to sleep before the next DueAt. The instant comes
// from the Clock, so a manual clock decides what is due; the sleep itself
// is real.
func (s *Scheduler) untilNext(ctx context.Context) time.Duration {
	next, ok, err := s.store.NextDue(ctx, s.owned())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("schedule: next due", "error", err)
		}
		return s.retry
	}
	s.mu.Lock()
	if len(s.unplanned) > 0 && (!ok || s.replanAt.Before(next)) {
		next, ok = s.replanAt, true
	}
	if at, follow := s.nextFollow(); follow && (!ok || at.Before(next)) {
		next, ok = at, true
	}
	s.mu.Unlock()
	if !ok {
		return maxIdle
	}
	return min(max(next.Sub(s.clock.Now()), minWait), maxIdle)
}

// RunDue works on every session whose DueAt is not after now, up to Workers
// at a time, and returns how many steps it did. A session is never worked
// on by two goroutines at once: one that another call is already working on
// is left to that call. Step failures are logged and retried later; the
// error is for failures of the store itself. Circles whose planning failed
// earlier are planned again first, when their retry is due.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	s.replanFailed(ctx)
	s.followFailed(ctx)
	now := s.clock.Now()
	shards := s.owned()
	seen := map[int64]bool{}
	var done atomic.Int64
	var errs []error
	var errMu sync.Mutex
	for ctx.Err() == nil {
		batch, err := s.store.DueSessions(ctx, now, batchSize, shards)
		if err != nil {
			return int(done.Load()), fmt.Errorf("schedule: due sessions: %w", err)
		}
		var fresh []circles.Session
		due := make(map[int64]time.Time, len(batch))
		for _, d := range batch {
			if !seen[d.ID] {
				seen[d.ID] = true
				fresh = append(fresh, d)
				due[d.ID] = d.DueAt
			}
		}
		todo := acrossGuilds(fresh)
		if len(todo) == 0 {
			break
		}
		ids := make(chan int64)
		var wg sync.WaitGroup
		for range min(s.workers, len(todo)) {
			wg.Go(func() {
				for id := range ids {
					if !s.tryClaim(id) {
						continue
					}
					s.obs.Lag(s.clock.Now().Sub(due[id]))
					n, err := s.process(ctx, id)
					s.release(id)
					done.Add(int64(n))
					if errors.Is(err, errStore) {
						errMu.Lock()
						errs = append(errs, err)
						errMu.Unlock()
					}
				}
			})
		}
	feed:
		for _, id := range todo {
			select {
			case ids <- id:
			case <-ctx.Done():
				break feed
			}
		}
		close(ids)
		wg.Wait()
		if len(batch) < batchSize {
			break
		}
	}
	return int(done.Load()), errors.Join(errs...)
}

// acrossGuilds orders due sessions round-robin by guild, keeping each
// guild's own order: when many are due at once (a whole server's circles
// meeting at 19:00), the workers then open sessions of different guilds
// side by side, instead of queueing at one guild's rate limits (Discord
// buckets channel creation per guild).
func acrossGuilds(due []circles.Session) []int64 {
	var order []string
	byGuild := map[string][]int64{}
	for _, d := range due {
		if _, ok := byGuild[d.GuildID]; !ok {
			order = append(order, d.GuildID)
		}
		byGuild[d.GuildID] = append(byGuild[d.GuildID], d.ID)
	}
	out := make([]int64, 0, len(due))
	for len(out) < len(due) {
		for _, g := range order {
			if ids := byGuild[g]; len(ids) > 0 {
				out = append(out, ids[0])
				byGuild[g] = ids[1:]
			}
		}
	}
	return out
}

// tryClaim marks a session as being worked on, unless it already is.
func (s *Scheduler) tryClaim(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.inflight[id]; busy {
		return false
	}
	s.inflight[id] = make(chan struct{})
	return true
}

// claim waits until the session is free and marks it, for the commands
// (open, close, skip) that must act on one particular session.
func (s *Scheduler) claim(ctx context.Context, id int64) error {
	for {
		s.mu.Lock()
		ch, busy := s.inflight[id]
		if !busy {
			s.inflight[id] = make(chan struct{})
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Scheduler) release(id int64) {
	s.mu.Lock()
	ch := s.inflight[id]
	delete(s.inflight, id)
	s.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// errStore marks failures to read or write the store, as opposed to a step
// whose side effect failed (which is retried quietly).
var errStore = errors.New("store")

// stepError is a failed side effect, returned to the commands that asked
// for the step (OpenNow, CloseNow) after it was logged and its retry set.
type stepError struct {
	step Step
	err  error
}

func (e *stepError) Error() string { return fmt.Sprintf("schedule: %s: %v", e.step, e.err) }
func (e *stepError) Unwrap() error { return e.err }

// process does every step of one session that is due now, one after
// another, and stores the next DueAt. The caller holds the session's claim.
func (s *Scheduler) process(ctx context.Context, id int64) (steps int, err error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		if circles.ErrorCode(err) == circles.ENotFound {
			s.Forget(id) // deleted since the due query (guild purged)
			return 0, nil
		}
		return 0, fmt.Errorf("%w: session %d: %w", errStore, id, err)
	}
	c, err := s.store.CircleByID(ctx, sess.CircleID)
	if err != nil {
		if circles.ErrorCode(err) == circles.ENotFound {
			// The circle went without its sessions; nothing can be done
			// for this one, so stop waking for it.
			s.log.Warn("schedule: session without circle", "guild", sess.GuildID, "circle", sess.CircleID, "session", sess.ID)
			_, err = s.setDue(ctx, sess, time.Time{})
			return 0, err
		}
		return 0, s.failed(ctx, c, sess, StepNone, fmt.Errorf("%w: circle: %w", errStore, err))
	}
	g, err := s.settings(ctx, sess.GuildID)
	if err != nil {
		return 0, s.failed(ctx, c, sess, StepNone, fmt.Errorf("%w: guild settings: %w", errStore, err))
	}
	if !g.RemovedAt.IsZero() {
		// The bot was removed from the guild: its channels are out of
		// reach and its data is purged after a grace period. Check back
		// now and then in case the bot is added again meanwhile.
		_, err := s.setDue(ctx, sess, s.clock.Now().Add(removedRecheck))
		return 0, err
	}
	// Work aside that failed is retried at asideAt, but never holds up a
	// step: the session's next wake is whichever comes first.
	var asideAt, at time.Time
	if sess.AccessDirty {
		if sess, at, err = s.aside(ctx, c, g, sess, StepSyncAccess); err != nil {
			return 0, err
		}
		asideAt = earliest(asideAt, at)
	}
	if sess.OpeningPending {
		if sess, at, err = s.aside(ctx, c, g, sess, StepFinishOpen); err != nil {
			return 0, err
		}
		asideAt = earliest(asideAt, at)
	}
	for range maxChain {
		now := s.clock.Now()
		step, at := NextAction(c, g, sess, now, s.grace)
		if beforeOpen(sess, step) {
			// Whenever a session that has yet to open is looked at — as
			// soon as it is planned, and again before its reminders and
			// its open — it is checked against the sessions before it.
			if _, overlapped, err := s.overlappedBy(ctx, c, sess, now); err != nil {
				return steps, s.failed(ctx, c, sess, step, fmt.Errorf("%w: sessions before %d: %w", errStore, sess.ID, err))
			} else if overlapped {
				step, at = StepOverlap, now
			}
		}
		if step == StepNone || at.After(now) {
			_, err := s.setDue(ctx, sess, earliest(at, asideAt))
			return steps, err
		}
		next, err := s.do(ctx, c, g, sess, step)
		var partly *PartlyOpenError
		if errors.As(err, &partly) {
			// Open, and its people let in; the rest of the opening is
			// retried aside (OpeningPending), like a failed re-sync.
			wait := s.noteFailure(ctx, c, next, StepFinishOpen, partly.Err)
			asideAt = earliest(asideAt, s.clock.Now().Add(wait))
			err = nil
		}
		if err != nil {
			return steps, s.failed(ctx, c, sess, step, err)
		}
		steps++
		sess = next
	}
	return steps, nil
}

// isAside reports whether step is work the scheduler does alongside a
// session's steps rather than one of them.
func isAside(step Step) bool { return step == StepSyncAccess || step == StepFinishOpen }

// aside does the work of a session marked for it — re-applying its access
// (AccessDirty) or finishing its opening (OpeningPending) — and clears the
// mark on success. A failure is counted like a step's (StepStuck after
// StuckAfter in a row) and returns when to try again; the mark stays until
// the work succeeds. Only a store failure is returned.
func (s *Scheduler) aside(ctx context.Context, c circles.Circle, g circles.GuildSettings, sess circles.Session, step Step) (circles.Session, time.Time, error) {
	if step != StepSyncAccess || hasChannel(sess) {
		if _, err := s.do(ctx, c, g, sess, step); err != nil {
			wait := s.noteFailure(ctx, c, sess, step, err)
			return sess, s.clock.Now().Add(wait), nil
		}
	}
	out, err := s.store.UpdateSession(ctx, sess.ID, func(cur *circles.Session) error {
		switch step {
		case StepSyncAccess:
			cur.AccessDirty = false
		case StepFinishOpen:
			cur.OpeningPending = false
		}
		return nil
	})
	if err != nil {
		return sess, time.Time{}, fmt.Errorf("%w: clear the %s mark of session %d: %w", errStore, step, sess.ID, err)
	}
	return out, time.Time{}, nil
}

// earliest is the earlier of two times, the zero time counting as none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// setDue stores a new DueAt when it changed.
func (s *Scheduler) setDue(ctx context.Context, sess circles.Session, at time.Time) (circles.Session, error) {
	at = dueAt(at)
	if sess.DueAt.Equal(at) {
		return sess, nil
	}
	out, err := s.store.UpdateSession(ctx, sess.ID, func(cur *circles.Session) error {
		cur.DueAt = at
		return nil
	})
	if err != nil {
		return sess, fmt.Errorf("%w: set due of session %d: %w", errStore, sess.ID, err)
	}
	return out, nil
}

// failed logs a failed step and sets its retry (noteFailure) — but no
// later than the session must move on regardless (mustMoveOn): a retry
// backed off for an hour must not keep a channel open past its end. It
// returns the error for callers that want it (commands); RunDue only
// counts store failures.
func (s *Scheduler) failed(ctx context.Context, c circles.Circle, sess circles.Session, step Step, err error) error {
	wait := s.noteFailure(ctx, c, sess, step, err)
	now := s.clock.Now()
	at := now.Add(wait)
	if by := mustMoveOn(sess, s.grace); by.After(now) && by.Before(at) {
		at = by
	}
	if _, uerr := s.setDue(ctx, sess, at); uerr != nil {
		s.log.Error("schedule: could not set retry", "guild", sess.GuildID, "circle", sess.CircleID, "session", sess.ID, "step", string(step), "error", uerr)
		return errors.Join(err, uerr)
	}
	if errors.Is(err, errStore) {
		return err
	}
	return &stepError{step: step, err: err}
}

// noteFailure counts and logs a failure of step and returns how long to
// wait before trying it again: RetryDelay, or once the step is stuck
// (StuckAfter failures in a row) twice the last wait, up to MaxRetryDelay.
// The first time it is stuck, Actions.StepStuck says so.
func (s *Scheduler) noteFailure(ctx context.Context, c circles.Circle, sess circles.Session, step Step, err error) time.Duration {
	n, escalate := s.noteTrouble(sess.ID, step, err)
	wait := retryWait(s.retry, n)
	s.obs.StepFailed(step)
	s.log.Error("schedule: step failed", "guild", sess.GuildID, "circle", sess.CircleID, "session", sess.ID, "step", string(step), "error", err, "failures", n, "retry_in", wait)
	if escalate && step != StepNone && !errors.Is(err, errStore) {
		s.stuck(ctx, c, sess, step, err)
	}
	return wait
}

// mustMoveOn is when a session moves on whatever became of a step that
// failed: a channel (open, or opening) closes at the session's end; a
// planned session without one opens at its start, or is marked missed
// once the grace window is over (the first whole second after it, as
// DueAt counts whole seconds). The zero time for one that is over.
func mustMoveOn(sess circles.Session, grace time.Duration) time.Time {
	switch {
	case sess.State == circles.SessionOpen, sess.State == circles.SessionPlanned && (sess.ChannelID != "" || !sess.OpenedAt.IsZero()):
		return sess.End
	case sess.State == circles.SessionPlanned:
		return sess.Start.Add(grace + time.Second)
	}
	return time.Time{}
}

// retryWait is how long to wait after the n-th failure in a row.
func retryWait(base time.Duration, n int) time.Duration {
	wait := base
	for i := StuckAfter; i < n && wait < MaxRetryDelay; i++ {
		wait *= 2
	}
	return min(wait, MaxRetryDelay)
}

// noteTrouble counts a failure of step for a session and returns how many
// in a row there have been, and whether StepStuck is now due.
func (s *Scheduler) noteTrouble(id int64, step Step, err error) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := keyFor(id, step)
	t := s.troubles[k]
	if t == nil || t.step != step {
		t = &trouble{step: step}
		s.troubles[k] = t
	}
	t.count++
	t.err = err
	escalate := t.count >= StuckAfter && !t.told
	t.told = t.told || escalate
	return t.count, escalate
}

// clearTrouble forgets a session's failures of steps like step (its
// access re-syncs, or its other steps), after one succeeded.
func (s *Scheduler) clearTrouble(id int64, step Step) {
	s.mu.Lock()
	delete(s.troubles, keyFor(id, step))
	s.mu.Unlock()
}

// Forget drops what the scheduler keeps in memory about sessions that are
// gone for good, and has the Actions do the same (Actions.ForgetSession).
// The bot calls it for a guild's sessions before purging them; sessions
// that end in the scheduler's hands (deleted, skipped, missed, cancelled,
// dropped by a schedule change) are forgotten without being asked.
func (s *Scheduler) Forget(ids ...int64) {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.troubles, troubleKey{session: id})
		delete(s.troubles, troubleKey{session: id, aside: StepSyncAccess})
		delete(s.troubles, troubleKey{session: id, aside: StepFinishOpen})
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.actions.ForgetSession(id)
	}
}

// lastError is the latest error of step for a session in the current run
// of failures, or nil.
func (s *Scheduler) lastError(id int64, step Step) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.troubles[keyFor(id, step)]; t != nil && t.step == step {
		return t.err
	}
	return nil
}

// stuck calls Actions.StepStuck, logging what it returns or panics with:
// telling people is a courtesy and must not stop the retry.
func (s *Scheduler) stuck(ctx context.Context, c circles.Circle, sess circles.Session, step Step, err error) {
	log := s.log.With("guild", sess.GuildID, "circle", sess.CircleID, "session", sess.ID, "step", string(step))
	defer func() {
		if p := recover(); p != nil {
			log.Error("schedule: telling about a stuck step panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	log.Warn("schedule: step is stuck; telling the facilitators", "failures", StuckAfter, "error", err)
	if serr := s.actions.StepStuck(ctx, c, sess, step, err); serr != nil {
		log.Error("schedule: telling about a stuck step", "error", serr)
	}
}

// settings returns the guild's settings, or the defaults for a guild the
// store does not know.
func (s *Scheduler) settings(ctx context.Context, guildID string) (circles.GuildSettings, error) {
	g, err := s.store.GuildSettings(ctx, guildID)
	if circles.ErrorCode(err) == circles.ENotFound {
		g = s.defaults
		g.GuildID = guildID
		return g, nil
	}
	return g, err
}

// ErrPostponed is what Actions.OpenSession returns (wrapped or not) when it
// decided not to open the session — the facilitator-presence gate postponed
// it and people were told. The scheduler records the session as skipped and
// plans the next one; it is not a failure and is not retried.
var ErrPostponed = errors.New("schedule: session postponed")

// PartlyOpenError is what Actions.OpenSession returns when the session is
// open and the people consent admits are in, but a later part of its
// opening failed with Err (a refused pin, the welcome). The scheduler
// records the session as open, marks it OpeningPending and has
// Actions.FinishOpening retry the rest alongside the session's steps —
// never holding up its prompts, warning or close.
type PartlyOpenError struct{ Err error }

func (e *PartlyOpenError) Error() string { return "opened, but not finished: " + e.Err.Error() }
func (e *PartlyOpenError) Unwrap() error { return e.Err }

// errMoved is returned when a session's state changed between deciding on a
// step and recording it, which only another process could cause.
var errMoved = errors.New("session changed state meanwhile")

// do performs one step and records it: the side effect first, then the
// progress, so a crash in between repeats the (idempotent) side effect
// rather than losing it. It returns the updated session with its next DueAt.
func (s *Scheduler) do(ctx context.Context, c circles.Circle, g circles.GuildSettings, sess circles.Session, step Step) (out circles.Session, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("schedule: step panicked", "guild", sess.GuildID, "circle", sess.CircleID, "session", sess.ID, "step", string(step), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	var record func(cur *circles.Session, now time.Time)
	var after func(now time.Time)
	var pending *PartlyOpenError // StepOpen: open, but some of the opening is left
	switch step {
	case StepShiftNotice:
		err = s.actions.NotifyShift(ctx, c, sess)
		record = func(cur *circles.Session, _ time.Time) { cur.ShiftNoticeSent = true }
	case StepRemind:
		err = s.actions.SendReminders(ctx, c, sess)
		record = func(cur *circles.Session, _ time.Time) { cur.RemindersSent = true }
	case StepOpen:
		if sess.ChannelID == "" && sess.OpenedAt.IsZero() {
			s.makeRoom(ctx, c, g)
		}
		var opened circles.Session
		opened, err = s.actions.OpenSession(ctx, c, sess)
		var partly *PartlyOpenError
		if errors.As(err, &partly) {
			pending, err = partly, nil
		}
		if errors.Is(err, ErrPostponed) {
			err = nil
			record = func(cur *circles.Session, _ time.Time) { cur.State = circles.SessionSkipped }
			after = func(time.Time) { s.planNext(ctx, c, g) }
			break
		}
		record = func(cur *circles.Session, now time.Time) {
			cur.State = circles.SessionOpen
			if cur.OpenedAt.IsZero() {
				cur.OpenedAt = now
			}
			// The bot saved its own progress on the row already; take what
			// it returned only where the row has nothing.
			if cur.ChannelID == "" {
				cur.ChannelID = opened.ChannelID
			}
			if cur.GuidelinesMessageID == "" {
				cur.GuidelinesMessageID = opened.GuidelinesMessageID
			}
			if cur.GuidelinesVersion == 0 {
				cur.GuidelinesVersion = opened.GuidelinesVersion
			}
			cur.WelcomePosted = cur.WelcomePosted || opened.WelcomePosted
			cur.GuidelinesPinned = cur.GuidelinesPinned || opened.GuidelinesPinned
			cur.FacilitatorAlerted = cur.FacilitatorAlerted || opened.FacilitatorAlerted
			cur.PromptsPosted = max(cur.PromptsPosted, opened.PromptsPosted)
			cur.OpeningPending = pending != nil
		}
		after = func(time.Time) { s.planNext(ctx, c, g) }
	case StepMissed:
		err = s.actions.MissedSession(ctx, c, sess, s.lastError(sess.ID, StepOpen))
		record = func(cur *circles.Session, _ time.Time) { cur.State = circles.SessionMissed }
		after = func(time.Time) { s.planNext(ctx, c, g) }
	case StepCancel:
		record = func(cur *circles.Session, _ time.Time) { cur.State = circles.SessionSkipped }
	case StepOverlap:
		earlier, overlapped, qerr := s.overlappedBy(ctx, c, sess, s.clock.Now())
		if qerr != nil {
			return sess, fmt.Errorf("%w: sessions before %d: %w", errStore, sess.ID, qerr)
		}
		if !overlapped {
			return sess, nil // the one before ended or was called off meanwhile: it goes ahead
		}
		err = s.actions.SessionOverlapped(ctx, c, sess, earlier, s.overlapWhy(c, earlier, sess))
		record = func(cur *circles.Session, _ time.Time) { cur.State = circles.SessionSkipped }
		after = func(time.Time) { s.planNext(ctx, c, g) }
	case StepPrompt:
		idx := promptIndex(c, sess, s.clock.Now())
		err = s.actions.PostPrompt(ctx, c, sess, idx)
		record = func(cur *circles.Session, _ time.Time) { cur.PromptsPosted = max(cur.PromptsPosted, idx+1) }
	case StepWarn:
		err = s.actions.WarnEnding(ctx, c, sess)
		record = func(cur *circles.Session, _ time.Time) { cur.WarningSent = true }
	case StepClose:
		next := s.nextPlanned(ctx, c, g)
		if sess, err = s.markClosing(ctx, sess); err != nil {
			return sess, err
		}
		err = s.actions.CloseSession(ctx, c, sess, next)
		record = func(cur *circles.Session, _ time.Time) {
			cur.State = circles.SessionClosed
			cur.DeleteAt = DeleteTime(g, *cur)
		}
	case StepDelete:
		err = s.actions.DeleteChannel(ctx, c, sess)
		record = func(cur *circles.Session, _ time.Time) { cur.State = circles.SessionDeleted }
	case StepSyncAccess:
		err = s.actions.SyncAccess(ctx, c, sess) // aside: the caller clears the mark
	case StepFinishOpen:
		err = s.actions.FinishOpening(ctx, c, sess) // aside: the caller clears the mark
	default:
		return sess, fmt.Errorf("unknown step %q", step)
	}
	if err != nil {
		return sess, err
	}
	s.clearTrouble(sess.ID, step)
	if record == nil {
		s.obs.StepDone(step)
		return sess, nil
	}
	now := s.clock.Now()
	out, err = s.store.UpdateSession(ctx, sess.ID, func(cur *circles.Session) error {
		if cur.State != sess.State {
			return errMoved
		}
		record(cur, now)
		_, at := NextAction(c, g, *cur, now, s.grace)
		cur.DueAt = dueAt(at)
		return nil
	})
	if errors.Is(err, errMoved) {
		return sess, fmt.Errorf("record %s: %w", step, err)
	}
	if err != nil {
		return sess, fmt.Errorf("%w: record %s: %w", errStore, step, err)
	}
	s.log.Info("schedule: step done", "guild", sess.GuildID, "circle", sess.CircleID, "session", sess.ID, "step", string(step))
	s.obs.StepDone(step)
	switch {
	case step == StepOpen && out.State == circles.SessionOpen:
		s.obs.SessionOpened()
	case step == StepMissed:
		s.obs.SessionMissed()
	}
	if !out.Active() {
		s.Forget(out.ID)
	}
	if after != nil {
		after(now)
	}
	switch step {
	case StepOpen, StepMissed, StepOverlap, StepClose:
		// The plan moved on: what mirrors it follows (PlanFollower).
		s.follow(ctx, c)
	}
	if pending != nil {
		return out, pending
	}
	return out, nil
}

// MaxLiveChannels is how many channels a circle's sessions hold at once:
// the open one and those kept read-only after closing until their
// retention ends. An open that would pass it has the oldest kept channels
// deleted first, ahead of their time, so that one circle meeting often
// can't fill the server's session category (Discord allows 50 channels in
// one) and starve the others.
const MaxLiveChannels = 3

// makeRoom deletes the oldest kept channels of circle c's closed sessions,
// ahead of their retention, until a new session's channel stays within
// MaxLiveChannels. It never holds up the open: a channel that can't be
// deleted now (another worker has its session, or Discord refuses) stays,
// and its own deletion step comes as planned.
func (s *Scheduler) makeRoom(ctx context.Context, c circles.Circle, g circles.GuildSettings) {
	live, err := s.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen, circles.SessionClosed}})
	if err != nil {
		s.log.Warn("schedule: counting a circle's live channels", "guild", c.GuildID, "circle", c.ID, "error", err)
		return
	}
	var kept []circles.Session
	open := 0
	for _, x := range live {
		switch {
		case x.ChannelID == "":
		case x.State == circles.SessionClosed:
			kept = append(kept, x) // oldest first: Sessions orders by start
		default:
			open++
		}
	}
	for i := 0; i < len(kept) && open+len(kept)-i+1 > MaxLiveChannels; i++ {
		old := kept[i]
		if !s.tryClaim(old.ID) {
			continue
		}
		_, err := s.do(ctx, c, g, old, StepDelete)
		s.release(old.ID)
		if err != nil {
			s.log.Warn("schedule: could not delete a kept session channel early", "guild", c.GuildID, "circle", c.ID, "session", old.ID, "error", err)
			continue
		}
		s.log.Info("schedule: deleted a kept session channel ahead of its retention, to stay within the circle's live channels", "guild", c.GuildID, "circle", c.ID, "session", old.ID, "max", MaxLiveChannels)
	}
}

// markClosing stores the session's ClosedAt before the close's side effect,
// so that access changes from then on keep its channel locked (the bot
// reads it), and the retention counts from it. A retried close keeps the
// first time.
func (s *Scheduler) markClosing(ctx context.Context, sess circles.Session) (circles.Session, error) {
	if !sess.ClosedAt.IsZero() {
		return sess, nil
	}
	now := s.clock.Now()
	out, err := s.store.UpdateSession(ctx, sess.ID, func(cur *circles.Session) error {
		if cur.State != sess.State {
			return errMoved
		}
		if cur.ClosedAt.IsZero() {
			cur.ClosedAt = now
		}
		return nil
	})
	if errors.Is(err, errMoved) {
		return sess, fmt.Errorf("mark closing: %w", err)
	}
	if err != nil {
		return sess, fmt.Errorf("%w: mark closing: %w", errStore, err)
	}
	return out, nil
}

// planNext plans the circle's next occurrence after a session opened or
// was missed, so every active circle always has one planned. A failure is
// logged, not returned: the step it follows did happen, and Reconcile or
// the next Plan fills the gap.
func (s *Scheduler) planNext(ctx context.Context, c circles.Circle, g circles.GuildSettings) {
	if c.Archived {
		return
	}
	if _, err := s.plan(ctx, c, g, s.clock.Now()); err != nil {
		s.log.Error("schedule: plan next", "guild", c.GuildID, "circle", c.ID, "error", err)
	}
}

// nextPlanned is the session a closing note points to: the circle's next
// planned one, planned now if need be; nil for an archived circle or when
// planning fails (the note then names no time).
func (s *Scheduler) nextPlanned(ctx context.Context, c circles.Circle, g circles.GuildSettings) *circles.Session {
	if c.Archived {
		return nil
	}
	next, err := s.plan(ctx, c, g, s.clock.Now())
	if err != nil {
		s.log.Warn("schedule: next session for closing note", "guild", c.GuildID, "circle", c.ID, "error", err)
		return nil
	}
	return &next
}
