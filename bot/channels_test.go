package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// TestSessionChannelDeletedByHand: someone deletes a live session's channel
// in Discord. The bot notices (CHANNEL_DELETE), marks the session ended,
// tells the facilitators once, /join stops pointing at the channel, and
// /circle open makes a new one.
func TestSessionChannelDeletedByHand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s := h.lcOpened("Grief circle")
	if text := responseText(h.run(h.members[1], "circles")); !strings.Contains(text, "<#"+s.ChannelID+">") {
		t.Fatalf("/circles doesn't show the open session's channel: %q", text)
	}
	h.sim.DeleteChannel(s.ChannelID) // an admin, by hand
	if err := h.sim.WaitFor(h.ctx, func() bool { return h.lcSession(s.ID).ChannelLost }); err != nil {
		t.Fatalf("the bot never noticed: %+v", h.lcSession(s.ID))
	}
	got := h.lcSession(s.ID)
	if got.State != circles.SessionDeleted || got.ClosedAt.IsZero() || !got.DueAt.IsZero() {
		t.Fatalf("session after its channel was deleted: %+v", got)
	}
	if err := h.sim.WaitFor(h.ctx, func() bool {
		return h.lcDMsWith(h.fac, "was deleted in Discord", "**Grief circle**", "/circle open") == 1
	}); err != nil {
		t.Fatalf("facilitator DMs %+v", h.sim.DMs(h.fac))
	}
	if text := responseText(h.run(h.members[1], "circles")); strings.Contains(text, "<#"+s.ChannelID+">") {
		t.Fatalf("/circles points at the deleted channel: %q", text)
	}
	if text := responseText(h.run(h.members[1], "join", discordsim.O("circle", c.Name))); strings.Contains(text, "<#"+s.ChannelID+">") {
		t.Fatalf("/join points at the deleted channel: %q", text)
	}
	h.lcAt(s.Start.Add(5 * time.Minute))
	r := h.run(h.fac, "circle open", discordsim.O("circle", c.Name))
	wantContains(t, r.Content, "Opened a session")
	if strings.Contains(r.Content, s.ChannelID) {
		t.Fatalf("/circle open points at the deleted channel: %q", r.Content)
	}
	open, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(open) != 1 || open[0].ChannelID == "" || open[0].ChannelID == s.ChannelID {
		t.Fatalf("open sessions after /circle open: %+v %v", open, err)
	}
	if !h.sim.CanSend(h.members[0], open[0].ChannelID) {
		t.Fatal("the member can't write in the new session's channel")
	}
	if n := h.lcDMsWith(h.fac, "was deleted in Discord"); n != 1 {
		t.Fatalf("told %d times", n)
	}
}

// TestSessionChannelDeletedWhileOffline: a channel deleted while the bot was
// down is found at the next GUILD_CREATE.
func TestSessionChannelDeletedWhileOffline(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	_, s := h.lcOpened("Quiet circle")
	h.stop()
	h.sim.DeleteChannel(s.ChannelID)
	h.start()
	if err := h.sim.WaitFor(h.ctx, func() bool { return h.lcSession(s.ID).ChannelLost }); err != nil {
		t.Fatalf("the bot never noticed: %+v", h.lcSession(s.ID))
	}
	if err := h.sim.WaitFor(h.ctx, func() bool { return h.lcDMsWith(h.fac, "was deleted in Discord") == 1 }); err != nil {
		t.Fatalf("facilitator DMs %+v", h.sim.DMs(h.fac))
	}
}

// TestStuckOpenCloseAndFinish: an open that made its channel but can't
// post the guidelines (Discord refuses every message) never lets anyone in
// and never reaches open. /circle close ends it; on another such session,
// once Discord is back, /circle open finishes it instead of starting a
// second one.
func TestStuckOpenCloseAndFinish(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.lcFaults()
	h.lcSetup(24, 0)
	refuseMessages := func(_ int, r *http.Request) fault {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") && !strings.Contains(r.URL.Path, "/webhooks/") {
			return failBefore
		}
		return pass
	}
	stuck := func(name string, day time.Weekday) (circles.Circle, circles.Session) {
		t.Helper()
		c, s := h.lcCircle(name, day, 14, 0, nil)
		h.lcJoin(c, h.members[0], circles.ModeMember)
		f.set(refuseMessages)
		h.lcAt(s.Start)
		got := h.lcSession(s.ID)
		if got.State != circles.SessionPlanned || got.ChannelID == "" || h.sim.CanSend(h.members[0], got.ChannelID) {
			t.Fatalf("%s: want a channel made, read-only: %+v", name, got)
		}
		return c, got
	}

	c, s := stuck("Stuck", time.Wednesday)
	r := h.run(h.fac, "circle close", discordsim.O("circle", c.Name))
	wantContains(t, r.Content, "Closed the session of **Stuck**")
	got := h.lcSession(s.ID)
	if got.State != circles.SessionClosed || h.sim.CanSend(h.members[0], s.ChannelID) {
		t.Fatalf("after /circle close: %+v", got)
	}
	f.set(nil)
	for _, m := range h.sim.Messages(s.ChannelID) {
		if strings.Contains(m.Content, "This session has ended") {
			t.Fatal("a closing note in a channel nobody was let into")
		}
	}

	c2, s2 := stuck("Stuck again", time.Thursday)
	f.set(nil)
	r = h.run(h.fac, "circle open", discordsim.O("circle", c2.Name))
	wantContains(t, r.Content, "Opened a session of **Stuck again**", "<#"+s2.ChannelID+">")
	got = h.lcSession(s2.ID)
	if got.State != circles.SessionOpen || !h.sim.CanSend(h.members[0], s2.ChannelID) {
		t.Fatalf("after /circle open: %+v", got)
	}
	all, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c2.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range all {
		if x.ID != s2.ID && x.State == circles.SessionOpen {
			t.Fatalf("a second session opened: %+v", x)
		}
	}
	if !h.lcGoing(s2.ID, h.fac) {
		t.Fatal("the facilitator who finished the open is not counted present")
	}
}
