package demo

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// The week after the first session: the facilitator's tools (roster,
// edit, guidelines, open/close, schedule, skip, remove, archive), a member
// planning ahead, people leaving and erasing their data, the admin's crisis
// text, and the bot leaving the server.

// guidelinesV2 is the line Fran adds to the default guidelines.
const guidelinesV2 = "7. Before sharing something that may be hard to read, start with a content note (CN: …) so others can choose."

// crisisText is the server's own crisis resources.
const crisisText = "**In an emergency, call 112.**\n" +
	"• TelefonSeelsorge (Germany, free, 24/7): 0800 111 0 111 or 0800 111 0 222\n" +
	"• Not in Germany? https://findahelpline.com lists lines in your country.\n" +
	"• Harbour Community's moderators: DM @Ada."

// hana is the member who wasn't in the circle on the first evening.
func (d *demo) hana() string { return d.member(5) }

// membership is user's membership of the sample circle, if any.
func (d *demo) membership(user string) (circles.Membership, bool) {
	c, err := d.store.CircleByName(d.ctx, d.guild, circleName)
	if err != nil {
		return circles.Membership{}, false
	}
	m, err := d.store.Membership(d.ctx, d.guild, c.ID, user)
	return m, err == nil
}

// status is user's membership status in the sample circle ("" for none).
func (d *demo) status(user string) circles.MemberStatus {
	m, _ := d.membership(user)
	return m.Status
}

// placeRows are access-table rows saying where each user stands in the
// sample circle now: facilitator, "member, agreed to v2", "removed"…
func (d *demo) placeRows(users ...string) []accessRow {
	c, _ := d.store.CircleByName(d.ctx, d.guild, circleName)
	rows := make([]accessRow, 0, len(users))
	for _, u := range users {
		m, ok := d.membership(u)
		place := "not in the circle"
		switch {
		case c.IsFacilitator(u):
			place = "facilitator"
		case ok && m.Status == circles.StatusActive:
			place = fmt.Sprintf("%s, agreed to v%d", m.Mode, m.ConsentVersion)
		case ok:
			place = string(m.Status)
		}
		rows = append(rows, accessRow{u, place})
	}
	return rows
}

func (d *demo) stepRoster() {
	d.advance(time.Date(2026, 12, 3, 10, 0, 0, 0, d.loc))
	d.printf("\n")
	d.join(d.member(6), "cancel", "Cancel", false)
	d.printf("\n")
	d.join(d.hana(), "member", "I agree — join", false)
	d.printf("\n")
	d.circleCmd(d.fran, "roster")
}

func (d *demo) stepRefusals() {
	d.circleCmd(d.femi, "edit", discordsim.O("capacity", 4))
	d.printf("\n")
	// Discord itself keeps /circle from members without Manage Channels
	// (its default permission), so the bot never hears of the attempt.
	hana := d.name(d.hana())
	d.printf("%s ▸ looks for /circle open\n", hana)
	r, err := d.sim.RunCommand(d.ctx, d.hana(), d.guild, "circle open", discordsim.O("circle", circleName))
	if err != nil {
		d.printf("  Discord ▸ doesn't offer /circle to %s: it is shown only to members with Manage Channels.\n", hana)
		d.note("(Had an admin shown it to everyone, circlebot would still refuse: it checks the facilitator role itself.)")
		return
	}
	d.answered++
	d.reply(d.hana(), r)
}

func (d *demo) stepEdit() {
	d.circleCmd(d.fran, "edit", discordsim.O("capacity", 4))
	d.printDMs(d.hana())
	if d.status(d.hana()) != circles.StatusActive {
		d.missing("a new seat did not promote the waitlist")
		return
	}
	d.note("\n%s moved up from the waitlist into the new seat.", d.name(d.hana()))
}

func (d *demo) stepGuidelines() {
	r := d.circleCmd(d.fran, "guidelines")
	if r == nil || r.Modal == nil || len(r.Modal.Inputs) == 0 {
		d.missing("/circle guidelines opened no form")
		return
	}
	d.printf("\n")
	d.submit(d.fran, r, func(in discordsim.TextInput) (string, bool) {
		return in.Value + "\n" + guidelinesV2, true
	})
	if c, err := d.store.CircleByName(d.ctx, d.guild, circleName); err == nil && c.Guidelines.Version == 2 {
		d.note("\nStored as version 2. Everyone agreed to version 1, so nobody sees the next session channel until they agree again.")
	}
}

