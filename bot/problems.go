package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

// problem is a refusal from Discord that trying again won't fix: someone
// has to change something in the server first. Facilitators are told what,
// in plain words (advice), instead of the bot retrying quietly.
type problem int

const (
	noProblem           problem = iota
	problemPermissions          // 50001 Missing Access, 50013 Missing Permissions
	problemChannelGone          // 10003 Unknown Channel
	problemCategoryGone         // 50035 on parent_id: not (any more) a category
	problemCategoryFull         // 50035 on parent_id: 50 channels in it already
	problemServerFull           // 30013: 500 channels in the server
	problemNoCategory           // /setup has chosen no category (errNoCategory)
)

// diagnose recognises the problems above in an error from discordgo (or
// OpenSession's errNoCategory).
func diagnose(err error) problem {
	if errors.Is(err, errNoCategory) {
		return problemNoCategory
	}
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Message == nil {
		return noProblem
	}
	switch rest.Message.Code {
	case discordgo.ErrCodeMissingAccess, discordgo.ErrCodeMissingPermissions:
		return problemPermissions
	case discordgo.ErrCodeUnknownChannel:
		return problemChannelGone
	case discordgo.ErrCodeMaximumNumberOfGuildChannelsReached:
		return problemServerFull
	case discordgo.ErrCodeInvalidFormBody:
		var body struct {
			Errors struct {
				ParentID struct {
					Errors []struct {
						Code string `json:"code"`
					} `json:"_errors"`
				} `json:"parent_id"`
			} `json:"errors"`
		}
		if json.Unmarshal(rest.ResponseBody, &body) != nil || len(body.Errors.ParentID.Errors) == 0 {
			return noProblem
		}
		for _, e := range body.Errors.ParentID.Errors {
			if strings.Contains(e.Code, "MAX_CHANNELS") {
				return problemCategoryFull
			}
		}
		return problemCategoryGone
	}
	return noProblem
}

// advice says what is wrong and how to fix it, to be read after a colon.
// channelID is the session's channel, if it has one; categoryID the
// session category from /setup. Empty for noProblem. For
// problemPermissions it is only the fallback when Discord can't be asked
// what is missing: see Bot.advise.
func (p problem) advice(channelID, categoryID string) string {
	category := "the session category"
	if categoryID != "" {
		category += " <#" + categoryID + ">"
	}
	switch p {
	case problemPermissions:
		where := category
		if channelID != "" {
			where = "<#" + channelID + "> or in " + category
		}
		return "Discord refused circlebot for missing permissions, and I couldn't read which ones just now. A server admin can run /setup to see circlebot's permissions checked one by one, and fix what it shows in " + where + "."
	case problemChannelGone:
		return "the session's channel no longer exists in Discord (it may have been deleted by hand), so there is nothing left to do in it."
	case problemCategoryGone:
		return "the category for session channels no longer exists in Discord. A server admin can choose one with `/setup category:`."
	case problemCategoryFull:
		return category + " is full: Discord allows 50 channels in a category. A server admin can delete old channels in it, or choose another category with `/setup category:`."
	case problemServerFull:
		return "the server has reached Discord's limit of 500 channels. A server admin can delete channels that are no longer used."
	case problemNoCategory:
		return "circlebot has no category for session channels in this server yet. Please ask a server admin to run /setup."
	}
	return ""
}

// unknownProblemAdvice stands in for advice when the error is not one of
// the recognised problems.
const unknownProblemAdvice = "Discord keeps answering with an error. If this goes on, a server admin can run /setup to check circlebot's permissions."

// advise says what is wrong and how to fix it, to be read after a colon,
// and which permissions are missing (0 unless p is problemPermissions).
// For a refusal it asks Discord what circlebot holds now and names exactly
// the permissions the refused call lacked, what they are for and where to
// grant them; never a list of guesses.
func (b *Bot) advise(ctx context.Context, guildID string, err error, channelID, categoryID string) (problem, string, int64) {
	p := diagnose(err)
	if p != problemPermissions {
		return p, p.advice(channelID, categoryID), 0
	}
	var r *refusal
	if !errors.As(err, &r) {
		r = &refusal{err: err, channelID: channelID, need: RequiredPermissions}
	}
	m, xerr := b.explainRefusal(ctx, guildID, r)
	if xerr != nil {
		b.log.Warn("could not read circlebot's permissions to explain a refusal", "guild", guildID, "err", xerr)
		return p, p.advice(channelID, categoryID), 0
	}
	if m.bits == 0 {
		return p, "Discord refused circlebot for missing permissions, but it has every permission it needs there now: someone may have just fixed it.", 0
	}
	return p, m.describe(i18n.Resolve(b.guildLocale(guildID)), inChannel(r.channelID)), m.bits
}

