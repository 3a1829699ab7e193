package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// reschedule runs /circle schedule with changes and clicks Save on the
// proposal; a refusal (no Save button) is returned as it is.
func (h *harness) reschedule(user string, opts ...discordsim.Opt) *discordsim.Response {
	h.t.Helper()
	r := h.run(user, "circle schedule", opts...)
	for _, b := range r.Buttons() {
		if strings.HasSuffix(b.CustomID, ":save") {
			return h.clickOn(user, r, "schedule", "save")
		}
	}
	return r
}

func berlinUnix(t *testing.T, y int, m time.Month, d, hh, mm int) string {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return facItoa(time.Date(y, m, d, hh, mm, 0, 0, loc).Unix())
}

// A fortnightly circle is created with repeat:, shows and plans sessions
// two weeks apart; a change to "first Tuesday of the month" is only a
// proposal — the store keeps the old rule — until its own author clicks
// Save, and Cancel changes nothing.
func TestFortnightlyAndMonthlySchedules(t *testing.T) {
	t.Parallel()
	O := discordsim.O
	h := newHarness(t)
	h.facSetup()
	r := h.facCreate(h.fac, "Carers", O("weekday", "Tuesday"), O("time", "19:00"), O("repeat", "2w"), O("timezone", "Europe/Berlin"))
	text := responseText(r)
	wantContains(t, text, "Every 2 weeks on Tuesday at 19:00 (Europe/Berlin)")
	want := []string{berlinUnix(t, 2026, 12, 1, 19, 0), berlinUnix(t, 2026, 12, 15, 19, 0), berlinUnix(t, 2026, 12, 29, 19, 0)}
	if got := facTimestamps(text); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("fortnightly sessions %v, want %v", got, want)
	}
	c := h.circle("Carers")
	if c.Schedule.EveryWeeks != 2 || c.Schedule.Anchor != "2026-12-01" {
		t.Fatalf("stored rule %+v", c.Schedule)
	}

	// Propose the first Tuesday of the month: the next three are shown,
	// nothing is saved.
	r = h.run(h.fac, "circle schedule", O("circle", "Carers"), O("repeat", "m1"))
	text = responseText(r)
	wantContains(t, text, "Change when Carers meets?", "On the first Tuesday of every month at 19:00 (Europe/Berlin)", "Nothing changes until you click Save")
	want = []string{berlinUnix(t, 2026, 12, 1, 19, 0), berlinUnix(t, 2027, 1, 5, 19, 0), berlinUnix(t, 2027, 2, 2, 19, 0)}
	if got := facTimestamps(text); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("proposed sessions %v, want %v", got, want)
	}
	if got := h.circle("Carers").Schedule; got != c.Schedule {
		t.Fatalf("a proposal changed the store: %+v", got)
	}
	// Someone else can't save it.
	if _, err := h.sim.Click(h.ctx, h.fac2, r.ChannelID, r.MessageID, r.Buttons()[0].CustomID); err == nil {
		t.Fatal("another facilitator clicked an ephemeral proposal")
	}
	// Cancel: nothing changes, and the proposal is gone.
	wantContains(t, h.clickOn(h.fac, r, "schedule", "cancel").Content, "Nothing was changed")
	if got := h.circle("Carers").Schedule; got != c.Schedule {
		t.Fatalf("cancel changed the store: %+v", got)
	}

	r = h.reschedule(h.fac, O("circle", "Carers"), O("repeat", "m1"))
	wantContains(t, responseText(r), "New schedule for Carers", "On the first Tuesday of every month")
	got := h.circle("Carers").Schedule
	if got.NthWeekday != 1 || got.EveryWeeks != 0 || got.Anchor != "" {
		t.Fatalf("saved rule %+v", got)
	}
	// The last Friday, by weekday and repeat together.
	r = h.reschedule(h.fac, O("circle", "Carers"), O("weekday", "Friday"), O("time", "18:30"), O("repeat", "mlast"))
	wantContains(t, responseText(r), "On the last Friday of every month at 18:30", "<t:"+berlinUnix(t, 2026, 11, 27, 18, 30)+":F>", "<t:"+berlinUnix(t, 2026, 12, 25, 18, 30)+":F>")
	if p := h.facPlanned(c.ID); len(p) == 0 || facItoa(p[0].Start.Unix()) != berlinUnix(t, 2026, 11, 27, 18, 30) {
		t.Fatalf("planned %+v", p)
	}
	// repeat with cron is refused, nothing changes.
	wantContains(t, h.run(h.fac, "circle schedule", O("circle", "Carers"), O("cron", "0 19 * * 2"), O("repeat", "2w")).Content, "repeat option goes with weekday and time")
}

