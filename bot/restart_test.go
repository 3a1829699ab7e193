package bot_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// lcCrash rewinds a session row to how an open that crashed would have left
// it: planned and due, with none of the open's progress recorded — the
// state after "channel created, ID not stored".
func (h *harness) lcCrash(id int64) {
	h.t.Helper()
	_, err := h.store.UpdateSession(h.ctx, id, func(s *circles.Session) error {
		s.State = circles.SessionPlanned
		s.ChannelID, s.GuidelinesMessageID, s.GuidelinesPinned = "", "", false
		s.WelcomePosted, s.FacilitatorAlerted, s.GateMessageID = false, false, ""
		s.PromptsPosted = 0
		s.OpenedAt = time.Time{}
		s.DueAt = s.Start
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// gateText begins the notice of a session opened without a facilitator.
const gateText = "🕊️ **A facilitator may not be here today.**"

// lcCheckOpened fails unless the session is recorded open in exactly one
// channel (by its topic marker), which holds exactly the bot's opening
// messages, once each (by prefix), the guidelines first and, after a
// failure, otherwise in order but for what was retried: a welcome retried
// aside may come after the first prompt, never after the facilitator
// notice; with the guidelines pinned once, and the open's progress recorded.
func (h *harness) lcCheckOpened(when string, id int64, opening []string) circles.Session {
	h.t.Helper()
	got := h.lcSession(id)
	chans := h.lcSessionChannels(id)
	if len(chans) != 1 || got.ChannelID != chans[0].ID || got.State != circles.SessionOpen || got.OpenedAt.IsZero() {
		h.t.Fatalf("%s: session %+v, channels %+v", when, got, chans)
	}
	texts := h.lcBotMessages(got.ChannelID)
	if len(texts) != len(opening) {
		h.t.Fatalf("%s: messages %q, want %q", when, texts, opening)
	}
	at := map[string]int{}
	for _, p := range opening {
		at[p] = -1
		for i, text := range texts {
			if strings.HasPrefix(text, p) {
				if at[p] >= 0 {
					h.t.Fatalf("%s: %q twice in %q", when, p, texts)
				}
				at[p] = i
			}
		}
		if at[p] < 0 {
			h.t.Fatalf("%s: no %q in %q", when, p, texts)
		}
	}
	if at[opening[0]] != 0 {
		h.t.Fatalf("%s: messages %q, want the guidelines first", when, texts)
	}
	if w, ok := at["👋 Welcome"]; ok && slices.Contains(opening, gateText) && at[gateText] < w {
		h.t.Fatalf("%s: the facilitator notice came before the welcome: %q", when, texts)
	}
	if pins := h.sim.Pins(got.ChannelID); len(pins) != 1 || pins[0].ID != got.GuidelinesMessageID {
		h.t.Fatalf("%s: pins %+v, guidelines %s", when, pins, got.GuidelinesMessageID)
	}
	gated := slices.Contains(opening, gateText)
	if got.FacilitatorAlerted != gated || !got.WelcomePosted || got.PromptsPosted != 1 {
		h.t.Fatalf("%s: progress not recorded %+v", when, got)
	}
	notice := ""
	if gated {
		notice = h.lcBotMessage(got.ChannelID, gateText).ID
	}
	if got.GateMessageID != notice {
		h.t.Fatalf("%s: stored notice %q, want %q", when, got.GateMessageID, notice)
	}
	return got
}

// faults sits between a bot and the simulator and fails chosen REST calls,
// as Discord being down or the process dying mid-call would. Its rule sees
// every call in turn, n counting from 1 since the rule was set.
type faults struct {
	mu     sync.Mutex
	n      int
	rule   func(n int, r *http.Request) fault
	failed []string // "METHOD path" of the calls failed
}

type fault int

const (
	pass       fault = iota
	failBefore       // the call fails without reaching Discord: nothing happened
	failAfter        // the call reaches Discord, but the bot never hears back
)

type faultTransport struct {
	f    *faults
	next http.RoundTripper
}

// lcFaults restarts the bot with faults on its REST calls (none until set).
func (h *harness) lcFaults() *faults {
	h.t.Helper()
	// Let the first bot's welcome DM to the owner finish, so that the new
	// bot doesn't greet the server again among the calls counted.
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(h.admin)) > 0 }); err != nil {
		h.t.Fatal(err)
	}
	f := &faults{}
	h.transport = func(next http.RoundTripper) http.RoundTripper { return faultTransport{f: f, next: next} }
	h.restart()
	return f
}

