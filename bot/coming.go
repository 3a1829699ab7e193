package bot

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// comingSessions is how many upcoming sessions "who is coming" covers.
const comingSessions = 3

// addComing adds "who is coming" to a facilitator's embed, unless the
// circle is archived (it has no sessions to come to).
func (b *Bot) addComing(ctx context.Context, lang i18n.Locale, c circles.Circle, e *discordgo.MessageEmbed) error {
	if c.Archived {
		return nil
	}
	f, err := b.comingField(ctx, lang, c)
	if err != nil {
		return err
	}
	e.Fields = append(e.Fields, f)
	return nil
}

// comingField says, for each of the circle's next sessions, how many of
// its people (active members, listeners and facilitators) are going,
// skipping or haven't answered, with the names of those going. It is
// shown only to facilitators, in ephemeral answers (/circle roster,
// /circle schedule).
func (b *Bot) comingField(ctx context.Context, lang i18n.Locale, c circles.Circle) (*discordgo.MessageEmbedField, error) {
	sessions, err := b.upcomingSessions(ctx, c, comingSessions)
	if err != nil {
		return nil, err
	}
	field := &discordgo.MessageEmbedField{Name: comingTitle(lang), Value: comingNone(lang)}
	if len(sessions) == 0 {
		return field, nil
	}
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	people := map[string]bool{}
	for _, f := range c.Facilitators {
		people[f] = true
	}
	for _, m := range members {
		if m.Status == circles.StatusActive {
			people[m.UserID] = true
		}
	}
	var lines []string
	for _, s := range sessions {
		rsvps, err := b.store.RSVPs(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		var going []string
		skipping := 0
		for _, rv := range rsvps {
			if !people[rv.UserID] {
				continue
			}
			switch rv.Status {
			case circles.RSVPGoing:
				going = append(going, rv.UserID)
			case circles.RSVPSkip:
				skipping++
			}
		}
		lines = append(lines, comingLine(lang, s, len(going), skipping, len(people)-len(going)-skipping), comingNames(lang, going))
	}
	field.Value = truncate(strings.Join(lines, "\n"), 1024)
	return field, nil
}
