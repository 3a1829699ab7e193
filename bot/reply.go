package bot

import (
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Response is what a handler answers. The router turns it into the right
// interaction callback (or a deferred edit when the handler was slow), so
// handlers never call Discord to reply and the 3-second rule lives in one
// place.
type Response struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Files      []*discordgo.File
	// Public makes the reply visible to the channel. Replies are ephemeral
	// unless a handler says otherwise: anything personal stays private.
	Public bool
	// Update edits the message the clicked component is on instead of
	// sending a new one (component interactions only).
	Update bool
	// Modal opens a modal instead of replying (commands and components).
	Modal *Modal
	// Choices answer an autocomplete.
	Choices []*discordgo.ApplicationCommandOptionChoice
	// Mention lists the users this message may ping; nobody else is ever
	// pinged, and never @everyone, @here or a role.
	Mention []string
}

// Modal is a form of up to five text inputs.
type Modal struct {
	CustomID string
	Title    string
	Inputs   []TextInput
}

// TextInput is one field of a modal.
type TextInput struct {
	ID          string
	Label       string
	Value       string
	Placeholder string
	Paragraph   bool
	Required    bool
	MaxLength   int
}

// Reply is a plain ephemeral answer.
func Reply(format string, args ...any) *Response {
	return &Response{Content: fmt.Sprintf(format, args...)}
}

// noMentions allows the listed users to be pinged and nothing else. Every
// message the bot sends carries it: text written by facilitators or members
// must never ping the server.
func noMentions(users ...string) *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Users: users}
}

// Timestamp renders t so every reader sees it in their own time zone,
// e.g. "Tuesday, 1 December 2026 19:00 (in 6 days)".
func Timestamp(t time.Time) string {
	return fmt.Sprintf("<t:%d:F> (<t:%d:R>)", t.Unix(), t.Unix())
}

// ShortTimestamp renders t as a full date and time in the reader's zone.
func ShortTimestamp(t time.Time) string { return fmt.Sprintf("<t:%d:F>", t.Unix()) }

func (r *Response) flags() discordgo.MessageFlags {
	if r.Public {
		return 0
	}
	return discordgo.MessageFlagsEphemeral
}

func (r *Response) data() *discordgo.InteractionResponseData {
	return &discordgo.InteractionResponseData{
		Content:         r.Content,
		Embeds:          r.Embeds,
		Components:      r.Components,
		Files:           r.Files,
		Flags:           r.flags(),
		AllowedMentions: noMentions(r.Mention...),
	}
}

func (m *Modal) data() *discordgo.InteractionResponseData {
	rows := make([]discordgo.MessageComponent, 0, len(m.Inputs))
	for _, in := range m.Inputs {
		style := discordgo.TextInputShort
		if in.Paragraph {
			style = discordgo.TextInputParagraph
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
			CustomID: in.ID, Label: in.Label, Style: style, Value: in.Value,
			Placeholder: in.Placeholder, Required: in.Required, MaxLength: in.MaxLength,
		}}})
	}
	return &discordgo.InteractionResponseData{CustomID: m.CustomID, Title: m.Title, Components: rows}
}

// Button builds a button; style is discordgo.PrimaryButton and friends.
func Button(label string, style discordgo.ButtonStyle, id CustomID) discordgo.Button {
	return discordgo.Button{Label: label, Style: style, CustomID: id.Encode()}
}

// Row puts buttons in an action row.
func Row(buttons ...discordgo.MessageComponent) discordgo.ActionsRow {
	return discordgo.ActionsRow{Components: buttons}
}