// set replaces the rule (nil: no faults) and returns the calls the old one
// failed.
func (f *faults) set(rule func(n int, r *http.Request) fault) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	failed := f.failed
	f.n, f.rule, f.failed = 0, rule, nil
	return failed
}

func (f *faults) failedSoFar() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.failed)
}

func (t faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.f.mu.Lock()
	t.f.n++
	kind := pass
	if t.f.rule != nil {
		kind = t.f.rule(t.f.n, r)
	}
	if kind != pass {
		t.f.failed = append(t.f.failed, r.Method+" "+r.URL.Path)
	}
	t.f.mu.Unlock()
	switch kind {
	case failBefore:
		return injected500(r), nil
	case failAfter:
		resp, err := t.next.RoundTrip(r)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		return injected500(r), nil
	}
	return t.next.RoundTrip(r)
}

// injected500 is what the bot sees of a failed call: a 500, which discordgo
// does not retry.
func injected500(r *http.Request) *http.Response {
	body := `{"message": "500: Internal Server Error (injected)", "code": 0}`
	return &http.Response{
		StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"application/json"}},
		Body:    io.NopCloser(strings.NewReader(body)),
		Request: r, ContentLength: int64(len(body)),
	}
}

// lcRestartAt stops the bot, moves the clock (time passes while it's
// down), and starts a new bot on the same database; Start reconciles.
func (h *harness) lcRestartAt(t time.Time) {
	h.t.Helper()
	h.stop()
	h.clock.Set(t)
	h.start()
}

