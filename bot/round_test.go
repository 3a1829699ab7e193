package bot_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// fastEdits makes the bot edit its live messages (rounds, cards) at most
// every 20 ms instead of 2 s, for tests that don't count edits.
func fastEdits(o *bot.Options, _ *discordsim.Options) { o.EditInterval = 20 * time.Millisecond }

// roomOpened sets the guild up, seats members[0..2] as members and
// members[3] as a listener in a Wednesday 14:00 circle, and opens its
// first session.
func (h *harness) roomOpened(edit func(*circles.Circle)) (circles.Circle, circles.Session) {
	h.t.Helper()
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, edit)
	for _, u := range h.members[:3] {
		h.lcJoin(c, u, circles.ModeMember)
	}
	h.lcJoin(c, h.members[3], circles.ModeListener)
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	if s.State != circles.SessionOpen || s.ChannelID == "" {
		h.t.Fatalf("session not open: %+v", s)
	}
	return c, s
}

// roundStarted opens a session (roomOpened) and starts a round in it
// with /circle round, with minutes per person.
func (h *harness) roundStarted(minutes int) (circles.Circle, circles.Session, discordsim.Message) {
	h.t.Helper()
	c, s := h.roomOpened(nil)
	h.run(h.fac, "circle round", discordsim.O("circle", "Grief circle"), discordsim.O("minutes", minutes))
	round, ok := h.roundMessage(s.ChannelID, "raise")
	if !ok {
		h.t.Fatal("no round message")
	}
	return c, s, round
}

// roundMessage finds the bot message in a channel with buttons of the
// round and the given argument, newest first.
func (h *harness) roundMessage(channelID, arg string) (discordsim.Message, bool) {
	msgs := h.sim.Messages(channelID)
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, b := range msgs[i].Buttons() {
			if id, err := bot.DecodeCustomID(b.CustomID); err == nil && id.Action == "round" && id.Arg == arg {
				return msgs[i], true
			}
		}
	}
	return discordsim.Message{}, false
}

// roundClick clicks a round button on message m.
func (h *harness) roundClick(user string, m discordsim.Message, arg string) *discordsim.Response {
	h.t.Helper()
	return h.click(user, m.ChannelID, m.ID, m.Buttons(), "round", arg)
}

// waitMessage waits until message id's content satisfies ok.
func (h *harness) waitMessage(id string, ok func(discordsim.Message) bool) discordsim.Message {
	h.t.Helper()
	var last discordsim.Message
	if err := h.sim.WaitFor(h.ctx, func() bool {
		m, found := h.sim.Message(id)
		last = m
		return found && ok(m)
	}); err != nil {
		h.t.Fatalf("message %s never became as expected; last: %q (%v)", id, last.Content, err)
	}
	return last
}

func contains(parts ...string) func(discordsim.Message) bool {
	return func(m discordsim.Message) bool {
		for _, p := range parts {
			if !strings.Contains(m.Content, p) {
				return false
			}
		}
		return true
	}
}