// Cron stays, but errors are in words and a spec that restricts both day
// fields is warned about before it is saved.
func TestCronWordsAndWarning(t *testing.T) {
	t.Parallel()
	O := discordsim.O
	h := newHarness(t)
	h.facSetup()
	r := h.facCreate(h.fac, "Cron circle", O("cron", "0 19 * * 5L"))
	wantContains(t, r.Content, "day-of-week field `5L` is not a number or name")
	if strings.Contains(r.Content, "strconv") || strings.Contains(r.Content, "parsing") {
		t.Fatalf("Go internals shown: %s", r.Content)
	}
	h.facCreate(h.fac, "Cron circle", O("cron", "0 19 * * 2"))
	r = h.run(h.fac, "circle schedule", O("circle", "Cron circle"), O("cron", "0 19 1-7 * 2"))
	wantContains(t, responseText(r), "Before you save", "cron meets on a day that matches **either**", "not the first Tuesday")
	if h.circle("Cron circle").Schedule.Cron != "0 19 * * 2" {
		t.Fatal("a warned proposal was saved without Save")
	}
}

// /circle skip session: skips the chosen upcoming session, not only the
// next; a value not among them (the client's to forge) is refused.
func TestSkipChosenSession(t *testing.T) {
	t.Parallel()
	O := discordsim.O
	h := newHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Skippers", O("weekday", "Tuesday"), O("time", "19:00"), O("timezone", "Europe/Berlin"))
	c := h.circle("Skippers")
	choices, err := h.sim.Autocomplete(h.ctx, h.fac, h.guild, "circle skip", "session", "", O("circle", "Skippers"))
	if err != nil || len(choices) < 3 {
		t.Fatalf("session choices %v, %v", choices, err)
	}
	wantContains(t, choices[0].Name, "Tue 1 Dec 2026, 19:00 (Europe/Berlin) — the next one")
	second := berlinUnix(t, 2026, 12, 8, 19, 0)
	if choices[1].Value != second {
		t.Fatalf("second choice %+v, want %s", choices[1], second)
	}
	// Another facilitator's circle offers nothing to someone who doesn't run it.
	if other, _ := h.sim.Autocomplete(h.ctx, h.fac2, h.guild, "circle skip", "session", "", O("circle", "Skippers")); len(other) != 0 {
		t.Fatalf("fac2 sees %v", other)
	}

	r := h.run(h.fac, "circle skip", O("circle", "Skippers"), O("session", second))
	wantContains(t, r.Content, "Skipped the session of **Skippers** on <t:"+second, "The next one is <t:"+berlinUnix(t, 2026, 12, 1, 19, 0))
	text := responseText(h.run(h.fac, "circle schedule", O("circle", "Skippers")))
	if got := facTimestamps(text); len(got) != 3 || got[0] != berlinUnix(t, 2026, 12, 1, 19, 0) || got[1] != berlinUnix(t, 2026, 12, 15, 19, 0) {
		t.Fatalf("after skipping the second: %v", got)
	}
	if p := h.facPlanned(c.ID); len(p) == 0 || facItoa(p[0].Start.Unix()) != berlinUnix(t, 2026, 12, 1, 19, 0) {
		t.Fatalf("the next session is no longer planned: %+v", p)
	}
	for _, forged := range []string{berlinUnix(t, 2026, 12, 2, 19, 0), "x", "-1"} {
		wantContains(t, h.run(h.fac, "circle skip", O("circle", "Skippers"), O("session", forged)).Content, "isn't one of the next sessions")
	}
}