func (d *demo) stepOpenNow() {
	d.advance(time.Date(2026, 12, 3, 19, 0, 0, 0, d.loc))
	d.printf("\n")
	if d.circleCmd(d.fran, "open") == nil {
		return
	}
	s, ok := d.firstSession(circles.SessionOpen)
	if !ok || s.ChannelID == "" {
		d.missing("/circle open opened no channel")
		return
	}
	d.sessionID, d.channelID = s.ID, s.ChannelID
	ch, _ := d.sim.Channel(s.ChannelID)
	d.labels[ch.ID] = "#" + ch.Name
	d.printf("\n")
	d.briefly(func() { d.printChannel(ch.ID) })
	ben, others := d.member(0), []string{d.member(1), d.member(3), d.member(4), d.hana()}
	people := append([]string{d.fran, ben}, d.member(1), d.member(4), d.hana())
	d.note("\nWho may see #%s:\n", ch.Name)
	d.accessTable(ch.ID, d.placeRows(people...))
	d.printf("\n")
	if d.printDMsLike(ben, others...) == 0 {
		d.missing("no re-consent DMs")
		return
	}
	agree := func(user string) {
		dms := d.sim.DMs(user)
		if len(dms) == 0 {
			return
		}
		m := dms[len(dms)-1]
		d.clickOn(user, m.ChannelID, m.ID, m.Buttons(), "reconsent", "", "I agree to version 2")
	}
	d.printf("\n")
	agree(ben)
	d.printf("\n")
	d.briefly(func() {
		agree(d.member(1))
		agree(d.member(4))
	})
	d.note("\nThe same channel a moment later:\n")
	d.accessTable(ch.ID, d.placeRows(people...))
	if d.sim.CanSend(ben, ch.ID) {
		d.facts["reconsent"] = "guidelines v2 agreed mid-session"
	}
}

func (d *demo) stepCloseNow() {
	if d.channelID == "" {
		d.note("(no open session)")
		return
	}
	d.advance(d.clock.Now().Add(25 * time.Minute))
	d.printChannel(d.channelID)
	d.printf("\n")
	d.circleCmd(d.fran, "close")
	d.printf("\n")
	d.printChannel(d.channelID)
	if s, ok := d.session(); !ok || s.State != circles.SessionClosed {
		d.missing("/circle close did not close the session")
	}
}

func (d *demo) stepSchedule() {
	d.circleCmd(d.fran, "schedule")
	d.printf("\n")
	// A change is shown with its first three sessions and saved with a click.
	d.click(d.fran, d.circleCmd(d.fran, "schedule", discordsim.O("cron", "30 18 * * 4")), "schedule", "save", "Save schedule")
}

func (d *demo) stepSkip() {
	d.circleCmd(d.fran, "skip")
	d.printf("\n")
	if d.printDMsLike(d.member(0), d.member(1), d.member(3), d.member(4), d.hana()) == 0 {
		d.missing("members were not told of the skip")
	}
}

func (d *demo) stepPlanAhead() {
	chloe := d.member(1)
	var r *discordsim.Response
	d.briefly(func() { r = d.cmd(chloe, "mycircles") })
	d.printf("\n")
	r = d.click(chloe, r, "mysessions", "", "Sessions…")
	d.printf("\n")
	d.briefly(func() {
		r = d.click(chloe, r, "rsvp-sessions", "going", "Going · #2")
		r = d.click(chloe, r, "mycircles", "back", "Back to my circles")
		r = d.click(chloe, r, "remind", "off", "Reminders off")
		d.click(chloe, r, "remind", "on", "Reminders on")
	})
}

func (d *demo) stepRemove() {
	gus := d.member(4)
	d.note("Who may read %s, the session that just closed (kept until tomorrow):\n", d.labels[d.channelID])
	d.accessTable(d.channelID, d.placeRows(gus))
	d.printf("\n")
	d.circleCmd(d.fran, "remove", discordsim.O("member", gus))
	d.printDMs(gus)
	removed := d.status(gus) == circles.StatusRemoved
	if !removed {
		d.missing("/circle remove removed nobody")
	}
	d.printf("\n")
	d.accessTable(d.channelID, d.placeRows(gus))
	d.printf("\n")
	d.circleCmd(d.fran, "remove", discordsim.O("member", gus), discordsim.O("lift", true))
	if removed && d.status(gus) != circles.StatusRemoved {
		d.facts["removed"] = "1 removal lifted"
	}
}

