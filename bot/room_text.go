package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// The words of the facilitator room features — rounds, who is coming,
// circle cards, and who can read a session channel — in one place, for
// localisation. Names are always mentions; the messages that carry them
// ping nobody (allowed_mentions none).

// ---- rounds ----

func roundButtonLabels() map[string]string {
	return map[string]string{
		roundRaise: "✋ Raise hand", roundLower: "Lower hand", roundPass: "Pass",
		roundNext: "Next ▶", roundSkip: "Skip", roundEnd: "End round",
	}
}

// startRoundLabel is the welcome's button.
func startRoundLabel(lang i18n.Locale) string { return lang.T("room.start_round_button") }

func roundFormTitle() string       { return "Start a round" }
func roundFormLabel() string       { return "Minutes per person (1–10; empty: no timer)" }
func roundFormPlaceholder() string { return "e.g. 3" }

func roundBadMinutes(v string) string {
	return fmt.Sprintf("“%s” isn't a number of minutes. Give 1 to 10, or leave it empty for no timer.", v)
}

func roundSessionGone() string {
	return "I can't find that session any more, so its round is over."
}

func roundSessionOver(c circles.Circle) string {
	return fmt.Sprintf("This session of %s has ended, and its round with it.", c.EscapedName())
}

func roundWrongChannel() string {
	return "This button only works in its own session channel."
}

func roundNotAttendee(c circles.Circle) string {
	return fmt.Sprintf("Only the people taking part in this session of %s can use the round.", c.EscapedName())
}

func roundFacilitatorsOnly() string {
	return "Only the circle's facilitators start a round and move it on."
}

func roundNoSession(c circles.Circle) string {
	return fmt.Sprintf("%s has no session open right now. A round runs inside a session: start one with /circle open, or wait for the next.", c.EscapedName())
}

func messageLink(guildID, channelID, messageID string) string {
	return fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guildID, channelID, messageID)
}

func roundAlreadyGoing(guildID, channelID, messageID string) string {
	if messageID == "" {
		return "A round is already starting in this session."
	}
	return "A round is already going in this session: " + messageLink(guildID, channelID, messageID) + " — end it first to start another."
}

func roundOlderMessage(guildID, channelID, messageID string) string {
	return "That's an earlier round. The current one is here: " + messageLink(guildID, channelID, messageID)
}

func roundStartedText(guildID, channelID, messageID string) string {
	return "🔄 Round started: " + messageLink(guildID, channelID, messageID) + ". Press **Next ▶** to give the first raised hand the turn."
}

func roundResetOld() string {
	return "♻️ This round was reset: circlebot restarted and lost it. A fresh round is below — please raise your hand again."
}

// roundText is the round's message while it runs.
func roundText(rd *circles.Round, reset bool) string {
	var sb strings.Builder
	if reset {
		sb.WriteString("♻️ *The round was reset because circlebot restarted — please raise your hand again.*\n")
	}
	sb.WriteString("🔄 **A round** — raise your hand to take a turn, or pass. Sharing is always optional.")
	if rd.SpeakingTime > 0 {
		fmt.Fprintf(&sb, " · ⏱️ %d min each", int(rd.SpeakingTime/time.Minute))
	}
	sb.WriteString("\n")
	switch {
	case rd.Speaker != "" && rd.TimeUp:
		fmt.Fprintf(&sb, "⏰ **Time's up**, <@%s> — please bring your thought to a close.\n", rd.Speaker)
	case rd.Speaker != "":
		fmt.Fprintf(&sb, "🎙️ **Speaking:** <@%s>", rd.Speaker)
		if d, ok := rd.Deadline(); ok {
			fmt.Fprintf(&sb, " · until <t:%d:t>", d.Unix())
		}
		sb.WriteString("\n")
	default:
		sb.WriteString("🎙️ Nobody has the turn yet.\n")
	}
	if len(rd.Queue) == 0 {
		sb.WriteString("✋ No hands raised.\n")
	} else {
		sb.WriteString("✋ **Next up:** ")
		for i, u := range rd.Queue {
			if i == 30 {
				fmt.Fprintf(&sb, " … and %d more", len(rd.Queue)-i)
				break
			}
			if i > 0 {
				sb.WriteString(" · ")
			}
			fmt.Fprintf(&sb, "%d. <@%s>", i+1, u)
		}
		sb.WriteString("\n")
	}
	if len(rd.Passed) > 0 {
		sb.WriteString("🙏 Passed: " + mentionList(rd.Passed) + "\n")
	}
	sb.WriteString("-# Facilitators: **Next ▶** gives the turn to the first raised hand, **Skip** passes over whoever is up. Listeners may pass quietly.")
	return sb.String()
}

