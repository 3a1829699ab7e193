package bot

import (
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Every command, option and choice a member sees is described in each
// language circlebot speaks, within Discord's limits; names stay English.
func TestCommandsLocalized(t *testing.T) {
	want := []discordgo.Locale{discordgo.EnglishGB, discordgo.German, discordgo.SpanishES, discordgo.SpanishLATAM, discordgo.French, discordgo.PortugueseBR}
	check := func(what, english string, locs map[discordgo.Locale]string, max int) {
		t.Helper()
		for _, l := range want {
			s, ok := locs[l]
			if !ok || s == "" {
				t.Errorf("%s: no %s text", what, l)
				continue
			}
			if n := utf8.RuneCountInString(s); n > max {
				t.Errorf("%s: %s text is %d characters, over %d", what, l, n, max)
			}
			if l != discordgo.EnglishGB && s == english && l != discordgo.SpanishLATAM {
				t.Logf("%s: %s text is the English one: %q", what, l, s)
			}
		}
	}
	var walk func(path string, opts []*discordgo.ApplicationCommandOption)
	walk = func(path string, opts []*discordgo.ApplicationCommandOption) {
		for _, o := range opts {
			p := path + " " + o.Name
			check(p, o.Description, o.DescriptionLocalizations, 100)
			for _, ch := range o.Choices {
				if o.Name == "language" {
					continue // each language in its own name
				}
				check(p+" choice "+ch.Name, ch.Name, ch.NameLocalizations, 100)
			}
			walk(p, o.Options)
		}
	}
	for _, c := range Commands() {
		if c.Type == discordgo.MessageApplicationCommand {
			if c.NameLocalizations == nil {
				t.Errorf("%s: no name localizations", c.Name)
				continue
			}
			check(c.Name, c.Name, *c.NameLocalizations, 32)
			continue
		}
		if c.NameLocalizations != nil {
			t.Errorf("/%s: command names stay English", c.Name)
		}
		if c.DescriptionLocalizations == nil {
			t.Errorf("/%s: no description localizations", c.Name)
			continue
		}
		check("/"+c.Name, c.Description, *c.DescriptionLocalizations, 100)
		walk("/"+c.Name, c.Options)
	}
}
