package bot

import (
	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
)

// FlagCommand is the message command members use to alert facilitators.
const FlagCommand = "Flag to facilitators"

func ptr[T any](v T) *T { return &v }

var guildOnly = &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}

// circleOption is the circle a subcommand acts on; its description, like
// every description here, comes from the catalogs (commands_i18n.go).
func circleOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "circle", Required: true, Autocomplete: true, MaxLength: circles.MaxNameLength}
}

func kindChoices() []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(circles.Kinds))
	for _, k := range circles.Kinds {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: k.Describe(), Value: string(k)})
	}
	return out
}

func weekdayChoices() []*discordgo.ApplicationCommandOptionChoice {
	days := []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, 7)
	for _, d := range days {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: d, Value: d})
	}
	return out
}

// scheduleOptions are shared by /circle create and /circle schedule.
func scheduleOptions() []*discordgo.ApplicationCommandOption {
	return []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "weekday", Choices: weekdayChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "time", MinLength: ptr(4), MaxLength: 5},
		{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Autocomplete: true, MaxLength: 64},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "duration", MinValue: ptr(15.0), MaxValue: 480},
		{Type: discordgo.ApplicationCommandOptionString, Name: "cron", MaxLength: 100},
		repeatOption(),
	}
}

// Commands is the command set registered with Discord.
func Commands() []*discordgo.ApplicationCommand {
	manageChannels := int64(discordgo.PermissionManageChannels)
	manageGuild := int64(discordgo.PermissionManageGuild)
	sub := func(name string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Options: opts}
	}
	scope := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "scope",
		Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "guild", Value: "guild"}, {Name: "all", Value: "all"}}}

	create := append([]*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "name", Required: true, MinLength: ptr(1), MaxLength: circles.MaxNameLength},
		{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Required: true, Choices: kindChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "topic", MaxLength: circles.MaxTopicLength},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", MinValue: ptr(float64(circles.MinCapacity)), MaxValue: circles.MaxCapacity},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "listeners"},
		eventsOption(),
	}, append(scheduleOptions(), languageOption())...)

	edit := []*discordgo.ApplicationCommandOption{
		circleOption(),
		{Type: discordgo.ApplicationCommandOptionString, Name: "name", MaxLength: circles.MaxNameLength},
		{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Choices: kindChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "topic", MaxLength: circles.MaxTopicLength},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", MinValue: ptr(float64(circles.MinCapacity)), MaxValue: circles.MaxCapacity},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "listeners"},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "listener_seats", MinValue: ptr(0.0), MaxValue: circles.MaxCapacity},
		{Type: discordgo.ApplicationCommandOptionUser, Name: "add_facilitator"},
		{Type: discordgo.ApplicationCommandOptionUser, Name: "remove_facilitator"},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "facilitator_gate"},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "postpone_without_facilitator"},
		languageOption(),
		eventsOption(),
	}

	schedule := append([]*discordgo.ApplicationCommandOption{circleOption()}, scheduleOptions()...)

	return localizeCommands([]*discordgo.ApplicationCommand{
		{Name: "circles", Contexts: guildOnly},
		{Name: "join", Contexts: guildOnly,
			Options: []*discordgo.ApplicationCommandOption{circleOption()}},
		{Name: "leave", Contexts: guildOnly,
			Options: []*discordgo.ApplicationCommandOption{circleOption()}},
		{Name: "mycircles", Contexts: guildOnly},
		{Name: "helpnow", Contexts: guildOnly},
		{Name: "privacy", Contexts: guildOnly, Options: []*discordgo.ApplicationCommandOption{
			sub("export", scope),
			sub("delete", scope),
		}},
		{Name: "circle", Contexts: guildOnly, DefaultMemberPermissions: &manageChannels, Options: []*discordgo.ApplicationCommandOption{
			sub("create", create...),
			sub("edit", edit...),
			sub("guidelines", circleOption()),
			sub("prompts", circleOption()),
			sub("schedule", schedule...),
			sub("skip", circleOption(), skipSessionOption()),
			sub("open", circleOption()),
			sub("close", circleOption()),
			sub("roster", circleOption()),
			sub("remove", circleOption(),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Required: true},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "lift"}),
			sub("archive", circleOption()),
			sub("round", circleOption(),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "minutes", MinValue: ptr(1.0), MaxValue: 10}),
			sub("post", circleOption(),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Required: true, ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}}),
		}},
		{Name: "setup", Contexts: guildOnly, DefaultMemberPermissions: &manageGuild, Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionRole, Name: "facilitator_role"},
			{Type: discordgo.ApplicationCommandOptionChannel, Name: "category", ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildCategory}},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "retention_hours", MinValue: ptr(0.0), MaxValue: circles.MaxRetentionHours},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "reminder_minutes", MinValue: ptr(0.0), MaxValue: circles.MaxReminderMinutes},
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "crisis_resources"},
		}},
		{Name: FlagCommand, Type: discordgo.MessageApplicationCommand, Contexts: guildOnly},
	})
}