// roundEndedText is the round's message once it ended (rd nil: nothing
// is known of it).
func roundEndedText(rd *circles.Round) string {
	if rd == nil {
		return "🔄 This round has ended."
	}
	return fmt.Sprintf("🔄 **The round has ended** — %d turn%s, %d passed. Thank you, everyone.", rd.Spoken, plural(rd.Spoken), len(rd.Passed))
}

func roundRaisedText(rd *circles.Round, userID string) string {
	if rd.Speaker == userID {
		return "🎙️ You have the turn now."
	}
	for i, u := range rd.Queue {
		if u == userID {
			return fmt.Sprintf("✋ Your hand is up — you're **#%d**. Lower it any time.", i+1)
		}
	}
	return "✋ Your hand is up."
}

func roundLoweredText(changed bool) string {
	if !changed {
		return "Your hand wasn't up."
	}
	return "Your hand is down."
}

func roundPassedText(role circles.Role) string {
	if role == circles.RoleListener {
		return "🙏 Noted, quietly — thank you for being here."
	}
	return "🙏 You passed this round. You can still raise your hand later."
}

func roundMovedText(rd *circles.Round) string {
	switch {
	case rd.Ended:
		return "The round has ended."
	case rd.Speaker != "":
		return fmt.Sprintf("<@%s> has the turn.", rd.Speaker)
	}
	return "Nobody is waiting; the turn goes to the next hand raised when you press Next."
}

// ---- who is coming ----

// comingLine counts one session's answers: "<t:…:f> — 3 going · 1 skipping · 4 haven't answered".
func comingLine(s circles.Session, going, skipping, unanswered int) string {
	return fmt.Sprintf("<t:%d:f> — **%d going** · %d skipping · %d haven't answered", s.Start.Unix(), going, skipping, unanswered)
}

func comingNames(going []string) string {
	if len(going) == 0 {
		return "  Going: nobody yet"
	}
	return "  Going: " + mentionList(going)
}

func comingTitle() string { return "Who is coming (only you see names)" }

func comingNone() string { return "No sessions planned." }

// unreachableNote marks a member whose DMs are closed.
func unreachableNote(at time.Time) string {
	return fmt.Sprintf(" · 📪 DMs closed since <t:%d:d>", at.Unix())
}

func unreachableSummary(n int) string {
	return fmt.Sprintf("📪 %d %s can't be reached by DM (closed DMs): they miss reminders and re-consent requests — tell them in person, or ask them to allow DMs from server members.", n, pluralWord(n, "person", "people"))
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ---- circle cards ----

func cardJoinLabel(lang i18n.Locale) string { return lang.T("card.join_button") }

func cardArchivedLabel(lang i18n.Locale) string { return lang.T("card.archived_button") }

func cardIntro(lang i18n.Locale, c circles.Circle) string {
	if c.Archived {
		return lang.T("card.archived", i18n.Args{"Circle": c.EscapedName()})
	}
	return lang.T("card.intro", i18n.Args{"Circle": c.EscapedName()}) + " " + peerSupportNote(lang)
}

func cardTooMany(n int) string {
	return fmt.Sprintf("This circle's card is already in %d channels, the most it can be in. Post it again in one of those, or delete one of them first.", n)
}

func cardNoSession(archived bool) string {
	if archived {
		return "None (archived)"
	}
	return "None planned"
}

func cardInSession(s circles.Session) string {
	return fmt.Sprintf("🟢 In session now, until <t:%d:t>", s.End.Unix())
}

func cardPosted(c circles.Circle, channelID string, again bool) string {
	if again {
		return fmt.Sprintf("♻️ The card of **%s** in <#%s> was posted anew (the old one there is gone). It stays current as seats and sessions change.", c.EscapedName(), channelID)
	}
	return fmt.Sprintf("📌 Posted the card of **%s** in <#%s>. It shows no member's name, and stays current as seats and sessions change; archiving the circle disables its button.", c.EscapedName(), channelID)
}

func cardNotHere() string {
	return "Please choose a text channel of this server for the card."
}

func cardNotInSession() string {
	return "That's a session channel: a card belongs where people who aren't in the circle yet can see it."
}

func cardCantPost(channelID string) string {
	return fmt.Sprintf("I can't post in <#%s>: I need **View Channel**, **Send Messages** and **Embed Links** there. Please grant them to circlebot in the channel's settings, or choose another channel.", channelID)
}

func cardArchivedRefusal(c circles.Circle) string {
	return fmt.Sprintf("%s is archived and no longer takes members. /circles shows the circles you can join.", c.EscapedName())
}

// ---- who can read a session channel ----

// whoCanReadNote is said on the consent screen and in the welcome.
func whoCanReadNote(lang i18n.Locale) string {
	return lang.T("room.who_can_read")
}
