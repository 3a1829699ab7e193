package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// germanRoom sets up a German circle meeting Wednesdays at 14:00 whose
// facilitator's Discord is in French, seats members[0] (Spanish Discord)
// and members[1] (English) in it, and opens its first session.
func (h *harness) germanRoom() (circles.Circle, circles.Session) {
	h.t.Helper()
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Trauerkreis", time.Wednesday, 14, 0, nil)
	if err := h.store.SetCircleLocale(h.ctx, c.ID, "de"); err != nil {
		h.t.Fatal(err)
	}
	h.sim.SetUserLocale(h.fac, "fr")
	h.sim.SetUserLocale(h.members[0], "es-ES")
	for _, u := range h.members[:2] {
		h.lcJoin(c, u, circles.ModeMember)
	}
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	if s.State != circles.SessionOpen || s.ChannelID == "" {
		h.t.Fatalf("session not open: %+v", s)
	}
	return c, s
}

// A round in a German circle: its message and buttons are German, in the
// session channel; each click is answered in the clicker's language, and
// so is a refusal (issue 13).
func TestRoundInTheCircleLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	_, s := h.germanRoom()
	es, en := h.members[0], h.members[1]

	// The welcome's button opens a French form for the French facilitator.
	welcome, ok := h.roundMessage(s.ChannelID, "start")
	if !ok {
		t.Fatal("the welcome has no start button")
	}
	form := h.roundClick(h.fac, welcome, "start")
	if form.Modal == nil || form.Modal.Title != "Lancer un tour de parole" || len(form.Modal.Inputs) != 1 || form.Modal.Inputs[0].Label != "Minutes par personne (1–10, vide : illimité)" {
		t.Fatalf("the round's form is not French: %+v", form.Modal)
	}
	r, err := h.sim.SubmitModal(h.ctx, h.fac, h.guild, s.ChannelID, form.Modal.CustomID, map[string]string{"minutes": "x3"})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "« x3 » n'est pas un nombre de minutes")
	form = h.roundClick(h.fac, welcome, "start")
	r, err = h.sim.SubmitModal(h.ctx, h.fac, h.guild, s.ChannelID, form.Modal.CustomID, map[string]string{"minutes": "3"})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "🔄 Tour de parole lancé", "**Suivant ▶**")

	round, ok := h.roundMessage(s.ChannelID, "raise")
	if !ok {
		t.Fatal("no round message")
	}
	wantContains(t, round.Content, "🔄 **Eine Runde**", "je 3 Min.", "Keine Hände gehoben", "-# Moderation: **Weiter ▶**")
	wantLabels(t, "the round's buttons", round.Buttons(), "✋ Hand heben", "Hand senken", "Passen", "Weiter ▶", "Überspringen", "Runde beenden")

	wantContains(t, h.roundClick(es, round, "raise").Content, "Tienes la mano levantada — eres el **n.º 1**")
	wantContains(t, h.roundClick(en, round, "raise").Content, "Your hand is up — you're **#2**")
	wantContains(t, h.roundClick(es, round, "next").Content, "Solo los facilitadores del círculo")
	h.waitMessage(round.ID, contains(fmt.Sprintf("**Als Nächstes:** 1. <@%s> · 2. <@%s>", es, en)))

	wantContains(t, h.roundClick(h.fac, round, "next").Content, fmt.Sprintf("<@%s> a la parole.", es))
	h.waitMessage(round.ID, contains(fmt.Sprintf("🎙️ **Es spricht:** <@%s> · bis <t:", es)))
	h.clock.Advance(3 * time.Minute)
	h.bot.CheckRoundTimers()
	h.waitMessage(round.ID, contains("⏰ **Die Zeit ist um**"))

	wantContains(t, h.roundClick(h.fac, round, "next").Content, fmt.Sprintf("<@%s> a la parole.", en))
	wantContains(t, h.roundClick(h.fac, round, "pass").Content, "Vous passez ce tour.")
	h.waitMessage(round.ID, contains(fmt.Sprintf("🙏 Gepasst: <@%s>", h.fac)))
	wantContains(t, h.roundClick(h.fac, round, "end").Content, "Le tour de parole est terminé.")
	got := h.waitMessage(round.ID, contains("🔄 **Die Runde ist zu Ende** — 1 Beitrag, 1 gepasst."))
	if strings.Contains(got.Content, "round") {
		t.Fatalf("English in the German round: %q", got.Content)
	}
}

