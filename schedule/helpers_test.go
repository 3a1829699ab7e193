package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// call is one recorded Actions call.
type call struct {
	Step    Step
	Session int64
	Index   int   // PostPrompt only
	Next    int64 // CloseSession, SessionMoved: the next session's ID, 0 for none; SessionOverlapped: the earlier one's
	Cause   bool  // MissedSession: a cause was given
	Of      Step  // StepStuck: the step that is stuck
}

// Pseudo-steps for the Actions calls that are not steps.
const (
	callStuck Step = "stuck"
	callMoved Step = "moved"
)

func (c call) String() string {
	switch c.Step {
	case StepPrompt:
		return fmt.Sprintf("%s#%d[%d]", c.Step, c.Session, c.Index)
	case StepClose, callMoved:
		return fmt.Sprintf("%s#%d(next %d)", c.Step, c.Session, c.Next)
	case StepOverlap:
		return fmt.Sprintf("%s#%d(by %d)", c.Step, c.Session, c.Next)
	case StepMissed:
		if c.Cause {
			return fmt.Sprintf("%s#%d(cause)", c.Step, c.Session)
		}
	case callStuck:
		return fmt.Sprintf("%s#%d(%s)", c.Step, c.Session, c.Of)
	}
	return fmt.Sprintf("%s#%d", c.Step, c.Session)
}

// recorder is an Actions that records calls and fails or panics on demand.
type recorder struct {
	mu     sync.Mutex
	calls  []call
	fail   map[Step]int // step → how many more calls fail
	panics map[Step]int
	delay  time.Duration         // OpenSession takes this long (widens race windows)
	onOpen func(circles.Session) // called by OpenSession first, when set
	// onClose is called by CloseSession first, when set.
	onClose func(circles.Session)
	forgot  []int64 // ForgetSession's sessions, in order
	// openPartly: how many more OpenSession calls let people in but leave
	// the rest of the opening undone (a *PartlyOpenError).
	openPartly int
	clock      *circles.ManualClock // read for times
	times      []time.Time          // the clock at each of calls
	whys       map[int64]string     // SessionOverlapped's why, by session
}

var errBoom = errors.New("discord is down")

func newRecorder(clock *circles.ManualClock) *recorder {
	return &recorder{fail: map[Step]int{}, panics: map[Step]int{}, clock: clock, whys: map[int64]string{}}
}

func (r *recorder) record(c call) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	r.times = append(r.times, r.clock.Now())
	if r.panics[c.Step] > 0 {
		r.panics[c.Step]--
		panic("recorder: " + string(c.Step))
	}
	if r.fail[c.Step] > 0 {
		r.fail[c.Step]--
		return errBoom
	}
	return nil
}

func (r *recorder) failNext(step Step, n int) {
	r.mu.Lock()
	r.fail[step] = n
	r.mu.Unlock()
}

func (r *recorder) Calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// when lists the times of the calls of step.
func (r *recorder) when(step Step) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for i, c := range r.calls {
		if c.Step == step {
			out = append(out, r.times[i])
		}
	}
	return out
}

func (r *recorder) count(step Step) int {
	n := 0
	for _, c := range r.Calls() {
		if c.Step == step {
			n++
		}
	}
	return n
}

func (r *recorder) SendReminders(_ context.Context, _ circles.Circle, s circles.Session) error {
	return r.record(call{Step: StepRemind, Session: s.ID})
}

func (r *recorder) NotifyShift(_ context.Context, _ circles.Circle, s circles.Session) error {
	return r.record(call{Step: StepShiftNotice, Session: s.ID})
}

func (r *recorder) OpenSession(_ context.Context, _ circles.Circle, s circles.Session) (circles.Session, error) {
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	if r.onOpen != nil {
		r.onOpen(s)
	}
	if err := r.record(call{Step: StepOpen, Session: s.ID}); err != nil {
		return s, err
	}
	s.ChannelID = fmt.Sprintf("chan-%d", s.ID)
	r.mu.Lock()
	partly := r.openPartly > 0
	if partly {
		r.openPartly--
	}
	r.mu.Unlock()
	if partly {
		return s, &PartlyOpenError{Err: errBoom}
	}
	s.WelcomePosted = true
	return s, nil
}

func (r *recorder) FinishOpening(_ context.Context, _ circles.Circle, s circles.Session) error {
	return r.record(call{Step: StepFinishOpen, Session: s.ID})
}

func (r *recorder) PostPrompt(_ context.Context, _ circles.Circle, s circles.Session, index int) error {
	return r.record(call{Step: StepPrompt, Session: s.ID, Index: index})
}

func (r *recorder) WarnEnding(_ context.Context, _ circles.Circle, s circles.Session) error {
	return r.record(call{Step: StepWarn, Session: s.ID})
}

func (r *recorder) CloseSession(_ context.Context, _ circles.Circle, s circles.Session, next *circles.Session) error {
	if r.onClose != nil {
		r.onClose(s)
	}
	c := call{Step: StepClose, Session: s.ID}
	if next != nil {
		c.Next = next.ID
	}
	return r.record(c)
}

func (r *recorder) DeleteChannel(_ context.Context, _ circles.Circle, s circles.Session) error {
	return r.record(call{Step: StepDelete, Session: s.ID})
}

