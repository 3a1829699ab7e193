package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// The words of the facilitator room features — rounds, who is coming,
// circle cards, and who can read a session channel — in one place, from
// the catalogs (i18n/locales/*.room.toml). Names are always mentions; the
// messages that carry them ping nobody (allowed_mentions none).
//
// Which language: the round's message, and what replaces it, is in the
// circle's language (it is in the session channel); what answers a click
// or a command is in the clicker's (Request.Lang); refusals are lerr, in
// their reader's; a card is in the circle's.

// ---- rounds ----

func roundButtonLabels(lang i18n.Locale) map[string]string {
	return map[string]string{
		roundRaise: lang.T("room.round.raise_button"), roundLower: lang.T("room.round.lower_button"), roundPass: lang.T("room.round.pass_button"),
		roundNext: lang.T("room.round.next_button"), roundSkip: lang.T("room.round.skip_button"), roundEnd: lang.T("room.round.end_button"),
	}
}

// startRoundLabel is the welcome's button.
func startRoundLabel(lang i18n.Locale) string { return lang.T("room.start_round_button") }

func roundFormTitle(lang i18n.Locale) string       { return lang.T("room.round.form_modal_title") }
func roundFormLabel(lang i18n.Locale) string       { return lang.T("room.round.minutes_input") }
func roundFormPlaceholder(lang i18n.Locale) string { return lang.T("room.round.minutes_placeholder") }

func roundBadMinutes(v string) error {
	return lerr(circles.EInvalid, "room.round.bad_minutes", i18n.Args{"Value": v})
}

// roundSessionGoneKey is said to a click on a round whose session is gone.
const roundSessionGoneKey = "room.round.session_gone"

func roundSessionOver(c circles.Circle) error {
	return lerr(circles.EConflict, "room.round.session_over", i18n.Args{"Circle": c.EscapedName()})
}

func roundWrongChannel() error {
	return lerr(circles.EForbidden, "room.round.wrong_channel")
}

func roundNotAttendee(c circles.Circle) error {
	return lerr(circles.EForbidden, "room.round.not_attendee", i18n.Args{"Circle": c.EscapedName()})
}

func roundFacilitatorsOnly() error {
	return lerr(circles.EForbidden, "room.round.facilitators_only")
}

func roundNoSession(c circles.Circle) error {
	return lerr(circles.EConflict, "room.round.no_session", i18n.Args{"Circle": c.EscapedName()})
}

func messageLink(guildID, channelID, messageID string) string {
	return fmt.Sprintf("https://discord.com/channels/%s/%s/%s", guildID, channelID, messageID)
}

func roundAlreadyGoing(guildID, channelID, messageID string) error {
	if messageID == "" {
		return lerr(circles.EConflict, "room.round.already_starting")
	}
	return lerr(circles.EConflict, "room.round.already_going", i18n.Args{"Link": messageLink(guildID, channelID, messageID)})
}

func roundOlderMessage(guildID, channelID, messageID string) error {
	return lerr(circles.EConflict, "room.round.older", i18n.Args{"Link": messageLink(guildID, channelID, messageID)})
}

func roundStartedText(lang i18n.Locale, guildID, channelID, messageID string) string {
	return lang.T("room.round.started", i18n.Args{"Link": messageLink(guildID, channelID, messageID)})
}

func roundResetOld(lang i18n.Locale) string {
	return lang.T("room.round.reset_old")
}

// maxQueueShown is how many raised hands the round's message names.
const maxQueueShown = 30

// roundText is the round's message while it runs, one line per part.
func roundText(lang i18n.Locale, rd *circles.Round, reset bool) string {
	var lines []string
	if reset {
		lines = append(lines, lang.T("room.round.reset_note"))
	}
	if rd.SpeakingTime > 0 {
		lines = append(lines, lang.T("room.round.header_timed", i18n.Args{"Minutes": int(rd.SpeakingTime / time.Minute)}))
	} else {
		lines = append(lines, lang.T("room.round.header"))
	}
	switch {
	case rd.Speaker != "" && rd.TimeUp:
		lines = append(lines, lang.T("room.round.time_up", i18n.Args{"User": rd.Speaker}))
	case rd.Speaker != "":
		if d, ok := rd.Deadline(); ok {
			lines = append(lines, lang.T("room.round.speaking_until", i18n.Args{"User": rd.Speaker, "Until": d.Unix()}))
		} else {
			lines = append(lines, lang.T("room.round.speaking", i18n.Args{"User": rd.Speaker}))
		}
	default:
		lines = append(lines, lang.T("room.round.nobody_speaking"))
	}
	if len(rd.Queue) == 0 {
		lines = append(lines, lang.T("room.round.no_hands"))
	} else {
		shown := rd.Queue
		if len(shown) > maxQueueShown {
			shown = shown[:maxQueueShown]
		}
		queue := make([]string, len(shown))
		for i, u := range shown {
			queue[i] = fmt.Sprintf("%d. <@%s>", i+1, u)
		}
		args := i18n.Args{"Queue": strings.Join(queue, " · ")}
		if more := len(rd.Queue) - len(shown); more > 0 {
			args["Count"] = more
			lines = append(lines, lang.T("room.round.next_up_more", args))
		} else {
			lines = append(lines, lang.T("room.round.next_up", args))
		}
	}
	if len(rd.Passed) > 0 {
		lines = append(lines, lang.T("room.round.passed", i18n.Args{"Users": mentionList(rd.Passed)}))
	}
	lines = append(lines, lang.T("room.round.how_to"))
	return strings.Join(lines, "\n")
}