// TestLifecycleKillAndRestart: a crash at any point of the open, then a
// restart, finishes it with one channel and no duplicate message; a restart
// mid-session carries on without repeats and loses no record.
func TestLifecycleKillAndRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	prompts := []string{"One", "Two", "Three"}
	c, s := h.lcCircle("Harbour", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Prompts = prompts })
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeListener)
	h.lcAt(s.Start.Add(-time.Hour))
	if _, err := h.store.SetRSVP(h.ctx, h.guild, s.ID, m[0], circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	reminders := len(h.sim.DMs(m[0]))

	opening := []string{"👋 Welcome", "📜 Guidelines v1", "💬 Prompt 1 of 3", gateText}
	check := func(when string) circles.Session {
		t.Helper()
		got := h.lcCheckOpened(when, s.ID, opening)
		if !h.sim.CanSend(m[0], got.ChannelID) || h.sim.CanSend(m[1], got.ChannelID) || !h.sim.CanView(m[1], got.ChannelID) {
			t.Fatalf("%s: access not restored", when)
		}
		return got
	}

	h.lcAt(s.Start)
	first := check("first open")
	facDMs := len(h.sim.DMs(h.fac))

	// (a) Crash after everything was posted but nothing recorded: the
	// restart finds the channel by its topic marker and the posted
	// messages among the bot's own, and posts nothing twice.
	h.lcCrash(s.ID)
	h.lcRestartAt(s.Start.Add(30 * time.Second))
	if got := check("after crash (a)"); got.ChannelID != first.ChannelID {
		t.Fatalf("a second channel %s", got.ChannelID)
	}

	// (a') Crash right after creating the channel: it exists, with the
	// marker, empty; the restart fills it in once.
	for _, msg := range h.sim.Messages(first.ChannelID) {
		if err := h.bot.Session().ChannelMessageDelete(first.ChannelID, msg.ID); err != nil {
			t.Fatal(err)
		}
	}
	h.lcCrash(s.ID)
	h.lcRestartAt(s.Start.Add(time.Minute))
	if got := check("after crash (a')"); got.ChannelID != first.ChannelID {
		t.Fatalf("a second channel %s", got.ChannelID)
	}

	// (b) Restarts mid-session: every later step happens exactly once.
	times := circles.PromptTimes(s.Start, s.End, len(prompts))
	h.lcRestartAt(times[1])
	h.lcRestartAt(times[2].Add(time.Minute))
	h.lcAt(times[2].Add(2 * time.Minute)) // nothing new is due
	h.lcRestartAt(s.End.Add(-5 * time.Minute))
	h.lcRestartAt(s.End)
	h.lcAt(s.End.Add(time.Second))
	got := h.lcSession(s.ID)
	texts := h.lcBotMessages(got.ChannelID)
	for prefix, want := range map[string]int{
		"📜 Guidelines": 1, "👋 Welcome": 1, "💬 Prompt 1 ": 1, "💬 **Prompt 2 ": 1, "💬 **Prompt 3 ": 1,
		"⏳": 1, "🔒 **This session has ended.**": 1, "🕊️": 1,
	} {
		if n := lcCount(texts, prefix); n != want {
			t.Errorf("%d × %q in %q", n, prefix, texts)
		}
	}
	if got.State != circles.SessionClosed || got.PromptsPosted != 3 || !got.WarningSent || !got.RemindersSent || got.DeleteAt.IsZero() {
		t.Fatalf("records after restarts %+v", got)
	}
	if rs, err := h.store.RSVPs(h.ctx, s.ID); err != nil || len(rs) != 1 || rs[0].UserID != m[0] {
		t.Fatalf("RSVPs after restarts %+v %v", rs, err)
	}
	if n := len(h.sim.DMs(m[0])); n != reminders {
		t.Fatalf("member got %d more DMs across restarts", n-reminders)
	}
	// The gate alert went out again wherever it was not recorded as sent:
	// after (a), whose notice was posted but the alert not recorded (better
	// twice than never), and after (a'), whose channel was empty — not
	// after any later restart.
	if n := len(h.sim.DMs(h.fac)) - facDMs; n != 2 {
		t.Fatalf("facilitator got %d more alerts, want 2", n)
	}
	h.lcAt(got.DeleteAt)
	if len(h.lcSessionChannels(s.ID)) != 0 {
		t.Fatal("channel not deleted after retention")
	}
	if got = h.lcSession(s.ID); got.State != circles.SessionDeleted {
		t.Fatalf("state %s", got.State)
	}
}

// TestLifecycleDowntime: after downtime a session whose start is more than
// the grace window ago is marked missed and facilitators told; one within
// the window opens late.
func TestLifecycleDowntime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	late, ls := h.lcCircle("Late", time.Wednesday, 14, 0, nil)
	fine, fs := h.lcCircle("Fine", time.Wednesday, 14, 10, nil)
	h.lcJoin(late, h.members[0], circles.ModeMember)
	h.lcJoin(fine, h.members[0], circles.ModeMember)

	// Down from before the first start until 20 minutes after it: 10
	// minutes after the second.
	h.lcRestartAt(ls.Start.Add(20 * time.Minute))
	ls, fs = h.lcSession(ls.ID), h.lcSession(fs.ID)
	if ls.State != circles.SessionMissed || ls.ChannelID != "" || len(h.lcSessionChannels(ls.ID)) != 0 {
		t.Fatalf("late session %+v", ls)
	}
	var told bool
	for _, d := range h.sim.DMs(h.fac) {
		told = told || (strings.Contains(d.Content, "Late") && strings.Contains(d.Content, "didn't open"))
	}
	if !told {
		t.Fatalf("facilitator not told of the missed session: %+v", h.sim.DMs(h.fac))
	}
	if fs.State != circles.SessionOpen || fs.ChannelID == "" || !h.sim.CanSend(h.members[0], fs.ChannelID) {
		t.Fatalf("session within grace %+v", fs)
	}
	// Both circles have their next session planned.
	for _, c := range []circles.Circle{late, fine} {
		p, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}})
		if err != nil || len(p) != 1 {
			t.Fatalf("%s planned %+v %v", c.Name, p, err)
		}
	}
}