// A German circle's card is German; the French facilitator who posts it
// is answered, and refused, in French; the roster's "who is coming" is
// in the facilitator's language too.
func TestCardAndComingInTheirLanguages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	c, s := h.germanRoom()
	board := h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, "kreise", "")

	r := h.run(h.fac, "circle post", discordsim.O("circle", c.Name), discordsim.O("channel", board))
	wantContains(t, r.Content, "📌 La carte de **Trauerkreis** est publiée dans <#"+board+">")
	msgs := h.sim.Messages(board)
	if len(msgs) != 1 {
		t.Fatalf("%d cards on the board", len(msgs))
	}
	wantContains(t, cardText(msgs[0]), "🌱 **Trauerkreis** — ein Unterstützungskreis", "🟢 Gerade in einer Sitzung, bis <t:"+facItoa(s.End.Unix())+":t>")
	wantLabels(t, "the card's button", msgs[0].Buttons(), "Leitlinien lesen & beitreten")

	wantContains(t, h.run(h.fac, "circle post", discordsim.O("circle", c.Name), discordsim.O("channel", board)).Content, "♻️ La carte de **Trauerkreis** dans <#"+board+"> a été republiée")
	wantContains(t, h.run(h.fac, "circle post", discordsim.O("circle", c.Name), discordsim.O("channel", s.ChannelID)).Content, "C'est un salon de séance")

	// Who is coming, and a member out of reach by DM, for the facilitator.
	next := h.facPlanned(c.ID)
	if len(next) == 0 {
		t.Fatal("no next session")
	}
	if _, err := h.store.SetRSVP(h.ctx, h.guild, next[0].ID, h.members[0], circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.sim.SetDMsClosed(h.members[1], true)
	h.lcAt(next[0].Start.Add(-time.Hour))
	text := responseText(h.run(h.fac, "circle roster", discordsim.O("circle", c.Name)))
	wantContains(t, text, "Qui vient (vous seul voyez les noms)", "**Viennent : 1** · Ne viennent pas : 0 · Sans réponse : 2",
		"Viennent : <@"+h.members[0]+">", "📪 MP fermés depuis le <t:", "📪 1 personne ne peut pas être jointe en MP")
}

// A restart resets a German circle's round in German, both the lost
// round's message and the fresh one, whether found at start-up or by a
// click on the lost round.
func TestRoundResetInTheCircleLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	_, s := h.germanRoom()
	h.run(h.fac, "circle round", discordsim.O("circle", "Trauerkreis"), discordsim.O("minutes", 2))
	round, ok := h.roundMessage(s.ChannelID, "raise")
	if !ok {
		t.Fatal("no round message")
	}
	h.restart()
	h.waitMessage(round.ID, contains("♻️ Diese Runde wurde zurückgesetzt"))
	var fresh discordsim.Message
	if err := h.sim.WaitFor(h.ctx, func() bool {
		fresh, ok = h.roundMessage(s.ChannelID, "raise")
		return ok && fresh.ID != round.ID
	}); err != nil {
		t.Fatal("no fresh round after the restart")
	}
	wantContains(t, fresh.Content, "♻️ *Die Runde wurde zurückgesetzt", "je 2 Min.")

	if err := h.store.DeleteRoundMessage(h.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	h.restart()
	wantContains(t, h.roundClick(h.members[1], fresh, "raise").Content, "♻️ Diese Runde wurde zurückgesetzt")
}
