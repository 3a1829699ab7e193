package bot

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/i18n"
)

// Commands are described in every language circlebot speaks: Discord
// shows each member the description_localizations (and choice
// name_localizations) of their client's locale. The texts are catalog
// keys named by the command path — "cmd" + "circle.create" for the
// subcommand, + ".name" for its option; options several commands share
// are "opt.<option>", choices "choice.<option>.<value>". Command and
// option names stay English, so help pages and docs match in every
// language; the message command's name is localized ("menu.flag").

// localizeCommands fills in descriptions and their localizations from the
// catalogs. A text the catalogs lack keeps its literal (a test fails on
// it).
func localizeCommands(cmds []*discordgo.ApplicationCommand) []*discordgo.ApplicationCommand {
	for _, c := range cmds {
		if c.Type == discordgo.MessageApplicationCommand {
			if c.Name == FlagCommand {
				c.NameLocalizations = ptr(localizations("menu.flag"))
			}
			continue
		}
		if key := "cmd." + c.Name; i18n.Has(key) {
			c.Description = i18n.T(i18n.English, key)
			c.DescriptionLocalizations = ptr(localizations(key))
		}
		localizeOptions(c.Name, c.Options)
	}
	return cmds
}

func localizeOptions(path string, opts []*discordgo.ApplicationCommandOption) {
	for _, o := range opts {
		p := path + "." + o.Name
		if key := optionKey(p, o.Name); key != "" {
			o.Description = i18n.T(i18n.English, key)
			o.DescriptionLocalizations = localizations(key)
		}
		for _, ch := range o.Choices {
			key := "choice." + o.Name + "." + strings.ToLower(choiceValue(ch))
			if i18n.Has(key) {
				ch.Name = i18n.T(i18n.English, key)
				ch.NameLocalizations = localizations(key)
			}
		}
		localizeOptions(p, o.Options)
	}
}

// optionKey is the catalog key of an option's description: its own, or
// the shared one of options of that name.
func optionKey(path, name string) string {
	if i18n.Has("cmd." + path) {
		return "cmd." + path
	}
	if i18n.Has("opt." + name) {
		return "opt." + name
	}
	return ""
}

func choiceValue(ch *discordgo.ApplicationCommandOptionChoice) string {
	if s, ok := ch.Value.(string); ok {
		return s
	}
	return ""
}

// localizations is key in every language but English, by each Discord
// locale code the language serves (es-ES and es-419 for Spanish).
func localizations(key string) map[discordgo.Locale]string {
	out := map[discordgo.Locale]string{}
	for _, loc := range i18n.Supported {
		for _, code := range loc.DiscordCodes() {
			if code == string(discordgo.EnglishUS) {
				continue
			}
			out[discordgo.Locale(code)] = i18n.T(loc, key)
		}
	}
	return out
}

// languageChoices offers the languages of session channels, each in its
// own name.
func languageChoices() []*discordgo.ApplicationCommandOptionChoice {
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(i18n.Supported))
	for _, loc := range i18n.Supported {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: loc.Name(), Value: string(loc)})
	}
	return out
}

// languageOption is /circle create's and /circle edit's language option.
func languageOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "language", Description: i18n.T(i18n.English, "cmd.circle.edit.language"), Choices: languageChoices()}
}