// lcAlerts counts the facilitator-presence alerts a user got about a channel.
func (h *harness) lcAlerts(user, channelID string) int {
	n := 0
	for _, d := range h.sim.DMs(user) {
		if strings.Contains(d.Content, "no facilitator said they're going") && strings.Contains(d.Content, "<#"+channelID+">") {
			n++
		}
	}
	return n
}

// TestLifecycleOpenFaults: whichever REST call of an open fails — before it
// reaches Discord, or after, the bot never hearing back (as when the process
// dies mid-call) — the retry, by the scheduler or by a restarted bot on the
// same database, finishes the open with exactly one channel and one of each
// opening message, and records it.
func TestLifecycleOpenFaults(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.lcFaults()
	h.lcSetup(0, 0) // no reminders; channels go at close, staying under 50 per category
	m := h.members
	opening := []string{"👋 Welcome", "📜 Guidelines v1", "💬 Prompt 1 of 2", gateText}
	i := 0
	session := func() circles.Session {
		t.Helper()
		i++
		at := t0.Add(time.Duration(i) * 2 * time.Hour).In(berlin)
		c, s := h.lcCircle(fmt.Sprintf("Faults %d", i), at.Weekday(), at.Hour(), 0, func(c *circles.Circle) { c.Prompts = []string{"One", "Two"} })
		h.lcJoin(c, m[0], circles.ModeMember)
		return s
	}
	// finish closes and deletes the session's channel.
	finish := func(when string, s circles.Session) {
		t.Helper()
		h.lcAt(s.End)
		if got := h.lcSession(s.ID); got.State != circles.SessionDeleted || len(h.lcSessionChannels(s.ID)) != 0 {
			t.Fatalf("%s: after the end %+v", when, got)
		}
	}

	// A clean open, to count its calls.
	s := session()
	before := len(h.sim.Requests())
	h.lcAt(s.Start)
	calls := len(h.sim.Requests()) - before
	h.lcCheckOpened("clean", s.ID, opening)
	finish("clean", s)
	if calls != 7 {
		t.Fatalf("an open took %d calls; expected create, the opening message, unlock, pin, the notice, and the alert DM (2)", calls)
	}

	for n := 1; n <= calls; n++ {
		for _, kind := range []fault{failBefore, failAfter} {
			restart := n%3 == 0
			when := fmt.Sprintf("call %d failing %s, retry by %s", n, map[fault]string{failBefore: "before", failAfter: "after"}[kind], map[bool]string{false: "the scheduler", true: "a restart"}[restart])
			s := session()
			f.set(func(k int, _ *http.Request) fault {
				if k == n {
					return kind
				}
				return pass
			})
			h.lcAt(s.Start)
			failed := f.set(nil)
			if len(failed) != 1 {
				t.Fatalf("%s: failed %v", when, failed)
			}
			if restart {
				h.lcRestartAt(s.Start.Add(time.Minute))
			} else {
				h.lcAt(s.Start.Add(time.Minute))
			}
			got := h.lcCheckOpened(when, s.ID, opening)
			if !h.sim.CanSend(m[0], got.ChannelID) {
				t.Fatalf("%s: the member can't speak", when)
			}
			// The alert to the facilitator is lost only if its own DM failed
			// to go out (DMs are not retried); otherwise it went once.
			dmMessage := strings.HasPrefix(failed[0], "POST ") && strings.HasSuffix(failed[0], "/messages") && !strings.Contains(failed[0], got.ChannelID)
			want := 1
			if strings.Contains(failed[0], "/users/@me/channels") || (dmMessage && kind == failBefore) {
				want = 0
			}
			if n := h.lcAlerts(h.fac, got.ChannelID); n != want {
				t.Fatalf("%s (%s): %d alerts, want %d", when, failed[0], n, want)
			}
			finish(when, s)
		}
	}
}

