package discordsim

import (
	"testing"

	"github.com/bwmarrin/discordgo"
)

// A button on a message in a user's DM channel produces an interaction as
// Discord sends it from a DM: no guild_id, `user` instead of `member`, the
// DM channel as channel_id. Only the recipient can click it.
func TestClickInDM(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	dm := must[*discordgo.Channel](t)(w.bot.dg.UserChannelCreate(w.member))
	msg := must[*discordgo.Message](t)(w.bot.dg.ChannelMessageSendComplex(dm.ID, &discordgo.MessageSend{
		Content: "The guidelines changed.",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "I agree", Style: discordgo.SuccessButton, CustomID: "reconsent:1"},
		}}},
	}))

	got := make(chan *discordgo.InteractionCreate, 1)
	w.bot.handle("reconsent:1", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		got <- i
		err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: "Thanks", Components: []discordgo.MessageComponent{}},
		})
		if err != nil {
			t.Error(err)
		}
	})

	r, err := w.Click(ctx(t), w.member, dm.ID, msg.ID, "reconsent:1")
	if err != nil {
		t.Fatal(err)
	}
	i := <-got
	switch {
	case i.GuildID != "":
		t.Errorf("guild_id %q in a DM interaction", i.GuildID)
	case i.Member != nil:
		t.Errorf("member %+v in a DM interaction", i.Member)
	case i.User == nil || i.User.ID != w.member:
		t.Errorf("user %+v, want %s", i.User, w.member)
	case i.ChannelID != dm.ID:
		t.Errorf("channel %s, want the DM %s", i.ChannelID, dm.ID)
	case i.Context != discordgo.InteractionContextBotDM:
		t.Errorf("context %v, want BOT_DM", i.Context)
	case i.Message == nil || i.Message.ID != msg.ID:
		t.Errorf("message %+v, want %s", i.Message, msg.ID)
	}
	if r.Type != 7 || r.Content != "Thanks" || r.ChannelID != dm.ID {
		t.Errorf("response %+v", r)
	}
	if dms := w.DMs(w.member); len(dms) != 1 || dms[0].Content != "Thanks" || len(dms[0].Buttons()) != 0 {
		t.Errorf("DM after the update %+v", dms)
	}

	// Nobody else can press a button in someone's DM.
	if _, err := w.Click(ctx(t), w.owner, dm.ID, msg.ID, "reconsent:1"); err == nil {
		t.Error("another user clicked a button in someone's DM")
	}
}
