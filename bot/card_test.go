package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// cardText flattens a card message for assertions.
func cardText(m discordsim.Message) string {
	var sb strings.Builder
	sb.WriteString(m.Content)
	for _, e := range m.Embeds {
		sb.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			sb.WriteString("\n" + f.Name + ": " + f.Value)
		}
	}
	return sb.String()
}

func TestCircleCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Capacity = 3; c.Topic = "Losing someone" })
	h.lcJoin(c, h.members[0], circles.ModeMember)
	board := h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, "find-a-circle", "")

	// Only its facilitators post it.
	r := h.run(h.fac2, "circle post", discordsim.O("circle", "Grief circle"), discordsim.O("channel", board))
	if len(h.sim.Messages(board)) != 0 {
		t.Fatalf("another circle's facilitator posted a card: %q", r.Content)
	}
	r = h.run(h.fac, "circle post", discordsim.O("circle", "Grief circle"), discordsim.O("channel", board))
	wantContains(t, r.Content, "Posted the card", "<#"+board+">")
	msgs := h.sim.Messages(board)
	if len(msgs) != 1 || r.Ephemeral == false {
		t.Fatalf("%d messages on the board; reply ephemeral %v", len(msgs), r.Ephemeral)
	}
	card := msgs[0]
	text := cardText(card)
	wantContains(t, text, "Grief circle", "Losing someone", "Peer support", "<@"+h.fac+">",
		"2 of 3 left", "<t:"+facItoa(s.Start.Unix())+":F>")
	if strings.Contains(text, h.members[0]) {
		t.Fatalf("the card names a member: %q", text)
	}

	// The button opens /join's private consent screen, for whoever clicks.
	r = h.click(h.members[1], card.ChannelID, card.ID, card.Buttons(), "card", "join")
	if !r.Ephemeral {
		t.Fatal("the consent screen is public")
	}
	wantContains(t, responseText(r), "Before you join", "Guidelines of Grief circle", "server's owner and administrators")
	r = h.clickOn(h.members[1], r, "join", "member")
	wantContains(t, r.Content, "Welcome to **Grief circle**")
	// The card follows: one seat left.
	h.waitMessage(card.ID, func(m discordsim.Message) bool { return strings.Contains(cardText(m), "1 of 3 left") })

	// A card button made for another server, or changed, is refused.
	for _, id := range []bot.CustomID{
		{Action: "card", GuildID: "98765", CircleID: c.ID, Arg: "join"},
		{Action: "card", GuildID: h.guild, CircleID: c.ID, Arg: "join", UserID: h.members[2]},
	} {
		resp := h.handle(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: h.guild, ChannelID: board,
			Member: &discordgo.Member{User: &discordgo.User{ID: h.members[2]}},
			Data:   discordgo.MessageComponentInteractionData{CustomID: id.Encode(), ComponentType: discordgo.ButtonComponent}})
		if resp == nil || resp.Data == nil || !strings.Contains(resp.Data.Content, "⚠️") || len(resp.Data.Components) != 0 {
			t.Fatalf("forged card button %+v: %+v", id, resp)
		}
	}

	// Posting again in the same channel replaces it; a session channel is refused.
	r = h.run(h.fac, "circle post", discordsim.O("circle", "Grief circle"), discordsim.O("channel", board))
	wantContains(t, r.Content, "posted anew")
	if msgs := h.sim.Messages(board); len(msgs) != 1 || msgs[0].ID == card.ID {
		t.Fatalf("after posting again: %d cards", len(msgs))
	}
	card = h.sim.Messages(board)[0]
	h.lcAt(s.Start)
	open := h.lcSession(s.ID)
	r = h.run(h.fac, "circle post", discordsim.O("circle", "Grief circle"), discordsim.O("channel", open.ChannelID))
	wantContains(t, r.Content, "session channel")
	h.waitMessage(card.ID, func(m discordsim.Message) bool { return strings.Contains(cardText(m), "In session now") })

	// Archiving disables its button.
	r = h.run(h.fac, "circle archive", discordsim.O("circle", "Grief circle"))
	h.clickOn(h.fac, r, "archive", "confirm")
	got := h.waitMessage(card.ID, func(m discordsim.Message) bool {
		b := m.Buttons()
		return len(b) == 1 && b[0].Disabled
	})
	wantContains(t, got.Content, "archived")
}

func TestCircleCardGoneIsForgotten(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fastEdits)
	h.lcSetup(24, 60)
	c, _ := h.lcCircle("Grief circle", time.Wednesday, 14, 0, nil)
	board := h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, "find-a-circle", "")
	h.run(h.fac, "circle post", discordsim.O("circle", "Grief circle"), discordsim.O("channel", board))
	if cards, err := h.store.Cards(h.ctx, c.ID); err != nil || len(cards) != 1 {
		t.Fatalf("cards %+v %v", cards, err)
	}
	h.sim.DeleteChannel(board)
	// The next change finds it gone, and stops updating it quietly.
	r := h.run(h.members[0], "join", discordsim.O("circle", "Grief circle"))
	h.clickOn(h.members[0], r, "join", "member")
	if err := h.sim.WaitFor(h.ctx, func() bool {
		cards, err := h.store.Cards(h.ctx, c.ID)
		return err == nil && len(cards) == 0
	}); err != nil {
		t.Fatal("the gone card is still kept")
	}
}