// TestLifecycleOpenRetryAsksForConsentOnce: when the rest of an opening
// keeps failing (the pin), its retries don't repeat the re-consent DMs,
// and the guidelines version the session holds — the one posted in its
// channel — stays as recorded even if the guidelines change meanwhile.
func TestLifecycleOpenRetryAsksForConsentOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.lcFaults()
	h.lcSetup(24, 0)
	m := h.members
	c, s := h.lcCircle("Stale", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	setGuidelines := func(text string) circles.Circle {
		t.Helper()
		c, _, err := h.store.UpdateCircle(h.ctx, h.guild, c.ID, func(c *circles.Circle) error {
			_, err := c.SetGuidelines(text)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c = setGuidelines(circles.DefaultGuidelines + "\n7. New rule.")
	if _, err := h.store.Reconsent(h.ctx, h.guild, c.ID, m[0], c.Guidelines.Version, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	pins := 0
	f.set(func(_ int, r *http.Request) fault {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/messages/pins/") && pins < 3 {
			pins++
			return failBefore
		}
		return pass
	})
	h.lcAt(s.Start)
	got := h.lcSession(s.ID)
	// Open and its people in, the pin retried aside.
	if got.State != circles.SessionOpen || !got.OpeningPending || got.GuidelinesPinned || !got.ReconsentAsked || got.GuidelinesVersion != 2 {
		t.Fatalf("after the first failed pin: %+v", got)
	}
	if !h.sim.CanSend(m[0], got.ChannelID) {
		t.Fatal("a failed pin kept the member out")
	}
	setGuidelines(circles.DefaultGuidelines + "\n7. Newer rule.")
	for i := 1; h.lcSession(s.ID).OpeningPending && i < 10; i++ {
		h.lcAt(s.Start.Add(time.Duration(i) * time.Minute))
	}
	got = h.lcSession(s.ID)
	if got.State != circles.SessionOpen || !got.GuidelinesPinned || pins != 3 {
		t.Fatalf("session %+v after %d failed pins", got, pins)
	}
	if n := h.lcDMsWith(m[1], "has just started"); n != 1 {
		t.Errorf("the member with stale consent got %d re-consent DMs for one session", n)
	}
	if got.GuidelinesVersion != 2 {
		t.Errorf("guidelines version %d after the retries, want 2 (posted)", got.GuidelinesVersion)
	}
}

// TestLifecycleCrashDuringClose: the closing note was posted but the close
// not recorded when the process died. The restart closes again: the channel
// is locked once (already locked: no second change), a second closing note
// may follow (at most one extra), and the channel is deleted after
// retention. Meanwhile an access change (a member leaving) keeps it locked.
// Also when the open itself had not been recorded before the close.
func TestLifecycleCrashDuringClose(t *testing.T) {
	t.Parallel()
	for _, openRecorded := range []bool{true, false} {
		t.Run(fmt.Sprintf("open recorded %v", openRecorded), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			f := h.lcFaults()
			h.lcSetup(24, 0)
			m := h.members
			c, s := h.lcCircle("Closing time", time.Wednesday, 14, 0, nil)
			h.lcJoin(c, m[0], circles.ModeMember)
			h.lcJoin(c, m[1], circles.ModeMember)
			h.lcAt(s.Start)
			s = h.lcSession(s.ID)
			if !openRecorded {
				// Opened, but the crash came before the scheduler recorded it.
				if _, err := h.store.UpdateSession(h.ctx, s.ID, func(cur *circles.Session) error {
					cur.State, cur.DueAt = circles.SessionPlanned, s.End
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			before := len(h.sim.Requests())
			f.set(func(_ int, r *http.Request) fault {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/channels/"+s.ChannelID+"/messages") {
					return failAfter
				}
				return pass
			})
			h.lcAt(s.End)
			if failed := f.set(nil); len(failed) != 1 {
				t.Fatalf("failed %v, want the closing note", failed)
			}
			if got := h.lcSession(s.ID); got.State == circles.SessionClosed || got.ClosedAt.IsZero() {
				t.Fatalf("after the interrupted close %+v, want not closed, with ClosedAt", got)
			}
			h.sim.RemoveMember(h.guild, m[1])
			if err := h.sim.WaitFor(h.ctx, func() bool {
				ch, _ := h.sim.Channel(s.ChannelID)
				_, ok := ch.Overwrite(m[1])
				return !ok
			}); err != nil {
				t.Fatal(err)
			}
			if h.sim.CanSend(m[0], s.ChannelID) {
				t.Fatal("an access change unlocked the closing channel")
			}
			h.lcRestartAt(s.End.Add(time.Minute))
			got := h.lcSession(s.ID)
			// Retention counts from the session's end, not from the late close.
			if got.State != circles.SessionClosed || !got.DeleteAt.Equal(s.End.Add(24*time.Hour)) {
				t.Fatalf("after the restart %+v", got)
			}
			if h.sim.CanSend(m[0], s.ChannelID) || !h.sim.CanView(m[0], s.ChannelID) {
				t.Fatal("the closed channel isn't read-only for the member")
			}
			locks := 0
			for _, r := range h.sim.Requests()[before:] {
				if (r.Method == http.MethodPatch && r.Path == "/channels/"+s.ChannelID) || (r.Method == http.MethodPut && strings.HasPrefix(r.Path, "/channels/"+s.ChannelID+"/permissions/")) {
					locks++
				}
			}
			if locks != 1 {
				t.Fatalf("%d permission changes while closing, want the one lock", locks)
			}
			if n := lcCount(h.lcBotMessages(s.ChannelID), "🔒 **This session has ended.**"); n < 1 || n > 2 {
				t.Fatalf("%d closing notes, want one, or two after the crash", n)
			}
			h.lcAt(got.DeleteAt)
			if len(h.lcSessionChannels(s.ID)) != 0 || h.lcSession(s.ID).State != circles.SessionDeleted {
				t.Fatal("channel not deleted after retention")
			}
		})
	}
}

// TestLifecycleOpenFailsPastGrace: an open that made its channel and then
// kept failing past the grace window is finished when Discord recovers, at
// its next (backed-off) retry —
// not marked missed with its channel left behind — and closed and deleted as
// usual. A channel whose ID was never stored before a long downtime is
// deleted when its session is marked missed.
func TestLifecycleOpenFailsPastGrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.lcFaults()
	h.lcSetup(24, 0)
	c, s := h.lcCircle("Stubborn", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Prompts = []string{"One"} })
	h.lcJoin(c, h.members[0], circles.ModeMember)

	// Discord takes the channel, then refuses every message for 20 minutes.
	f.set(func(_ int, r *http.Request) fault {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			return failBefore
		}
		return pass
	})
	for min := range 21 {
		h.lcAt(s.Start.Add(time.Duration(min) * time.Minute))
	}
	if got := h.lcSession(s.ID); got.State != circles.SessionPlanned || got.ChannelID == "" || len(h.lcSessionChannels(s.ID)) != 1 {
		t.Fatalf("while failing: %+v", got)
	}
	f.set(nil)
	h.lcAt(h.lcSession(s.ID).DueAt) // the retries back off after the third
	got := h.lcCheckOpened("after Discord recovered", s.ID, []string{"👋 Welcome", "📜 Guidelines v1", "💬 Prompt 1 of 1", gateText})
	for _, d := range h.sim.DMs(h.fac) {
		if strings.Contains(d.Content, "didn't open") {
			t.Fatalf("facilitator told the session was missed: %q", d.Content)
		}
	}
	h.lcAt(s.End)
	h.lcAt(s.End.Add(24 * time.Hour))
	if len(h.lcSessionChannels(s.ID)) != 0 || h.lcSession(s.ID).State != circles.SessionDeleted {
		t.Fatalf("the late session's channel %s was not closed and deleted", got.ChannelID)
	}

	// The channel is created but its ID never stored, and the bot is down
	// until after the grace window: missed, and the channel goes.
	next := h.lcSession(s.ID)
	planned, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil || len(planned) != 1 {
		t.Fatalf("planned %+v %v", planned, err)
	}
	next = planned[0]
	// (The open looks for a channel a lost create may have made before it
	// tries again: that fails too, as if the process had died.)
	created := false
	f.set(func(_ int, r *http.Request) fault {
		switch {
		case !strings.HasSuffix(r.URL.Path, "/guilds/"+h.guild+"/channels"):
		case r.Method == http.MethodPost:
			created = true
			return failAfter
		case created:
			return failBefore
		}
		return pass
	})
	h.lcAt(next.Start)
	if failed := f.set(nil); len(failed) != 2 || len(h.lcSessionChannels(next.ID)) != 1 || h.lcSession(next.ID).ChannelID != "" {
		t.Fatalf("channel creation not interrupted as planned: %v", failed)
	}
	h.lcRestartAt(next.Start.Add(20 * time.Minute))
	if got := h.lcSession(next.ID); got.State != circles.SessionMissed || len(h.lcSessionChannels(next.ID)) != 0 {
		t.Fatalf("missed session %+v, channels %+v", got, h.lcSessionChannels(next.ID))
	}
}

// TestLifecycleStartsDespiteABrokenCircle: a circle that can't be planned
// (a schedule row no code would write) doesn't stop the bot from starting
// and running the others, and is planned once it is mended.
func TestLifecycleStartsDespiteABrokenCircle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	good, gs := h.lcCircle("Good", time.Wednesday, 14, 0, nil)
	h.lcJoin(good, h.members[0], circles.ModeMember)
	bad, _ := h.lcCircle("Broken", time.Thursday, 14, 0, nil)
	h.stop()
	h.lcSQL(`UPDATE circles SET timezone = 'Mars/Olympus_Mons' WHERE id = ?`, bad.ID)
	h.lcSQL(`DELETE FROM sessions WHERE circle_id = ?`, bad.ID)
	h.start() // fails the test if Start fails
	h.lcAt(gs.Start)
	if got := h.lcSession(gs.ID); got.State != circles.SessionOpen || !h.sim.CanSend(h.members[0], got.ChannelID) {
		t.Fatalf("the good circle's session %+v", got)
	}
	h.lcSQL(`UPDATE circles SET timezone = 'Europe/Berlin' WHERE id = ?`, bad.ID)
	h.lcAt(gs.Start.Add(10 * time.Minute))
	if p, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: bad.ID, States: []circles.SessionState{circles.SessionPlanned}}); err != nil || len(p) != 1 {
		t.Fatalf("the mended circle is not planned: %+v %v", p, err)
	}
}