func TestRoundFromTheWelcome(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	c, s := h.roomOpened(nil)
	m := h.members

	welcome, ok := h.roundMessage(s.ChannelID, "start")
	if !ok {
		t.Fatal("the welcome has no Start a round button")
	}
	wantContains(t, welcome.Content, "Welcome", "administrators")

	// Only facilitators start a round.
	r := h.roundClick(m[0], welcome, "start")
	wantContains(t, r.Content, "Only the circle's facilitators")
	r = h.roundClick(h.fac, welcome, "start")
	if r.Modal == nil {
		t.Fatalf("no form to start a round: %+v", r)
	}
	if r, err := h.sim.SubmitModal(h.ctx, h.fac, h.guild, s.ChannelID, r.Modal.CustomID, map[string]string{"minutes": "11"}); err != nil || !strings.Contains(r.Content, "between 1 and 10") {
		t.Fatalf("11 minutes: %+v %v", r, err)
	}
	r = h.roundClick(h.fac, welcome, "start")
	r, err := h.sim.SubmitModal(h.ctx, h.fac, h.guild, s.ChannelID, r.Modal.CustomID, map[string]string{"minutes": "3"})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "Round started")
	round, ok := h.roundMessage(s.ChannelID, "raise")
	if !ok {
		t.Fatal("no round message")
	}
	wantContains(t, round.Content, "3 min each", "No hands raised")
	if am := round.AllowedMentions; am == nil || len(am.Parse) != 0 || len(am.Users) != 0 {
		t.Fatalf("the round message may ping: %+v", am)
	}
	// A second round while one runs is refused.
	r = h.roundClick(h.fac, welcome, "start")
	wantContains(t, r.Content, "already going")

	// Hands in the order raised; raising twice changes nothing.
	for _, u := range []string{m[1], m[0], m[2], m[1]} {
		h.roundClick(u, round, "raise")
	}
	queue := fmt.Sprintf("1. <@%s> · 2. <@%s> · 3. <@%s>", m[1], m[0], m[2])
	h.waitMessage(round.ID, contains(queue))

	// A listener can't take a turn but may pass, silently.
	r = h.roundClick(m[3], round, "raise")
	wantContains(t, r.Content, "listening")
	r = h.roundClick(m[3], round, "pass")
	wantContains(t, r.Content, "quietly")
	// Members don't move the round on.
	r = h.roundClick(m[0], round, "next")
	wantContains(t, r.Content, "Only the circle's facilitators")

	// Next: the first hand speaks, until three minutes from now.
	h.roundClick(h.fac, round, "next")
	until := fmt.Sprintf("<t:%d:t>", h.clock.Now().Add(3*time.Minute).Unix())
	got := h.waitMessage(round.ID, contains(fmt.Sprintf("Speaking:** <@%s>", m[1]), until, fmt.Sprintf("1. <@%s> · 2. <@%s>", m[0], m[2])))
	if strings.Contains(got.Content, "<@"+m[3]+">") {
		t.Fatalf("the listener's pass shows: %q", got.Content)
	}
	// The timer runs on the bot's clock.
	h.clock.Advance(2 * time.Minute)
	h.bot.CheckRoundTimers()
	if cur, _ := h.sim.Message(round.ID); strings.Contains(cur.Content, "Time's up") {
		t.Fatal("time up after two of three minutes")
	}
	h.clock.Advance(time.Minute)
	h.bot.CheckRoundTimers()
	got = h.waitMessage(round.ID, contains("Time's up", "<@"+m[1]+">"))
	if am := got.AllowedMentions; am == nil || len(am.Parse) != 0 || len(am.Users) != 0 {
		t.Fatalf("the time-up edit may ping: %+v", am)
	}

	// A member passes; Skip passes over the speaker without a turn.
	h.roundClick(m[2], round, "pass")
	h.roundClick(h.fac, round, "skip")
	h.waitMessage(round.ID, contains(fmt.Sprintf("Speaking:** <@%s>", m[0]), "No hands raised", "Passed: <@"+m[2]+">"))
	h.roundClick(m[0], round, "lower") // lowering while speaking changes nothing
	h.roundClick(h.fac, round, "next")
	h.roundClick(h.fac, round, "end")
	got = h.waitMessage(round.ID, contains("The round has ended", "1 turn, 1 passed"))
	if len(got.Buttons()) != 0 {
		t.Fatalf("an ended round keeps its buttons: %+v", got.Buttons())
	}

	// /circle round starts another; closing the session ends it.
	r = h.run(h.fac, "circle round", discordsim.O("circle", "Grief circle"))
	wantContains(t, r.Content, "Round started")
	round2, _ := h.roundMessage(s.ChannelID, "raise")
	h.lcAt(s.End)
	h.waitMessage(round2.ID, contains("The round has ended"))
	_ = c
}

func TestRoundRefusesOutsiders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	c, s, round := h.roundStarted(2)
	// The server owner sees every channel but is not in the session.
	r := h.roundClick(h.admin, round, "raise")
	wantContains(t, r.Content, "Only the people taking part")
	// Someone who can't see the channel can't click at all; a forged
	// click from another channel is refused by the bot.
	if _, err := h.sim.Click(h.ctx, h.members[5], s.ChannelID, round.ID, round.Buttons()[0].CustomID); err == nil {
		t.Fatal("a non-member clicked in the session channel")
	}
	raise := round.Buttons()[0].CustomID
	for name, i := range map[string]*discordgo.Interaction{
		"another channel": {ChannelID: "1234", GuildID: h.guild},
		"another server":  {ChannelID: s.ChannelID, GuildID: "98765"},
	} {
		i.Type = discordgo.InteractionMessageComponent
		i.Member = &discordgo.Member{User: &discordgo.User{ID: h.members[0]}}
		i.Data = discordgo.MessageComponentInteractionData{CustomID: raise, ComponentType: discordgo.ButtonComponent}
		resp := h.handle(i)
		if resp == nil || resp.Data == nil || !strings.Contains(resp.Data.Content, "🔒") && !strings.Contains(resp.Data.Content, "⚠️") {
			t.Fatalf("%s: %+v", name, resp)
		}
	}
	cur, _ := h.sim.Message(round.ID)
	if strings.Contains(cur.Content, "<@"+h.members[0]+">") || strings.Contains(cur.Content, "<@"+h.admin+">") {
		t.Fatalf("a refused click raised a hand: %q", cur.Content)
	}
	// /circle round is the circle's facilitators'.
	r = h.run(h.fac2, "circle round", discordsim.O("circle", "Grief circle"))
	wantContains(t, r.Content, "Only the facilitators")
	_ = c
}

