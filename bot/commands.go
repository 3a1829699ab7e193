package bot

import (
	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
)

// FlagCommand is the message command members use to alert facilitators.
const FlagCommand = "Flag to facilitators"

func ptr[T any](v T) *T { return &v }

var guildOnly = &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}

func circleOption(desc string) *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "circle", Description: desc, Required: true, Autocomplete: true, MaxLength: circles.MaxNameLength}
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
		{Type: discordgo.ApplicationCommandOptionString, Name: "weekday", Description: "Day the circle meets (every week, unless repeat says otherwise)", Choices: weekdayChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "time", Description: "Start time, 24-hour HH:MM in the circle's time zone (e.g. 19:00)", MinLength: ptr(4), MaxLength: 5},
		{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "IANA time zone, e.g. Europe/Berlin (start typing)", Autocomplete: true, MaxLength: 64},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "duration", Description: "Session length in minutes (15–480)", MinValue: ptr(15.0), MaxValue: 480},
		{Type: discordgo.ApplicationCommandOptionString, Name: "cron", Description: "Instead of weekday+time: a 5-field cron spec, e.g. '0 19 * * TUE'", MaxLength: 100},
		repeatOption(),
	}
}

// Commands is the command set registered with Discord.
func Commands() []*discordgo.ApplicationCommand {
	manageChannels := int64(discordgo.PermissionManageChannels)
	manageGuild := int64(discordgo.PermissionManageGuild)
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	scope := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "scope", Description: "Only this server (default) or every server the bot shares with you",
		Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "This server", Value: "guild"}, {Name: "All servers", Value: "all"}}}

	create := append([]*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "The circle's name, e.g. Grief circle (1–64 characters)", Required: true, MinLength: ptr(1), MaxLength: circles.MaxNameLength},
		{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Description: "What sort of circle this is", Required: true, Choices: kindChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "One line members see in /circles", MaxLength: circles.MaxTopicLength},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", Description: "Speaking seats (2–25; 6–12 works best)", MinValue: ptr(float64(circles.MinCapacity)), MaxValue: circles.MaxCapacity},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "listeners", Description: "Allow people to join as listeners who read but don't speak (default yes)"},
		eventsOption(),
	}, append(scheduleOptions(), languageOption())...)

	edit := []*discordgo.ApplicationCommandOption{
		circleOption("The circle to change"),
		{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "New name", MaxLength: circles.MaxNameLength},
		{Type: discordgo.ApplicationCommandOptionString, Name: "kind", Description: "New kind", Choices: kindChoices()},
		{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "New topic line", MaxLength: circles.MaxTopicLength},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", Description: "Speaking seats (2–25)", MinValue: ptr(float64(circles.MinCapacity)), MaxValue: circles.MaxCapacity},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "listeners", Description: "Allow listeners"},
		{Type: discordgo.ApplicationCommandOptionInteger, Name: "listener_seats", Description: "Listener seats (0–25)", MinValue: ptr(0.0), MaxValue: circles.MaxCapacity},
		{Type: discordgo.ApplicationCommandOptionUser, Name: "add_facilitator", Description: "Add a co-facilitator"},
		{Type: discordgo.ApplicationCommandOptionUser, Name: "remove_facilitator", Description: "Remove a co-facilitator"},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "facilitator_gate", Description: "Alert facilitators when none has said they're coming (default on)"},
		{Type: discordgo.ApplicationCommandOptionBoolean, Name: "postpone_without_facilitator", Description: "Postpone the session instead when no facilitator is coming"},
		languageOption(),
		eventsOption(),
	}

	schedule := append([]*discordgo.ApplicationCommandOption{circleOption("The circle whose schedule to show or change")}, scheduleOptions()...)

	return localizeCommands([]*discordgo.ApplicationCommand{
		{Name: "circles", Description: "See this server's support circles, when they meet and how many seats are left", Contexts: guildOnly},
		{Name: "join", Description: "Read a circle's guidelines and join it, as a member or a listener", Contexts: guildOnly,
			Options: []*discordgo.ApplicationCommandOption{circleOption("The circle to join")}},
		{Name: "leave", Description: "Leave a circle and withdraw your consent", Contexts: guildOnly,
			Options: []*discordgo.ApplicationCommandOption{circleOption("The circle to leave")}},
		{Name: "mycircles", Description: "Your circles, your next sessions, RSVPs and reminders", Contexts: guildOnly},
		{Name: "helpnow", Description: "Crisis resources: where to get help right now", Contexts: guildOnly},
		{Name: "privacy", Description: "See or erase what circlebot stores about you", Contexts: guildOnly, Options: []*discordgo.ApplicationCommandOption{
			sub("export", "Get everything circlebot holds about you as a JSON file (only you see it)", scope),
			sub("delete", "Erase everything circlebot holds about you (asks you to confirm)", scope),
		}},
		{Name: "circle", Description: "Create and run support circles (facilitators)", Contexts: guildOnly, DefaultMemberPermissions: &manageChannels, Options: []*discordgo.ApplicationCommandOption{
			sub("create", "Create a circle with a weekly schedule", create...),
			sub("edit", "Change a circle's settings or facilitators", edit...),
			sub("guidelines", "Edit a circle's guidelines (members will be asked to consent again)", circleOption("The circle whose guidelines to edit")),
			sub("prompts", "Edit the prompts posted during sessions, one per line", circleOption("The circle whose prompts to edit")),
			sub("schedule", "Show the next sessions, or change when the circle meets", schedule...),
			sub("skip", "Skip the next session, or one you choose (members are told)", circleOption("The circle to skip a session of"), skipSessionOption()),
			sub("open", "Open a session right now", circleOption("The circle to open now")),
			sub("close", "Close the open session now", circleOption("The circle to close now")),
			sub("roster", "See who is in a circle (only you see it)", circleOption("The circle whose roster to see")),
			sub("remove", "Remove someone from a circle, or let them back in", circleOption("The circle"),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "member", Description: "The person to remove", Required: true},
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "lift", Description: "Set to true to lift an earlier removal so they may join again"}),
			sub("archive", "Archive a circle: no more sessions, members are told", circleOption("The circle to archive")),
			sub("round", "Start a round in the open session: everyone gets a turn", circleOption("The circle whose session to run a round in"),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "minutes", Description: "Speaking time per person, 1–10 minutes (default: no timer)", MinValue: ptr(1.0), MaxValue: 10}),
			sub("post", "Post the circle's public card, with a join button, in a channel", circleOption("The circle to post a card of"),
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel", Description: "Where to post the card", Required: true, ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}}),
		}},
		{Name: "setup", Description: "Set up circlebot for this server (admins)", Contexts: guildOnly, DefaultMemberPermissions: &manageGuild, Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionRole, Name: "facilitator_role", Description: "Role whose members may create and run circles"},
			{Type: discordgo.ApplicationCommandOptionChannel, Name: "category", Description: "Category where session channels are created", ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildCategory}},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "retention_hours", Description: "Hours a closed session channel is kept before deletion (0–720, default 24)", MinValue: ptr(0.0), MaxValue: circles.MaxRetentionHours},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "reminder_minutes", Description: "Minutes before a session members get a reminder DM (0 = none)", MinValue: ptr(0.0), MaxValue: circles.MaxReminderMinutes},
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "crisis_resources", Description: "Set to true to edit the crisis resources /helpnow shows (opens a form)"},
		}},
		{Name: FlagCommand, Type: discordgo.MessageApplicationCommand, Contexts: guildOnly},
	})
}