func (d *demo) stepMemberLeft() {
	elif := d.member(3)
	d.printf("%s ▸ leaves the Harbour Community server\n", d.name(elif))
	d.sim.RemoveMember(d.guild, elif)
	if !d.waitFor(2*time.Second, func() bool { return d.status(elif) != circles.StatusActive }) {
		d.missing("the memberships of someone who left the server were kept")
		return
	}
	d.note("\ncirclebot heard it from the gateway and withdrew %s's place in %s (status now “%s”; the consent ledger records the withdrawal). Nobody is told.",
		d.name(elif), circleName, d.status(elif))
}

func (d *demo) stepErase() {
	ben := d.member(0)
	r := d.cmd(ben, "privacy delete")
	d.printf("\n")
	if d.click(ben, r, "privacy-delete", "guild", "Erase my data") == nil {
		return
	}
	d.printf("\n")
	if x, ok := d.export(ben); ok && len(x.Memberships)+len(x.Consents)+len(x.RSVPs) == 0 {
		d.facts["erased"] = "1 member's data erased"
	}
}

// export runs /privacy export as user and describes the file it returns.
func (d *demo) export(user string) (circles.UserExport, bool) {
	r := d.cmd(user, "privacy export")
	if r == nil {
		return circles.UserExport{}, false
	}
	for _, f := range r.Attachments {
		var x circles.UserExport
		if err := json.Unmarshal(f.Data, &x); err != nil {
			continue
		}
		d.note("\nInside %s: %d %s, %d consent %s, %d %s.", f.Name,
			len(x.Memberships), plural(len(x.Memberships), "membership", "memberships"),
			len(x.Consents), plural(len(x.Consents), "event", "events"),
			len(x.RSVPs), plural(len(x.RSVPs), "RSVP", "RSVPs"))
		return x, true
	}
	d.missing("no export file")
	return circles.UserExport{}, false
}

func (d *demo) stepCrisis() {
	r := d.cmd(d.ada, "setup", discordsim.O("crisis_resources", true))
	if r == nil || r.Modal == nil {
		d.missing("/setup crisis_resources opened no form")
		return
	}
	d.printf("\n")
	d.briefly(func() {
		d.submit(d.ada, r, func(discordsim.TextInput) (string, bool) { return crisisText, true })
	})
	d.printf("\n")
	d.cmd(d.hana(), "helpnow")
}

func (d *demo) stepArchive() {
	r := d.circleCmd(d.fran, "archive")
	d.printf("\n")
	if d.click(d.fran, r, "archive", "confirm", "Archive") == nil {
		return
	}
	d.printf("\n")
	if d.printDMsLike(d.member(1), d.member(4), d.hana()) == 0 {
		d.missing("members were not told of the archive")
	}
	if c, err := d.store.CircleByName(d.ctx, d.guild, circleName); err == nil && c.Archived {
		d.facts["archived"] = "circle archived"
	}
}

func (d *demo) stepRemoved() {
	d.printf("Ada ▸ removes circlebot from the server\n")
	d.sim.RemoveBotFromGuild(d.guild)
	removed := func() bool {
		ids, err := d.store.GuildsRemovedBefore(d.ctx, d.clock.Now().Add(time.Second))
		return err == nil && len(ids) > 0
	}
	if !d.waitFor(2*time.Second, removed) {
		d.missing("the bot did not notice it was removed")
		return
	}
	d.note("circlebot noted the removal and keeps the server's data for a grace period of 7 days, in case it was a mistake.")
	d.printf("\n")
	d.advance(d.clock.Now().Add(7*24*time.Hour + time.Hour))
	d.note("circlebot's hourly clean-up runs: it deletes the data of servers that removed it more than 7 days ago.")
	if err := d.bot.PurgeRemovedGuilds(d.ctx); err != nil {
		d.printf("    ✗ %v\n", err)
		return
	}
	// Chloé had a membership, consent records and RSVPs there.
	x, err := d.store.ExportUser(d.ctx, d.guild, d.member(1), d.clock.Now())
	ids, _ := d.store.GuildIDs(d.ctx)
	if err != nil || slices.Contains(ids, d.guild) || len(x.Memberships)+len(x.Consents)+len(x.RSVPs) > 0 {
		d.missing("the removed server's data was kept")
		return
	}
	d.facts["purged"] = "server data purged after 7 days"
	d.note("\nNothing about Harbour Community is left: no settings, circles, memberships, consent records, sessions or RSVPs.")
}
