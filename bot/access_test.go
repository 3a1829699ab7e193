package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// saveGuidelines saves new guidelines of c through /circle guidelines and
// its modal, as user, and returns the reply.
func (h *harness) saveGuidelines(user string, c circles.Circle, text string) *discordsim.Response {
	h.t.Helper()
	r := h.run(user, "circle guidelines", discordsim.O("circle", circlePick(c)))
	if r.Modal == nil {
		h.t.Fatalf("no guidelines modal: %q", r.Content)
	}
	r, err := h.sim.SubmitModal(h.ctx, user, h.guild, h.sim.GeneralChannelID(h.guild), r.Modal.CustomID, map[string]string{r.Modal.Inputs[0].CustomID: text})
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// dmsContaining counts the DMs to user that contain part.
func (h *harness) dmsContaining(user, part string) int {
	n := 0
	for _, m := range h.sim.DMs(user) {
		if strings.Contains(m.Content, part) {
			n++
		}
	}
	return n
}

// TestAccessGuidelinesChangeMidSession: guidelines saved during a session
// take nobody out of it. Whoever agreed to the version it opened under
// keeps access through its prompts, warning and close, and isn't asked
// anything meanwhile; the next session lets them in only once they agree
// to the new version, and asks them by DM when it opens.
func TestAccessGuidelinesChangeMidSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s := h.lcCircle("Night owls", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Prompts = []string{"One?", "Two?", "Three?"} })
	speaker, listener := h.members[0], h.members[1]
	h.lcJoin(c, speaker, circles.ModeMember)
	h.lcJoin(c, listener, circles.ModeListener)

	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	if s.ChannelID == "" {
		t.Fatal("the session didn't open")
	}
	if s.GuidelinesVersion == 0 {
		// What the lifecycle records when it opens a session.
		if _, err := h.store.UpdateSession(h.ctx, s.ID, func(cur *circles.Session) error {
			cur.GuidelinesVersion = c.Guidelines.Version
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	dms := len(h.sim.DMs(speaker)) + len(h.sim.DMs(listener))

	r := h.saveGuidelines(h.fac, c, circles.DefaultGuidelines+"\n7. Cameras off.")
	wantContains(t, r.Content, "version 2", "2 members will be asked to agree to the new guidelines before their next session; anyone in a session now stays until it ends")

	inSession := func(when string, canSend bool) {
		t.Helper()
		if !h.sim.CanView(speaker, s.ChannelID) || h.sim.CanSend(speaker, s.ChannelID) != canSend {
			t.Fatalf("%s: the member who agreed to v1 can view=%v send=%v", when, h.sim.CanView(speaker, s.ChannelID), h.sim.CanSend(speaker, s.ChannelID))
		}
		if !h.sim.CanView(listener, s.ChannelID) || h.sim.CanSend(listener, s.ChannelID) {
			t.Fatalf("%s: the listener who agreed to v1 can view=%v send=%v", when, h.sim.CanView(listener, s.ChannelID), h.sim.CanSend(listener, s.ChannelID))
		}
	}
	inSession("right after the change", true)
	// Every prompt and the warning re-sync access first.
	for at := s.Start.Add(5 * time.Minute); at.Before(s.End); at = at.Add(5 * time.Minute) {
		h.lcAt(at)
		inSession(at.Sub(s.Start).String()+" in", true)
	}
	if got := h.lcSession(s.ID); got.PromptsPosted != 3 || !got.WarningSent {
		t.Fatalf("prompts %d, warning %v: the session didn't run its course", got.PromptsPosted, got.WarningSent)
	}
	h.lcAt(s.End)
	if got := h.lcSession(s.ID); got.ClosedAt.IsZero() {
		t.Fatalf("not closed: %+v", got)
	}
	inSession("after the close", false)
	if n := len(h.sim.DMs(speaker)) + len(h.sim.DMs(listener)); n != dms {
		t.Fatalf("%d DMs during the session; nobody needed asking", n-dms)
	}

	// The next session opens under version 2: consent to version 1 no
	// longer lets them in, and they're asked to agree.
	next, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}, Limit: 1})
	if err != nil || len(next) != 1 {
		t.Fatalf("next session: %+v %v", next, err)
	}
	h.lcAt(next[0].Start)
	n := h.lcSession(next[0].ID)
	if n.ChannelID == "" {
		t.Fatal("the next session didn't open")
	}
	for _, u := range []string{speaker, listener} {
		if h.sim.CanView(u, n.ChannelID) {
			t.Errorf("%s sees the next session without agreeing to version 2", u)
		}
		if h.dmsContaining(u, "has just started") != 1 || !strings.Contains(lcLastDM(t, h, u).Content, "version 2") {
			t.Errorf("%s wasn't asked to agree to version 2: %+v", u, h.sim.DMs(u))
		}
	}
	// Agreeing lets them in.
	dm := lcLastDM(t, h, speaker)
	h.click(speaker, dm.ChannelID, dm.ID, dm.Buttons(), "reconsent", "")
	if !h.sim.CanSend(speaker, n.ChannelID) {
		t.Fatal("agreeing to version 2 didn't let the member in")
	}
}

// TestAccessPromotedWithStaleConsent: someone who waited while the
// guidelines changed gets the seat a leaver frees, but their old consent
// doesn't open the session to them: instead of "you're in" they're asked
// to agree to the new version, and agreeing lets them in.
func TestAccessPromotedWithStaleConsent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c, a, w := h.memberFullCircle(false)
	h.saveGuidelines(h.fac, c, "Be kind. New rule.")
	for _, u := range []string{h.members[9], a} {
		wantContains(t, h.memberJoin(u, c, circles.ModeMember).Content, "version 2) is recorded")
	}
	ch := h.memberOpenSession(c)

	h.clickOn(a, h.run(a, "leave", discordsim.O("circle", circlePick(c))), "leave", "confirm")
	if m := h.memberStatus(c, w); m.Status != circles.StatusActive || m.ConsentVersion != 1 {
		t.Fatalf("promoted: %+v", m)
	}
	if h.sim.CanView(w, ch) {
		t.Fatal("consent to version 1 opened a session of version 2")
	}
	if n := h.dmsContaining(w, "you're in now"); n != 0 {
		t.Fatalf("told they're in, but they can't get in: %+v", h.sim.DMs(w))
	}
	dm := lcLastDM(t, h, w)
	wantContains(t, dm.Content, "seat opened up in **Grief circle**", "please read version 2 below and agree")
	h.click(w, dm.ChannelID, dm.ID, dm.Buttons(), "reconsent", "")
	if !h.sim.CanSend(w, ch) {
		t.Fatal("agreeing didn't let the promoted member in")
	}
}
