package bot_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

func TestPrivacyExportAndDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.memberSetup()
	grief := h.memberCircle("Grief circle", 2, true)
	quiet := h.memberCircle("Quiet circle", 4, true)
	ch := h.memberOpenSession(grief)
	me, other, waiting := h.members[0], h.members[1], h.members[2]
	h.memberJoin(me, grief, circles.ModeMember)
	h.memberJoin(other, grief, circles.ModeMember)
	h.memberJoin(waiting, grief, circles.ModeMember)
	h.memberJoin(me, quiet, circles.ModeListener)
	h.memberJoin(other, quiet, circles.ModeMember)
	next, _ := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: quiet.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if _, err := h.store.SetRSVP(h.ctx, h.guild, next[0].ID, me, circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Export: a JSON file with the ledger and what is never stored.
	r := h.run(me, "privacy export")
	if !r.Ephemeral || len(r.Attachments) != 1 || r.Attachments[0].Name != "circlebot-export-"+me+".json" {
		t.Fatalf("export: %+v", r)
	}
	wantContains(t, r.Content, "2 memberships", "2 consent records", "1 RSVP", "never stores")
	var x circles.UserExport
	if err := json.Unmarshal(r.Attachments[0].Data, &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, r.Attachments[0].Data)
	}
	var raw map[string]any
	_ = json.Unmarshal(r.Attachments[0].Data, &raw)
	if _, ok := raw["not_stored"]; !ok || len(x.NotStored) == 0 {
		t.Fatalf("export lacks not_stored: %s", r.Attachments[0].Data)
	}
	if x.UserID != me || len(x.Consents) != 2 || x.Consents[0].GuidelinesVersion != 1 || len(x.Memberships) != 2 || len(x.RSVPs) != 1 {
		t.Fatalf("export %+v", x)
	}
	wantContains(t, string(r.Attachments[0].Data), `"consent_ledger"`, "\n  ")
	r = h.run(me, "privacy export", O("scope", "all"))
	wantContains(t, r.Content, "in every server we share")

	// The sole facilitator of a circle must hand it over first; nothing is deleted.
	r = h.run(h.fac, "privacy delete")
	r = h.clickOn(h.fac, r, "privacy-delete", "guild")
	wantContains(t, r.Content, "only facilitator of Grief circle, Quiet circle", "nothing was deleted")
	if c := h.circle("Grief circle"); !c.IsFacilitator(h.fac) {
		t.Fatal("refused erasure changed facilitators")
	}

	// Someone else's delete button is refused.
	got := h.memberClickAs(other, h.guild, bot.CustomID{Action: "privacy-delete", GuildID: h.guild, UserID: me, Arg: "guild"})
	wantContains(t, got, "belongs to someone else")
	if m := h.memberStatus(grief, me); m.Status != circles.StatusActive {
		t.Fatal("forged erasure deleted something")
	}

	r = h.run(me, "privacy delete")
	wantContains(t, r.Content, "Erase everything", "can't be undone")
	r = h.clickOn(me, r, "privacy-delete", "guild")
	wantContains(t, r.Content, "erased 2 memberships, 2 consent records, 1 RSVP")
	x, err := h.store.ExportUser(h.ctx, "", me, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Memberships)+len(x.Consents)+len(x.RSVPs)+len(x.FacilitatorOf)+len(x.Circles) != 0 {
		t.Fatalf("data left after erasure: %+v", x)
	}
	if ledger, _ := h.store.ConsentLedger(h.ctx, grief.ID, me); len(ledger) != 0 {
		t.Fatalf("ledger left: %+v", ledger)
	}
	if h.sim.CanView(me, ch) {
		t.Fatal("erased member still sees the session channel")
	}
	// The waitlist moved up, and the other member is untouched.
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(waiting)) > 0 }); err != nil {
		t.Fatal(err)
	}
	if m := h.memberStatus(grief, waiting); m.Status != circles.StatusActive || !h.sim.CanView(waiting, ch) {
		t.Fatalf("waitlisted after erasure: %+v", m)
	}
	ox, _ := h.store.ExportUser(h.ctx, h.guild, other, h.clock.Now())
	if len(ox.Memberships) != 2 || len(ox.Consents) != 2 || !h.sim.CanView(other, ch) {
		t.Fatalf("other user's data changed: %+v", ox)
	}
	h.wantNoPings()
}

