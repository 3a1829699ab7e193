package circles_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

var t0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

func testCircle(capacity, listenerCap int) circles.Circle {
	c := circles.NewCircle("g1", "Grief circle", circles.KindPeer,
		circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour), "fac", t0)
	c.ID = 7
	c.Capacity = capacity
	c.ListenerCap = listenerCap
	return c
}

func join(mode circles.Mode, version int) circles.JoinRequest {
	return circles.JoinRequest{GuildID: "g1", CircleID: 7, UserID: "u1", Mode: mode, GuidelinesVersion: version}
}

func TestErrorsAreSafeToShow(t *testing.T) {
	err := circles.Errorf(circles.EConflict, "Already in %s.", "X")
	if circles.ErrorCode(err) != circles.EConflict || circles.ErrorMessage(err) != "Already in X." {
		t.Fatalf("code %q message %q", circles.ErrorCode(err), circles.ErrorMessage(err))
	}
	raw := errors.New("sqlite: disk I/O error at /var/secret/path")
	if circles.ErrorCode(raw) != circles.EInternal || strings.Contains(circles.ErrorMessage(raw), "secret") {
		t.Fatalf("an unexpected error leaked: %q", circles.ErrorMessage(raw))
	}
	wrapped := circles.Internal(raw)
	if !errors.Is(wrapped, raw) || strings.Contains(circles.ErrorMessage(wrapped), "sqlite") {
		t.Fatal("Internal must keep the cause for logs but not show it")
	}
	if circles.ErrorCode(nil) != "" || circles.ErrorMessage(nil) != "" {
		t.Fatal("nil error must have no code or message")
	}
}