func (r *recorder) MissedSession(_ context.Context, _ circles.Circle, s circles.Session, cause error) error {
	return r.record(call{Step: StepMissed, Session: s.ID, Cause: cause != nil})
}

func (r *recorder) StepStuck(_ context.Context, _ circles.Circle, s circles.Session, step Step, _ error) error {
	return r.record(call{Step: callStuck, Session: s.ID, Of: step})
}

func (r *recorder) SessionMoved(_ context.Context, _ circles.Circle, s circles.Session, next *circles.Session) error {
	c := call{Step: callMoved, Session: s.ID}
	if next != nil {
		c.Next = next.ID
	}
	return r.record(c)
}

func (r *recorder) SessionOverlapped(_ context.Context, _ circles.Circle, s, earlier circles.Session, why string) error {
	r.mu.Lock()
	r.whys[s.ID] = why
	r.mu.Unlock()
	return r.record(call{Step: StepOverlap, Session: s.ID, Next: earlier.ID})
}

func (r *recorder) why(id int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.whys[id]
}

func (r *recorder) ForgetSession(id int64) {
	r.mu.Lock()
	r.forgot = append(r.forgot, id)
	r.mu.Unlock()
}

func (r *recorder) forgotten() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.forgot...)
}

func (r *recorder) SyncAccess(_ context.Context, _ circles.Circle, s circles.Session) error {
	return r.record(call{Step: StepSyncAccess, Session: s.ID})
}

// env is a scheduler on a real SQLite store with a manual clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	path  string
	store *data.Store
	clock *circles.ManualClock
	act   *recorder
	sched *Scheduler
}

const testGuild = "g1"

// monday is 30 Nov 2026, 12:00 UTC; the test circle meets on Tuesdays at
// 19:00 Berlin time (18:00 UTC).
var monday = time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "t.db"), clock: circles.NewManualClock(monday)}
	e.open()
	if err := e.store.SaveGuildSettings(e.ctx, circles.GuildSettings{GuildID: testGuild, RetentionHours: 2, ReminderMinutes: 60}); err != nil {
		t.Fatal(err)
	}
	return e
}

// open (re)opens the store and builds a fresh Scheduler and recorder, as a
// restarted process would.
func (e *env) open() {
	e.t.Helper()
	st, err := data.Open(e.ctx, e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	e.store = st
	e.act = newRecorder(e.clock)
	e.sched = New(Options{
		Store: st, Actions: e.act, Clock: e.clock,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		DefaultSettings: circles.GuildSettings{RetentionHours: 0, ReminderMinutes: 0},
	})
}

func (e *env) restart() {
	e.t.Helper()
	if err := e.store.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) circle(guild, name string, rule circles.Rule, prompts ...string) circles.Circle {
	e.t.Helper()
	c := circles.NewCircle(guild, name, circles.KindPeer, rule, "fac1", e.clock.Now())
	c.Prompts = prompts
	if err := e.store.CreateCircle(e.ctx, &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// tuesdayCircle meets Tuesdays 19:00–20:00 in Berlin with three prompts.
func (e *env) tuesdayCircle() circles.Circle {
	return e.circle(testGuild, "Grief circle", circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour), "How are you?", "What helped?", "What next?")
}

// openedTuesday creates the Tuesday circle, plans its first session and
// opens it at its start, as most step tests begin.
func (e *env) openedTuesday() (circles.Circle, circles.Session) {
	e.t.Helper()
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.at(start)
	e.runDue(2) // the open and the first prompt
	return c, s
}

func (e *env) plan(c circles.Circle) circles.Session {
	e.t.Helper()
	s, err := e.sched.Plan(e.ctx, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) session(id int64) circles.Session {
	e.t.Helper()
	s, err := e.store.Session(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// runDue runs one wake and checks how many steps it did.
func (e *env) runDue(want int) {
	e.t.Helper()
	n, err := e.sched.RunDue(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if want >= 0 && n != want { // -1: however many
		e.t.Fatalf("RunDue at %v did %d steps, want %d; calls so far %v", e.clock.Now(), n, want, e.act.Calls())
	}
}

func (e *env) at(t time.Time) { e.clock.Set(t) }

// runWhile wakes the scheduler at each DueAt of a session in turn, as Run
// would, for as long as the session is in state (however many steps each
// wake does).
func (e *env) runWhile(id int64, state circles.SessionState) {
	e.t.Helper()
	for range 100 {
		got := e.session(id)
		if got.State != state {
			return
		}
		e.at(got.DueAt)
		if _, err := e.sched.RunDue(e.ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	e.t.Fatalf("session %d still %s after 100 wakes; calls %v", id, state, e.act.Calls())
}

func (e *env) wantCalls(want ...call) {
	e.t.Helper()
	got := e.act.Calls()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		e.t.Fatalf("calls\n got %v\nwant %v", got, want)
	}
}

func (e *env) sessions(c circles.Circle, states ...circles.SessionState) []circles.Session {
	e.t.Helper()
	ss, err := e.store.Sessions(e.ctx, circles.SessionFilter{CircleID: c.ID, States: states})
	if err != nil {
		e.t.Fatal(err)
	}
	return ss
}