// /privacy with scope: the same person in circles of two servers. "This
// server" touches only the server it runs in, "All servers" both; Cancel
// touches nothing.
func TestPrivacyScopeAcrossServers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.memberSetup()
	me := h.members[0]
	grief := h.memberCircle("Grief circle", 4, true)
	here := h.memberOpenSession(grief)
	h.memberJoin(me, grief, circles.ModeMember)

	other := h.sim.AddGuild("Second harbour", h.admin)
	h.sim.AddMember(other, me)
	h.secondGuildReady(other)
	g2, err := h.store.GuildSettings(h.ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	oc := circles.NewCircle(other, "Harbour two", circles.KindPeer, circles.Weekly(time.Thursday, 18, 0, "Europe/Berlin", time.Hour), h.admin, h.clock.Now())
	if err := h.store.CreateCircle(h.ctx, &oc); err != nil {
		t.Fatal(err)
	}
	there := h.sim.AddChannel(other, discordgo.ChannelTypeGuildText, "harbour-two-now", g2.CategoryID)
	now := h.clock.Now()
	if _, _, err := h.store.EnsureSession(h.ctx, circles.Session{GuildID: other, CircleID: oc.ID, Start: now.Add(-5 * time.Minute),
		End: now.Add(time.Hour), State: circles.SessionOpen, ChannelID: there, OpenedAt: now}); err != nil {
		t.Fatal(err)
	}
	r, err := h.sim.RunCommand(h.ctx, me, other, "join", O("circle", circlePick(oc)))
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, h.clickOn(me, r, "join", "member").Content, "Welcome to **Harbour two**")
	if !h.sim.CanView(me, here) || !h.sim.CanView(me, there) {
		t.Fatal("no access to both session channels")
	}

	export := func(opts ...discordsim.Opt) circles.UserExport {
		t.Helper()
		r := h.run(me, "privacy export", opts...)
		if len(r.Attachments) != 1 {
			t.Fatalf("export without a file: %+v", r)
		}
		var x circles.UserExport
		if err := json.Unmarshal(r.Attachments[0].Data, &x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	guildsOf := func(x circles.UserExport) string {
		var gs []string
		for _, m := range x.Memberships {
			gs = append(gs, m.GuildID)
		}
		for _, c := range x.Consents {
			gs = append(gs, c.GuildID)
		}
		slices.Sort(gs)
		return strings.Join(slices.Compact(gs), ",")
	}
	both := strings.Join(slices.Sorted(slices.Values([]string{h.guild, other})), ",")
	if x := export(O("scope", "all")); guildsOf(x) != both || len(x.Memberships) != 2 || len(x.Consents) != 2 {
		t.Fatalf("export scope:all covers %s, want %s: %+v", guildsOf(x), both, x)
	}
	if x := export(); guildsOf(x) != h.guild || len(x.Memberships) != 1 {
		t.Fatalf("export of this server covers %s: %+v", guildsOf(x), x)
	}

	// Cancel changes nothing.
	guilds, users := []string{h.guild, other}, []string{me}
	before := h.snapshot(guilds, users)
	r = h.run(me, "privacy delete", O("scope", "all"))
	wantContains(t, r.Content, "in every server we share")
	wantContains(t, h.clickOn(me, r, "cancel", "").Content, "nothing changed")
	h.wantUnchanged("cancelled erasure", before, guilds, users)

	// This server only.
	r = h.clickOn(me, h.run(me, "privacy delete"), "privacy-delete", "guild")
	wantContains(t, r.Content, "erased 1 membership", "in this server")
	if x := export(O("scope", "all")); guildsOf(x) != other || len(x.Memberships) != 1 {
		t.Fatalf("after erasing this server, left %s: %+v", guildsOf(x), x)
	}
	if h.sim.CanView(me, here) || !h.sim.CanView(me, there) {
		t.Fatalf("access after erasing this server: here %v, there %v", h.sim.CanView(me, here), h.sim.CanView(me, there))
	}

	// All servers.
	h.memberJoin(me, grief, circles.ModeMember)
	r = h.clickOn(me, h.run(me, "privacy delete", O("scope", "all")), "privacy-delete", "all")
	wantContains(t, r.Content, "erased 2 memberships, 2 consent records", "in every server we share")
	x, err := h.store.ExportUser(h.ctx, "", me, h.clock.Now())
	if err != nil || len(x.Memberships)+len(x.Consents)+len(x.RSVPs) != 0 {
		t.Fatalf("data left after erasing everywhere: %+v %v", x, err)
	}
	if h.sim.CanView(me, here) || h.sim.CanView(me, there) {
		t.Fatal("access left after erasing everywhere")
	}
}

// A co-facilitator who erases their data stops being a facilitator, and
// with that loses the open session's channel at once; the sole
// facilitator is refused and keeps theirs.
func TestPrivacyDeleteCoFacilitatorLosesSessionAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c := h.memberCircle("Grief circle", 4, true)
	wantContains(t, h.run(h.fac, "circle edit", discordsim.O("circle", circlePick(c)), discordsim.O("add_facilitator", h.fac2)).Content, "added facilitator")
	ch := h.memberOpenSession(c)
	if err := h.bot.SyncAccess(h.ctx, h.circle("Grief circle"), h.openSessionOf(c)); err != nil {
		t.Fatal(err)
	}
	if !h.sim.CanSend(h.fac2, ch) {
		t.Fatal("the co-facilitator can't write in the session")
	}

	r := h.clickOn(h.fac2, h.run(h.fac2, "privacy delete"), "privacy-delete", "guild")
	wantContains(t, r.Content, "1 facilitator place")
	if h.circle("Grief circle").IsFacilitator(h.fac2) {
		t.Fatal("still a facilitator after erasure")
	}
	if h.sim.CanView(h.fac2, ch) {
		t.Fatal("the erased co-facilitator still sees the open session")
	}

	r = h.clickOn(h.fac, h.run(h.fac, "privacy delete"), "privacy-delete", "guild")
	wantContains(t, r.Content, "only facilitator of Grief circle")
	if !h.sim.CanSend(h.fac, ch) {
		t.Fatal("the refused erasure took the facilitator's access")
	}
}