func TestDecideJoin(t *testing.T) {
	c := testCircle(2, 1)
	active := func(mode circles.Mode, v int) *circles.Membership {
		return &circles.Membership{Mode: mode, Status: circles.StatusActive, ConsentVersion: v}
	}
	tests := []struct {
		name   string
		mutate func(*circles.Circle)
		prev   *circles.Membership
		seats  circles.SeatCounts
		req    circles.JoinRequest
		want   circles.MemberStatus
		code   circles.Code
	}{
		{name: "consent to the current version seats a member", req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "consent to an old version is refused", req: join(circles.ModeMember, 0), code: circles.EConflict},
		{name: "consent to a future version is refused", req: join(circles.ModeMember, 2), code: circles.EConflict},
		{name: "a full circle waitlists", seats: circles.SeatCounts{Members: 2}, req: join(circles.ModeMember, 1), want: circles.StatusWaitlisted},
		{name: "listeners don't use speaking seats", seats: circles.SeatCounts{Listeners: 1}, req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "capacity counts members, not listeners", seats: circles.SeatCounts{Members: 1, Listeners: 1}, req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "members don't use listener seats", seats: circles.SeatCounts{Members: 2}, req: join(circles.ModeListener, 1), want: circles.StatusActive},
		{name: "full listener seats waitlist a listener", seats: circles.SeatCounts{Listeners: 1}, req: join(circles.ModeListener, 1), want: circles.StatusWaitlisted},
		{name: "listeners not allowed", mutate: func(c *circles.Circle) { c.ListenersAllowed = false }, req: join(circles.ModeListener, 1), code: circles.EConflict},
		{name: "no listener seats", mutate: func(c *circles.Circle) { c.ListenerCap = 0 }, req: join(circles.ModeListener, 1), code: circles.EConflict},
		{name: "no listener seats: a member still joins", mutate: func(c *circles.Circle) { c.ListenerCap = 0 }, req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "listeners turned off: a listener renews consent in their seat", mutate: func(c *circles.Circle) { c.ListenersAllowed = false; c.Guidelines.Version = 2 }, prev: active(circles.ModeListener, 1), seats: circles.SeatCounts{Listeners: 1}, req: join(circles.ModeListener, 2), want: circles.StatusActive},
		{name: "listeners turned off: a listener moves to a speaking seat", mutate: func(c *circles.Circle) { c.ListenersAllowed = false }, prev: active(circles.ModeListener, 1), seats: circles.SeatCounts{Listeners: 1}, req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "listeners turned off: a waitlisted listener can't renew into a dead waitlist", mutate: func(c *circles.Circle) { c.ListenersAllowed = false; c.Guidelines.Version = 2 }, prev: &circles.Membership{Mode: circles.ModeListener, Status: circles.StatusWaitlisted, ConsentVersion: 1}, req: join(circles.ModeListener, 2), code: circles.EConflict},
		{name: "archived circle", mutate: func(c *circles.Circle) { c.Archived = true }, req: join(circles.ModeMember, 1), code: circles.EConflict},
		{name: "bad mode", req: join("speaker", 1), code: circles.EInvalid},
		{name: "removed member can't rejoin", prev: &circles.Membership{Status: circles.StatusRemoved}, req: join(circles.ModeMember, 1), code: circles.EForbidden},
		{name: "removed member can't rejoin as listener either", prev: &circles.Membership{Status: circles.StatusRemoved}, req: join(circles.ModeListener, 1), code: circles.EForbidden},
		{name: "left member may rejoin", prev: &circles.Membership{Status: circles.StatusLeft}, req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "already a member", prev: active(circles.ModeMember, 1), seats: circles.SeatCounts{Members: 1}, req: join(circles.ModeMember, 1), code: circles.EConflict},
		{name: "already waitlisted", prev: &circles.Membership{Mode: circles.ModeMember, Status: circles.StatusWaitlisted, ConsentVersion: 1}, req: join(circles.ModeMember, 1), code: circles.EConflict},
		{name: "stale waitlisted member renews consent", mutate: func(c *circles.Circle) { c.Guidelines.Version = 2 }, prev: &circles.Membership{Mode: circles.ModeMember, Status: circles.StatusWaitlisted, ConsentVersion: 1}, seats: circles.SeatCounts{Members: 2}, req: join(circles.ModeMember, 2), want: circles.StatusWaitlisted},
		{name: "stale member renews consent", mutate: func(c *circles.Circle) { c.Guidelines.Version = 2 }, prev: active(circles.ModeMember, 1), seats: circles.SeatCounts{Members: 2}, req: join(circles.ModeMember, 2), want: circles.StatusActive},
		{name: "listener switches to a free speaking seat", prev: active(circles.ModeListener, 1), seats: circles.SeatCounts{Members: 1, Listeners: 1}, req: join(circles.ModeMember, 1), want: circles.StatusActive},
		{name: "listener can't switch into a full circle", prev: active(circles.ModeListener, 1), seats: circles.SeatCounts{Members: 2, Listeners: 1}, req: join(circles.ModeMember, 1), code: circles.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c
			if tt.mutate != nil {
				tt.mutate(&c)
			}
			got, err := circles.DecideJoin(c, tt.prev, tt.seats, tt.req)
			if tt.code != "" {
				if circles.ErrorCode(err) != tt.code {
					t.Fatalf("err = %v, want code %s", err, tt.code)
				}
				if circles.ErrorMessage(err) == "" {
					t.Fatal("refusal without a message")
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// Listeners have their own seats, as many as the capacity unless a
// facilitator sets another number.
func TestListenerSeatsDefaultToCapacity(t *testing.T) {
	listener := join(circles.ModeListener, 1)
	for _, capacity := range []int{circles.MinCapacity, 6, 8, circles.DefaultCapacity, circles.MaxCapacity} {
		c := circles.NewCircle("g1", "Grief circle", circles.KindPeer,
			circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour), "fac", t0)
		c.Capacity = capacity
		if err := c.Validate(); err != nil {
			t.Fatalf("capacity %d: %v", capacity, err)
		}
		if got := c.ListenerSeats(); got != capacity {
			t.Errorf("capacity %d: %d listener seats, want %d", capacity, got, capacity)
		}
		if got, _ := circles.DecideJoin(c, nil, circles.SeatCounts{Listeners: capacity - 1}, listener); got != circles.StatusActive {
			t.Errorf("capacity %d: the last listener seat gave %q", capacity, got)
		}
		if got, _ := circles.DecideJoin(c, nil, circles.SeatCounts{Listeners: capacity}, listener); got != circles.StatusWaitlisted {
			t.Errorf("capacity %d: a listener beyond %d seats got %q", capacity, capacity, got)
		}
		if _, l := circles.SeatsFreed(c, circles.SeatCounts{}); l != capacity {
			t.Errorf("capacity %d: SeatsFreed gives %d listener seats", capacity, l)
		}
	}
	// A number set explicitly stands, 0 included; with 0 nobody joins as
	// a listener (not even onto a waitlist that could never move).
	for _, n := range []int{0, 3, circles.MaxCapacity} {
		c := testCircle(6, n)
		if err := c.Validate(); err != nil || c.ListenerSeats() != n {
			t.Errorf("ListenerCap %d: %d seats, %v", n, c.ListenerSeats(), err)
		}
		got, err := circles.DecideJoin(c, nil, circles.SeatCounts{Listeners: n}, listener)
		if n == 0 {
			if circles.ErrorCode(err) != circles.EConflict {
				t.Errorf("ListenerCap 0: a listener got %q, %v; want a refusal", got, err)
			}
		} else if got != circles.StatusWaitlisted {
			t.Errorf("ListenerCap %d: a listener beyond it got %q", n, got)
		}
	}
	for _, n := range []int{-2, circles.MaxCapacity + 1} {
		if err := testCircle(6, n).Validate(); circles.ErrorCode(err) != circles.EInvalid {
			t.Errorf("ListenerCap %d: Validate = %v, want invalid", n, err)
		}
	}
}

func TestAcceptsListeners(t *testing.T) {
	tests := []struct {
		name    string
		allowed bool
		cap     int
		want    bool
	}{
		{"allowed, seats as capacity", true, circles.ListenerCapAsCapacity, true},
		{"allowed, two seats", true, 2, true},
		{"allowed, no seats", true, 0, false},
		{"not allowed, seats", false, 2, false},
	}
	for _, tt := range tests {
		c := testCircle(6, tt.cap)
		c.ListenersAllowed = tt.allowed
		if got := c.AcceptsListeners(); got != tt.want {
			t.Errorf("%s: AcceptsListeners = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSeatsFreedServesEachModeSeparately(t *testing.T) {
	c := testCircle(3, 2)
	m, l := circles.SeatsFreed(c, circles.SeatCounts{Members: 2, Listeners: 2})
	if m != 1 || l != 0 {
		t.Fatalf("freed %d member, %d listener seats; want 1, 0", m, l)
	}
	c.ListenersAllowed = false
	if _, l := circles.SeatsFreed(c, circles.SeatCounts{}); l != 0 {
		t.Fatal("no listener seats when listeners are not allowed")
	}
	c.Archived = true
	if m, _ := circles.SeatsFreed(c, circles.SeatCounts{}); m != 0 {
		t.Fatal("an archived circle promotes nobody")
	}
}

func TestLeaveAndRemoveNeedAMembership(t *testing.T) {
	c := testCircle(10, 10)
	for _, m := range []*circles.Membership{nil, {Status: circles.StatusLeft}, {Status: circles.StatusRemoved}} {
		if circles.ErrorCode(circles.DecideLeave(c, m)) != circles.ENotFound {
			t.Errorf("leave with %+v should be not_found", m)
		}
		if circles.ErrorCode(circles.DecideRemove(c, m)) != circles.ENotFound {
			t.Errorf("remove of %+v should be not_found", m)
		}
	}
	for _, st := range []circles.MemberStatus{circles.StatusActive, circles.StatusWaitlisted} {
		if err := circles.DecideLeave(c, &circles.Membership{Status: st}); err != nil {
			t.Errorf("leave from %s: %v", st, err)
		}
		if err := circles.DecideRemove(c, &circles.Membership{Status: st}); err != nil {
			t.Errorf("remove from %s: %v", st, err)
		}
	}
	// An archived circle changes no more: nobody is removed from it (but
	// members may still leave it).
	c.Archived = true
	if err := circles.DecideRemove(c, &circles.Membership{Status: circles.StatusActive}); circles.ErrorCode(err) != circles.EConflict || !strings.Contains(circles.ErrorMessage(err), "archived") {
		t.Errorf("remove from an archived circle: %v", err)
	}
	if err := circles.DecideLeave(c, &circles.Membership{Status: circles.StatusActive}); err != nil {
		t.Errorf("leave an archived circle: %v", err)
	}
}

func TestConsentLedger(t *testing.T) {
	ev := func(id int64, v int, a circles.ConsentAction, at time.Time) circles.ConsentEvent {
		return circles.ConsentEvent{ID: id, CircleID: 7, UserID: "u1", GuidelinesVersion: v, Action: a, At: at}
	}
	c := testCircle(10, 10)
	if circles.ConsentIsCurrent(c, nil) {
		t.Fatal("no ledger means no consent")
	}
	given := []circles.ConsentEvent{ev(1, 1, circles.ConsentGiven, t0)}
	if !circles.ConsentIsCurrent(c, given) {
		t.Fatal("consent to the current version is current")
	}
	withdrawn := append(given, ev(2, 1, circles.ConsentWithdrawn, t0.Add(time.Minute)))
	if circles.ConsentIsCurrent(c, withdrawn) {
		t.Fatal("withdrawn consent is not current")
	}
	// Out of order input, same timestamp: the later ID wins.
	regiven := []circles.ConsentEvent{ev(4, 1, circles.ConsentGiven, t0.Add(2*time.Minute)), ev(3, 1, circles.ConsentWithdrawn, t0.Add(2*time.Minute))}
	if got, ok := circles.CurrentConsent(regiven); !ok || got.ID != 4 {
		t.Fatalf("latest event must win: %+v %v", got, ok)
	}
	// A guidelines change makes the earlier consent stale.
	if _, err := c.SetGuidelines("New rules: be kind."); err != nil {
		t.Fatal(err)
	}
	if c.Guidelines.Version != 2 || circles.ConsentIsCurrent(c, given) {
		t.Fatalf("version %d: old consent must be stale after a change", c.Guidelines.Version)
	}
	if !circles.ConsentIsCurrent(c, append(given, ev(5, 2, circles.ConsentGiven, t0.Add(time.Hour)))) {
		t.Fatal("consent to the new version is current")
	}
}

func TestSetGuidelines(t *testing.T) {
	c := testCircle(10, 10)
	if changed, _ := c.SetGuidelines(c.Guidelines.Text + "  "); changed || c.Guidelines.Version != 1 {
		t.Fatal("the same text is not a new version")
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", circles.MaxGuidelinesLength+1), "Hello @everyone"} {
		if changed, err := c.SetGuidelines(bad); changed || circles.ErrorCode(err) != circles.EInvalid || c.Guidelines.Version != 1 {
			t.Fatalf("%.20q: changed=%v err=%v version=%d", bad, changed, err, c.Guidelines.Version)
		}
	}
	long := strings.Repeat("é", circles.MaxGuidelinesLength) // runes, not bytes
	if changed, err := c.SetGuidelines(long); !changed || err != nil {
		t.Fatalf("4000 characters must be accepted: %v", err)
	}
}

func TestSessionAccessIsDerivedFromCurrentConsent(t *testing.T) {
	c := testCircle(10, 10)
	c.Facilitators = []string{"fac"}
	c.Guidelines.Version = 3
	m := func(user string, mode circles.Mode, st circles.MemberStatus, v int) circles.Membership {
		return circles.Membership{CircleID: c.ID, UserID: user, Mode: mode, Status: st, ConsentVersion: v}
	}
	members := []circles.Membership{
		m("speaker", circles.ModeMember, circles.StatusActive, 3),
		m("listener", circles.ModeListener, circles.StatusActive, 3),
		m("stale", circles.ModeMember, circles.StatusActive, 2),
		m("withdrawn", circles.ModeMember, circles.StatusActive, 0),
		m("waiting", circles.ModeMember, circles.StatusWaitlisted, 3),
		m("gone", circles.ModeMember, circles.StatusLeft, 3),
		m("removed", circles.ModeMember, circles.StatusRemoved, 3),
		{CircleID: 99, UserID: "other-circle", Mode: circles.ModeMember, Status: circles.StatusActive, ConsentVersion: 3},
	}
	grant, stale := circles.SessionAccess(c, circles.Session{}, members)
	got := map[string]circles.Role{}
	for _, a := range grant {
		got[a.UserID] = a.Role
	}
	want := map[string]circles.Role{"fac": circles.RoleFacilitator, "speaker": circles.RoleSpeaker, "listener": circles.RoleListener}
	if len(got) != len(want) {
		t.Fatalf("granted %v, want %v", got, want)
	}
	for u, r := range want {
		if got[u] != r {
			t.Errorf("%s: role %q, want %q", u, got[u], r)
		}
	}
	if strings.Join(stale, ",") != "stale,withdrawn" {
		t.Errorf("stale = %v", stale)
	}
}

func TestConsentGrantsAccess(t *testing.T) {
	tests := []struct {
		name                      string
		consent, session, current int
		want                      bool
	}{
		{"not opened yet: current consent", 2, 0, 2, true},
		{"not opened yet: stale consent", 1, 0, 2, false},
		{"no consent, not opened", 0, 0, 1, false},
		{"no consent, open session", 0, 1, 1, false},
		{"open under v1, changed to v2: v1 consent stays", 1, 1, 2, true},
		{"open under v1, changed to v2: v2 consent too", 2, 1, 2, true},
		{"open under v2: v1 consent is stale", 1, 2, 2, false},
		{"open under v3 after two changes: v2 is stale", 2, 3, 3, false},
		{"open under v2, changed twice more: v2 stays", 2, 2, 4, true},
	}
	for _, tt := range tests {
		if got := circles.ConsentGrantsAccess(tt.consent, tt.session, tt.current); got != tt.want {
			t.Errorf("%s: ConsentGrantsAccess(%d, %d, %d) = %v, want %v", tt.name, tt.consent, tt.session, tt.current, got, tt.want)
		}
	}
}

// A session keeps letting in whoever agreed to the guidelines it opened
// under, after a change mid-session.
func TestSessionAccessFollowsTheSessionsGuidelines(t *testing.T) {
	c := testCircle(10, 10)
	c.Guidelines.Version = 2 // changed during the session
	members := []circles.Membership{
		{CircleID: c.ID, UserID: "agreed-v1", Mode: circles.ModeMember, Status: circles.StatusActive, ConsentVersion: 1},
		{CircleID: c.ID, UserID: "agreed-v2", Mode: circles.ModeListener, Status: circles.StatusActive, ConsentVersion: 2},
	}
	grant, stale := circles.SessionAccess(c, circles.Session{GuidelinesVersion: 1}, members)
	if len(grant) != 3 || len(stale) != 0 {
		t.Fatalf("session opened under v1: grant %v stale %v", grant, stale)
	}
	grant, stale = circles.SessionAccess(c, circles.Session{GuidelinesVersion: 2}, members)
	if len(grant) != 2 || strings.Join(stale, ",") != "agreed-v1" {
		t.Fatalf("session opened under v2: grant %v stale %v", grant, stale)
	}
}

func TestCircleValidate(t *testing.T) {
	base := testCircle(10, 10)
	tests := []struct {
		name   string
		mutate func(*circles.Circle)
	}{
		{"empty name", func(c *circles.Circle) { c.Name = "  " }},
		{"long name", func(c *circles.Circle) { c.Name = strings.Repeat("a", 65) }},
		{"mention in name", func(c *circles.Circle) { c.Name = "hi <@123>" }},
		{"@everyone in name", func(c *circles.Circle) { c.Name = "@everyone circle" }},
		{"id prefix in name", func(c *circles.Circle) { c.Name = "ID:12" }},
		{"role mention in topic", func(c *circles.Circle) { c.Topic = "for <@&5>" }},
		{"capacity 1", func(c *circles.Circle) { c.Capacity = 1 }},
		{"capacity 26", func(c *circles.Circle) { c.Capacity = 26 }},
		{"bad kind", func(c *circles.Circle) { c.Kind = "therapy" }},
		{"no facilitator", func(c *circles.Circle) { c.Facilitators = nil }},
		{"bad zone", func(c *circles.Circle) { c.Schedule.TimeZone = "Mars/Olympus" }},
		{"local zone", func(c *circles.Circle) { c.Schedule.TimeZone = "Local" }},
		{"short session", func(c *circles.Circle) { c.Schedule.Duration = 10 * time.Minute }},
		{"bad hour", func(c *circles.Circle) { c.Schedule.Hour = 24 }},
		{"cron with 6 fields", func(c *circles.Circle) { c.Schedule.Cron = "0 0 19 * * TUE" }},
		{"too many prompts", func(c *circles.Circle) { c.Prompts = make([]string, 11) }},
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("base circle: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Facilitators = append([]string(nil), base.Facilitators...)
			tt.mutate(&c)
			err := c.Validate()
			if circles.ErrorCode(err) != circles.EInvalid || circles.ErrorMessage(err) == "" {
				t.Fatalf("want a clear invalid error, got %v", err)
			}
		})
	}
	if !circles.SameName("Grief Circle ", "grief circle") {
		t.Fatal("names compare case-insensitively")
	}
}

func TestParsing(t *testing.T) {
	for in, want := range map[string]time.Weekday{"Tuesday": time.Tuesday, "tue": time.Tuesday, "SUNDAYS": time.Sunday} {
		if got, err := circles.ParseWeekday(in); err != nil || got != want {
			t.Errorf("ParseWeekday(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := circles.ParseWeekday("Funday"); circles.ErrorCode(err) != circles.EInvalid {
		t.Error("Funday is not a weekday")
	}
	if h, m, err := circles.ParseClock("07:30"); err != nil || h != 7 || m != 30 {
		t.Errorf("07:30 → %d:%d %v", h, m, err)
	}
	for _, bad := range []string{"7pm", "24:00", "12:5", "12:60", ""} {
		if _, _, err := circles.ParseClock(bad); circles.ErrorCode(err) != circles.EInvalid {
			t.Errorf("ParseClock(%q) accepted", bad)
		}
	}
	prompts, err := circles.ParsePrompts("What brought you here?\n\n  How was your week?  \n")
	if err != nil || len(prompts) != 2 || prompts[1] != "How was your week?" {
		t.Fatalf("prompts %q %v", prompts, err)
	}
}

func TestSessionHelpers(t *testing.T) {
	start := t0
	end := start.Add(time.Hour)
	times := circles.PromptTimes(start, end, 3)
	if len(times) != 3 || !times[0].Equal(start) || !times[1].Equal(start.Add(55*time.Minute/3)) {
		t.Fatalf("prompt times %v", times)
	}
	if last := times[2]; !last.Before(end.Add(-circles.WarningLead)) {
		t.Fatalf("the last prompt %v must come before the warning", last)
	}
	s := circles.Session{ID: 42, Start: start, End: end}
	if !s.WarningTime().Equal(end.Add(-5 * time.Minute)) {
		t.Fatal("warning five minutes before the end")
	}
	if circles.SessionIDFromTopic("Private circle session. "+s.Marker()) != 42 || circles.SessionIDFromTopic("no marker") != 0 {
		t.Fatal("marker round trip")
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	late := time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC) // already the 26th in Berlin
	if got := circles.ChannelName("Grief & Loss — Circle!", late, berlin); got != "grief-loss-circle-2026-11-26" {
		t.Fatalf("channel name %q", got)
	}
	if got := circles.ChannelName("!!!", late, time.UTC); got != "circle-2026-11-25" {
		t.Fatalf("channel name %q", got)
	}
}

func TestManualClock(t *testing.T) {
	c := circles.NewManualClock(t0)
	if got := c.Advance(time.Hour); !got.Equal(t0.Add(time.Hour)) || !c.Now().Equal(got) {
		t.Fatal("advance")
	}
}

func TestFacilitatorPresent(t *testing.T) {
	c := testCircle(10, 10)
	if circles.FacilitatorPresent(c, []circles.RSVP{{UserID: "u1", Status: circles.RSVPGoing}, {UserID: "fac", Status: circles.RSVPSkip}}) {
		t.Fatal("a facilitator who skips is not present")
	}
	if !circles.FacilitatorPresent(c, []circles.RSVP{{UserID: "fac", Status: circles.RSVPGoing}}) {
		t.Fatal("a facilitator going is present")
	}
}

func TestGuildSettings(t *testing.T) {
	g := circles.GuildSettings{GuildID: "g", RetentionHours: 24, ReminderMinutes: 60}
	if g.Crisis() != circles.DefaultCrisisResources || g.Validate() != nil {
		t.Fatal("defaults")
	}
	for _, bad := range []circles.GuildSettings{
		{GuildID: "g", RetentionHours: -1}, {GuildID: "g", RetentionHours: 721},
		{GuildID: "g", ReminderMinutes: 10081}, {GuildID: "g", CrisisResources: strings.Repeat("x", 1501)}, {},
	} {
		if circles.ErrorCode(bad.Validate()) != circles.EInvalid {
			t.Errorf("%+v accepted", bad)
		}
	}
}