// roundEndedText is the round's message once it ended (rd nil: nothing
// is known of it).
func roundEndedText(lang i18n.Locale, rd *circles.Round) string {
	if rd == nil {
		return lang.T("room.round.ended_unknown")
	}
	return lang.T("room.round.ended", i18n.Args{"Count": rd.Spoken, "Passed": len(rd.Passed)})
}

func roundRaisedText(lang i18n.Locale, rd *circles.Round, userID string) string {
	if rd.Speaker == userID {
		return lang.T("room.round.your_turn")
	}
	for i, u := range rd.Queue {
		if u == userID {
			return lang.T("room.round.hand_up_at", i18n.Args{"Position": i + 1})
		}
	}
	return lang.T("room.round.hand_up")
}

func roundLoweredText(lang i18n.Locale, changed bool) string {
	if !changed {
		return lang.T("room.round.hand_was_down")
	}
	return lang.T("room.round.hand_down")
}

func roundPassedText(lang i18n.Locale, role circles.Role) string {
	if role == circles.RoleListener {
		return lang.T("room.round.passed_listener")
	}
	return lang.T("room.round.passed_you")
}

func roundMovedText(lang i18n.Locale, rd *circles.Round) string {
	switch {
	case rd.Ended:
		return lang.T("room.round.moved_ended")
	case rd.Speaker != "":
		return lang.T("room.round.moved_turn", i18n.Args{"User": rd.Speaker})
	}
	return lang.T("room.round.moved_nobody")
}

// ---- who is coming ----

// comingLine counts one session's answers: "<t:…:f> — 3 going · 1 skipping · 4 haven't answered".
func comingLine(lang i18n.Locale, s circles.Session, going, skipping, unanswered int) string {
	return lang.T("room.coming.line", i18n.Args{"Start": s.Start.Unix(), "Going": going, "Skipping": skipping, "Unanswered": unanswered})
}

func comingNames(lang i18n.Locale, going []string) string {
	if len(going) == 0 {
		return lang.T("room.coming.names_none")
	}
	return lang.T("room.coming.names", i18n.Args{"Users": mentionList(going)})
}

func comingTitle(lang i18n.Locale) string { return lang.T("room.coming.title") }

func comingNone(lang i18n.Locale) string { return lang.T("room.coming.none") }

// unreachableNote marks a member whose DMs are closed, after their line
// of the roster.
func unreachableNote(lang i18n.Locale, at time.Time) string {
	return lang.T("room.unreachable.note", i18n.Args{"At": at.Unix()})
}

func unreachableSummary(lang i18n.Locale, n int) string {
	return lang.T("room.unreachable.summary", i18n.Args{"Count": n})
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

func cardTooMany(n int) error {
	return lerr(circles.EConflict, "card.too_many", i18n.Args{"Count": n})
}

func cardNoSession(lang i18n.Locale, archived bool) string {
	if archived {
		return lang.T("card.none_archived")
	}
	return lang.T("card.none_planned")
}

func cardInSession(lang i18n.Locale, s circles.Session) string {
	return lang.T("card.in_session", i18n.Args{"End": s.End.Unix()})
}

func cardPosted(lang i18n.Locale, c circles.Circle, channelID string, again bool) string {
	args := i18n.Args{"Circle": c.EscapedName(), "Channel": channelID}
	if again {
		return lang.T("card.posted_again", args)
	}
	return lang.T("card.posted", args)
}

func cardNotHere() error {
	return lerr(circles.EInvalid, "card.not_here")
}

func cardNotInSession() error {
	return lerr(circles.EInvalid, "card.not_in_session")
}

func cardCantPost(channelID string) error {
	return lerr(circles.EInvalid, "card.cant_post", i18n.Args{"Channel": channelID})
}

// cardArchivedRefusal answers the button of an archived circle's card,
// as /join answers for an archived circle.
func cardArchivedRefusal(c circles.Circle) error {
	return lerr(circles.EConflict, "member.archived", i18n.Args{"Circle": c.EscapedName()})
}

// ---- who can read a session channel ----

// whoCanReadNote is said on the consent screen and in the welcome.
func whoCanReadNote(lang i18n.Locale) string {
	return lang.T("room.who_can_read")
}