func TestRoundCoalescesTwentyRaises(t *testing.T) {
	t.Parallel()
	h := newHarness(t) // the real 2 s between edits
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Capacity = 25 })
	people := append([]string{}, h.members...)
	for i := len(people); i < 20; i++ {
		u := h.sim.AddUser(fmt.Sprintf("extra-%d", i))
		h.sim.AddMember(h.guild, u)
		people = append(people, u)
	}
	for _, u := range people {
		h.lcJoin(c, u, circles.ModeMember)
	}
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	h.run(h.fac, "circle round", discordsim.O("circle", "Grief circle"))
	round, ok := h.roundMessage(s.ChannelID, "raise")
	if !ok {
		t.Fatal("no round message")
	}
	edits := func() int {
		n := 0
		for _, r := range h.sim.Requests() {
			if r.Operation == "update_message" && strings.HasSuffix(r.Path, "/"+round.ID) {
				n++
			}
		}
		return n
	}
	var wg sync.WaitGroup
	for _, u := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.sim.Click(h.ctx, u, round.ChannelID, round.ID, round.Buttons()[0].CustomID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	all := make([]string, len(people))
	for i, u := range people {
		all[i] = "<@" + u + ">"
	}
	h.waitMessage(round.ID, contains(all...))
	t.Logf("%d edits for 20 raised hands", edits())
	if n := edits(); n < 1 || n > 6 {
		t.Fatalf("%d edits for 20 raised hands, want a few", n)
	}
	if st := h.sim.Stats(); st.RateLimited != 0 {
		t.Fatalf("%d requests rate limited", st.RateLimited)
	}
}

func TestRoundAfterRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	_, s, round := h.roundStarted(4)
	h.roundClick(h.members[0], round, "raise")
	h.waitMessage(round.ID, contains("1. <@"+h.members[0]+">"))

	// The restart loses the round: its message says so, without a click,
	// and a fresh one with the same speaking time is posted.
	h.restart()
	old := h.waitMessage(round.ID, contains("reset"))
	if len(old.Buttons()) != 0 {
		t.Fatalf("the lost round keeps its buttons: %+v", old.Buttons())
	}
	var fresh discordsim.Message
	if err := h.sim.WaitFor(h.ctx, func() bool {
		var ok bool
		fresh, ok = h.roundMessage(s.ChannelID, "raise")
		return ok && fresh.ID != round.ID
	}); err != nil {
		t.Fatal("no fresh round after the restart")
	}
	wantContains(t, fresh.Content, "reset because circlebot restarted", "4 min each", "No hands raised")
	h.roundClick(h.members[1], fresh, "raise")
	h.waitMessage(fresh.ID, contains("1. <@"+h.members[1]+">"))

	// Had its message not been stored, the first click after a restart
	// resets it just the same.
	if err := h.store.DeleteRoundMessage(h.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	h.restart()
	r := h.roundClick(h.members[2], fresh, "raise")
	wantContains(t, r.Content, "reset")
	if m, _ := h.sim.Message(fresh.ID); len(m.Buttons()) != 0 {
		t.Fatal("the lost round keeps its buttons after the click")
	}
	third, ok := h.roundMessage(s.ChannelID, "raise")
	if !ok || third.ID == fresh.ID {
		t.Fatal("no fresh round after the click")
	}
	// Ending the round forgets its message: a restart then posts nothing.
	h.roundClick(h.fac, third, "end")
	h.waitMessage(third.ID, contains("The round has ended"))
	if marks, err := h.store.RoundMessages(h.ctx); err != nil || len(marks) != 0 {
		t.Fatalf("round messages kept after the end: %+v %v", marks, err)
	}
}