// openSessionOf returns c's open session.
func (h *harness) openSessionOf(c circles.Circle) circles.Session {
	h.t.Helper()
	open, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(open) != 1 {
		h.t.Fatalf("open sessions of %s: %+v %v", c.Name, open, err)
	}
	return open[0]
}

// A member a facilitator removed can't undo the removal by erasing their
// data: /privacy delete says beforehand and afterwards that a minimal
// record of the removal stays, /privacy export shows it, rejoining is
// refused until a facilitator lifts it, and then works.
func TestPrivacyDeleteKeepsTheRemoval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c := h.memberCircle("Grief circle", 4, true)
	m := h.members[0]
	h.memberJoin(m, c, circles.ModeMember)
	wantContains(t, h.run(h.fac, "circle remove", discordsim.O("circle", circlePick(c)), discordsim.O("member", m)).Content, "Removed")

	r := h.run(m, "privacy delete")
	wantContains(t, r.Content, "One thing stays: if a facilitator removed you from a circle", "your user ID, the circle and when", "until a facilitator lifts it")
	r = h.clickOn(m, r, "privacy-delete", "guild")
	wantContains(t, r.Content, "erased 0 memberships, 2 consent records", "removed you from 1 circle: I kept a minimal record of the removal", "Nothing else about you is left")
	if ledger, _ := h.store.ConsentLedger(h.ctx, c.ID, m); len(ledger) != 0 {
		t.Fatalf("ledger left after erasure: %+v", ledger)
	}
	r = h.run(m, "privacy export")
	wantContains(t, r.Content, "1 membership, 0 consent records", "1 of the memberships is a removal by a facilitator")
	var x circles.UserExport
	if err := json.Unmarshal(r.Attachments[0].Data, &x); err != nil || len(x.Memberships) != 1 || x.Memberships[0].Status != circles.StatusRemoved {
		t.Fatalf("export: %+v %v", x, err)
	}

	wantContains(t, h.run(m, "join", discordsim.O("circle", circlePick(c))).Content, "A facilitator removed you from Grief circle")
	if st := h.memberStatus(c, m); st.Status != circles.StatusRemoved {
		t.Fatalf("after erasure: %+v", st)
	}
	wantContains(t, h.run(h.fac, "circle remove", discordsim.O("circle", circlePick(c)), discordsim.O("member", m), discordsim.O("lift", true)).Content, "Lifted")
	wantContains(t, h.memberJoin(m, c, circles.ModeMember).Content, "Welcome to **Grief circle**")
}