// alertWindow is how often facilitators hear of the same trouble of a
// circle at most: a circle meeting every hour in a full category would
// otherwise DM them twice an hour.
const alertWindow = 24 * time.Hour

// alertKey names one trouble of one circle; for missing permissions, one
// permission. missed tells a missed-session notice from the others.
type alertKey struct {
	circle  int64
	problem problem
	perm    int64
	missed  bool
}

// alertState is when a trouble was last told, and how often it came back
// since without being told.
type alertState struct {
	at   time.Time
	more int
}

// alert decides whether facilitators are told of problem p (with the
// missing permissions perms) about session s of circle c: not twice for
// one session (firstTelling), and for the circle at most once per
// alertWindow. more is how many times it came back, untold, since the last
// telling, for the message to say.
func (b *Bot) alert(c circles.Circle, sessionID int64, p problem, perms int64, missed bool) (tell bool, more int) {
	if !missed && !b.firstTelling(sessionID, p, perms) {
		return false, 0
	}
	now := b.clock.Now()
	keys := []alertKey{{c.ID, p, 0, missed}}
	if perms != 0 {
		keys = keys[:0]
		for _, q := range permissionsIn(perms) {
			keys = append(keys, alertKey{c.ID, p, q.bit, missed})
		}
	}
	b.alertMu.Lock()
	defer b.alertMu.Unlock()
	if b.alerts == nil {
		b.alerts = map[alertKey]*alertState{}
	}
	for _, k := range keys {
		st := b.alerts[k]
		if st == nil || now.Sub(st.at) >= alertWindow {
			tell = true
		}
	}
	for _, k := range keys {
		st := b.alerts[k]
		switch {
		case st == nil:
			b.alerts[k] = &alertState{at: now}
		case tell:
			more = max(more, st.more)
			st.at, st.more = now, 0
		default:
			st.more++
		}
	}
	return tell, more
}

// againNote says, after an alert, how often the same trouble came back
// since it was last told.
func againNote(more int) string {
	if more == 0 {
		return ""
	}
	return fmt.Sprintf("\n(The same happened %d more time%s since I last told you; I write about it at most once a day.)", more, plural(more))
}

// problemKey names one problem of one session, told about once; for
// missing permissions, one permission.
type problemKey struct {
	session int64
	problem problem
	perm    int64
}

// firstTelling records that the facilitators are being told about p for a
// session, and reports whether this is the first time (in this process):
// the reminder's check of the category and a stuck open find the same
// deleted category, and one message about it is enough. perms are the
// missing permissions the message names: it is news if any of them is.
func (b *Bot) firstTelling(sessionID int64, p problem, perms int64) bool {
	if perms == 0 {
		_, told := b.problemsTold.LoadOrStore(problemKey{sessionID, p, 0}, true)
		return !told
	}
	news := false
	for _, q := range permissionsIn(perms) {
		if _, told := b.problemsTold.LoadOrStore(problemKey{sessionID, p, q.bit}, true); !told {
			news = true
		}
	}
	return news
}

// stepWords say what a step does to a session, to follow "I can't".
var stepWords = map[schedule.Step]string{
	schedule.StepShiftNotice: "announce the time change of",
	schedule.StepRemind:      "send the reminders for",
	schedule.StepOpen:        "open",
	schedule.StepMissed:      "clean up after",
	schedule.StepPrompt:      "post the next prompt in",
	schedule.StepWarn:        "post the end-of-session warning in",
	schedule.StepClose:       "close",
	schedule.StepDelete:      "delete the channel of",
	schedule.StepSyncAccess:  "update who can see",
	schedule.StepFinishOpen:  "finish opening",
}