// lcSQL changes the database behind the store's back.
func (h *harness) lcSQL(query string, args ...any) {
	h.t.Helper()
	db, err := sql.Open("sqlite3", h.dbPath)
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(h.ctx, query, args...); err != nil {
		h.t.Fatal(err)
	}
}

// TestLifecycleAccessSelfHeals: when taking a leaver's access away fails,
// the scheduler's next wake does it, and retries until it works; the
// session's steps don't wait for it, and don't touch access otherwise.
func TestLifecycleAccessSelfHeals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.lcFaults()
	h.lcSetup(24, 0)
	m := h.members
	c, s := h.lcCircle("Healing", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Prompts = []string{"One", "Two", "Three"} })
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	failRemovals := func(_ int, r *http.Request) fault {
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/permissions/") {
			return failBefore
		}
		return pass
	}

	// m[0] leaves the server; removing their overwrite fails.
	f.set(failRemovals)
	h.sim.RemoveMember(h.guild, m[0])
	retry := s.Start.Add(time.Minute)
	if err := h.sim.WaitFor(h.ctx, func() bool {
		got := h.lcSession(s.ID)
		return f.failedSoFar() > 0 && got.DueAt.Equal(retry) && got.AccessDirty
	}); err != nil {
		t.Fatalf("the failed removal did not ask for a retry (%+v): %v", h.lcSession(s.ID), err)
	}
	f.set(nil)
	if !h.sim.CanView(m[0], s.ChannelID) {
		t.Fatal("the removal should have failed")
	}
	h.lcAt(retry)
	if h.sim.CanView(m[0], s.ChannelID) {
		t.Fatal("the scheduler's retry did not take the leaver's access away")
	}
	if !h.sim.CanSend(m[1], s.ChannelID) {
		t.Fatal("the others lost access")
	}
	if got := h.lcSession(s.ID); len(h.lcBotMessages(s.ChannelID)) != 4 || !got.DueAt.After(retry) || got.AccessDirty {
		t.Fatalf("the retry posted, left the session due, or left its access marked: %+v", got)
	}

	// A prompt while access is up to date looks neither at the channel
	// nor at its overwrites.
	times := circles.PromptTimes(s.Start, s.End, 3)
	before := len(h.sim.Requests())
	h.lcAt(times[1])
	for _, r := range h.sim.Requests()[before:] {
		if r.Path == "/channels/"+s.ChannelID && r.Method == http.MethodGet || strings.Contains(r.Path, "/permissions/") {
			t.Fatalf("the prompt step called %s %s", r.Method, r.Path)
		}
	}

	// m[1] leaves, and Discord keeps refusing the removal: the re-sync is
	// retried, but the third prompt comes on time all the same.
	f.set(failRemovals)
	h.sim.RemoveMember(h.guild, m[1])
	if err := h.sim.WaitFor(h.ctx, func() bool { return h.lcSession(s.ID).AccessDirty }); err != nil {
		t.Fatal(err)
	}
	h.lcRunUntil(times[2])
	if texts := h.lcBotMessages(s.ChannelID); !strings.HasPrefix(texts[len(texts)-1], "💬 **Prompt 3 of 3**") {
		t.Fatalf("messages %q", texts)
	}
	if !h.sim.CanView(m[1], s.ChannelID) || f.failedSoFar() < 3 {
		t.Fatalf("the removal should have kept failing (%d failures)", f.failedSoFar())
	}
	f.set(nil)
	h.lcRunUntil(h.lcSession(s.ID).DueAt)
	if got := h.lcSession(s.ID); h.sim.CanView(m[1], s.ChannelID) || got.AccessDirty {
		t.Fatalf("the re-sync did not take the leaver's access away once Discord answered: %+v", got)
	}
}

// TestLifecycleOpenWhileOpenSaysWhatFailed: /circle open on a session
// already open marks the facilitator present; if that fails, the answer
// is the failure, not the "already open" it would otherwise be.
func TestLifecycleOpenWhileOpenSaysWhatFailed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.lcFaults()
	h.lcSetup(24, 0)
	c, s := h.lcOpened("Open door")
	f.set(func(_ int, r *http.Request) fault {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/channels/"+s.ChannelID) {
			return failBefore
		}
		return pass
	})
	text := responseText(h.run(h.fac, "circle open", discordsim.O("circle", c.Name)))
	if failed := f.set(nil); len(failed) == 0 {
		t.Fatal("nothing failed")
	}
	if strings.Contains(text, "already has an open session") || !strings.Contains(text, "Something went wrong") {
		t.Fatalf("answer %q, want the failure", text)
	}
}
