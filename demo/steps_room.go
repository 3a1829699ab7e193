package demo

import (
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// The facilitator room (issue 11): a round with a timer in the extra
// session, and a circle card a newcomer joins from.

// botMessageWith finds the bot's newest message in a channel with a button
// of the given action and argument.
func (d *demo) botMessageWith(channelID, action, arg string) (discordsim.Message, bool) {
	msgs := d.sim.Messages(channelID)
	for i := len(msgs) - 1; i >= 0; i-- {
		if _, ok := findButton(msgs[i].Buttons(), action, arg, ""); ok {
			return msgs[i], true
		}
	}
	return discordsim.Message{}, false
}

// showEdited waits for the bot's edit of a message to satisfy ok (edits
// are coalesced) and prints the message as it is then.
func (d *demo) showEdited(id, what string, ok func(discordsim.Message) bool) {
	var m discordsim.Message
	if !d.waitFor(10*time.Second, func() bool {
		var found bool
		m, found = d.sim.Message(id)
		return found && ok(m)
	}) {
		d.missing(what)
		return
	}
	d.printf("  circlebot ▸ edits the message in place (pinging no one)\n")
	d.message(botGutter, m.Content, m.Embeds, m.Components, nil)
}

func (d *demo) stepRound() {
	if d.channelID == "" {
		d.note("(no open session)")
		return
	}
	welcome, ok := d.botMessageWith(d.channelID, "round", "start")
	if !ok {
		d.missing("no [Start a round] button under the welcome")
		return
	}
	d.printf("In %s, under the welcome:\n", d.labels[d.channelID])
	form := d.clickOn(d.fran, welcome.ChannelID, welcome.ID, welcome.Buttons(), "round", "start", "Start a round")
	if d.submit(d.fran, form, func(discordsim.TextInput) (string, bool) { return "2", true }) == nil {
		return
	}
	round, ok := d.botMessageWith(d.channelID, "round", "raise")
	if !ok {
		d.missing("no round message")
		return
	}
	d.printf("\n")
	d.printChannel(d.channelID)
	ben, chloe := d.member(0), d.member(1)
	d.printf("\n")
	for _, u := range []string{ben, chloe} {
		d.clickOn(u, round.ChannelID, round.ID, round.Buttons(), "round", "raise", "Raise hand")
	}
	d.clickOn(d.fran, round.ChannelID, round.ID, round.Buttons(), "round", "next", "Next")
	d.showEdited(round.ID, "Ben never got the turn", func(m discordsim.Message) bool {
		return strings.Contains(m.Content, "Speaking:** <@"+ben+">") && strings.Contains(m.Content, "1. <@"+chloe+">")
	})
	d.clock.Set(d.clock.Now().Add(2 * time.Minute))
	d.printf("\n⏩ Two minutes later (%s):\n", d.clock.Now().In(d.loc).Format("15:04"))
	d.bot.CheckRoundTimers()
	d.showEdited(round.ID, "the round never said time was up", func(m discordsim.Message) bool {
		return strings.Contains(m.Content, "Time's up")
	})
	d.printf("\n")
	d.briefly(func() {
		d.clickOn(d.fran, round.ChannelID, round.ID, round.Buttons(), "round", "next", "Next")
		d.clickOn(d.fran, round.ChannelID, round.ID, round.Buttons(), "round", "end", "End round")
	})
	d.showEdited(round.ID, "the round never ended", func(m discordsim.Message) bool {
		return strings.Contains(m.Content, "The round has ended")
	})
	d.note("(Who spoke is kept in memory for the round only, never stored.)\n")
}

func (d *demo) stepCard() {
	if d.circleName == "" {
		d.note("(no circle)")
		return
	}
	board := d.sim.AddChannel(d.guild, discordgo.ChannelTypeGuildText, "find-a-circle", "")
	d.labels[board] = "#find-a-circle"
	if d.circleCmd(d.fran, "post", discordsim.O("channel", board)) == nil {
		return
	}
	d.printf("\n")
	d.printChannel(board)
	card, ok := d.botMessageWith(board, "card", "join")
	if !ok {
		d.missing("no card with a join button")
		return
	}
	jas := d.member(7)
	before := embedField(card.Embeds[0], "Listener seats")
	d.printf("\n")
	r := d.clickOn(jas, card.ChannelID, card.ID, card.Buttons(), "card", "join", "Read the guidelines & join")
	if d.click(jas, r, "join", "listener", "Join as listener") == nil {
		return
	}
	d.showEdited(card.ID, "the card did not follow the new listener", func(m discordsim.Message) bool {
		return len(m.Embeds) > 0 && embedField(m.Embeds[0], "Listener seats") != before
	})
}

func embedField(e discordgo.MessageEmbed, name string) string {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}
