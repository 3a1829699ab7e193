package bot

import (
	"context"
	"encoding/json"
	"errors"
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

// adviceText says what is wrong and how to fix it, in the reader's
// language, to be read after a colon. Reports go to each facilitator in
// their own language, so the advice is worked out once (Discord asked
// once) and written out per reader.
type adviceText func(i18n.Locale) string

// sayAdvice is the catalog message key with args, as advice.
func sayAdvice(key string, args i18n.Args) adviceText {
	return func(l i18n.Locale) string { return l.T(key, args) }
}

// noAdvice is the advice of noProblem: nothing.
func noAdvice(i18n.Locale) string { return "" }

// advice says what is wrong and how to fix it, to be read after a colon.
// channelID is the session's channel, if it has one; categoryID the
// session category from /setup. Empty for noProblem. For
// problemPermissions it is only the fallback when Discord can't be asked
// what is missing: see Bot.advise.
func (p problem) advice(channelID, categoryID string) adviceText {
	args := i18n.Args{"Channel": channelID, "Category": categoryID}
	switch p {
	case problemPermissions:
		switch {
		case channelID != "" && categoryID != "":
			return sayAdvice("problems.advice.permissions_channel_category", args)
		case channelID != "":
			return sayAdvice("problems.advice.permissions_channel", args)
		case categoryID != "":
			return sayAdvice("problems.advice.permissions_category", args)
		}
		return sayAdvice("problems.advice.permissions", args)
	case problemChannelGone:
		return sayAdvice("problems.advice.channel_gone", args)
	case problemCategoryGone:
		return sayAdvice("problems.advice.category_gone", args)
	case problemCategoryFull:
		if categoryID != "" {
			return sayAdvice("problems.advice.category_full_named", args)
		}
		return sayAdvice("problems.advice.category_full", args)
	case problemServerFull:
		return sayAdvice("problems.advice.server_full", args)
	case problemNoCategory:
		return sayAdvice("problems.advice.no_category", args)
	}
	return noAdvice
}

// unknownProblemAdvice stands in for advice when the error is not one of
// the recognised problems.
var unknownProblemAdvice = sayAdvice("problems.advice.unknown", nil)

// advise says what is wrong and how to fix it, to be read after a colon,
// and which permissions are missing (0 unless p is problemPermissions).
// For a refusal it asks Discord what circlebot holds now and names exactly
// the permissions the refused call lacked, what they are for and where to
// grant them; never a list of guesses.
func (b *Bot) advise(ctx context.Context, guildID string, err error, channelID, categoryID string) (problem, adviceText, int64) {
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
		return p, sayAdvice("problems.advice.permissions_fixed", nil), 0
	}
	where := r.channelID
	return p, func(l i18n.Locale) string { return m.describe(l, inChannel(where)) }, m.bits
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
// since it was last told: a line of its own, or "" when it didn't.
func againNote(l i18n.Locale, more int) string {
	if more == 0 {
		return ""
	}
	return "\n" + l.T("problems.again", i18n.Args{"Count": more})
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

// What the bot was doing when a step got stuck or Discord refused it (a
// refusal's what): each names the sentence that tells the facilitators,
// problems.stuck.<doing> in the catalogs ("⚠️ I can't pin the guidelines
// in the session of …"), one whole sentence per case, since word order
// differs between languages.
const (
	doingShiftNotice   = "shift_notice"
	doingRemind        = "remind"
	doingOpen          = "open"
	doingMissed        = "missed"
	doingPrompt        = "prompt"
	doingWarn          = "warn"
	doingClose         = "close"
	doingDeleteChannel = "delete_channel"
	doingSyncAccess    = "sync_access"
	doingFinishOpen    = "finish_open"
	doingLookAfter     = "look_after" // a step without a sentence of its own
	doingReadChannel   = "read_channel"
	doingChangeAccess  = "change_access"
	doingMakeOverflow  = "make_overflow"
	doingCreateChannel = "create_channel"
	doingReadOpening   = "read_opening"
	doingPinGuidelines = "pin_guidelines"
	doingEvents        = "events"
)

// doingPost is what the bot was doing when Discord refused a post of one
// of its session messages, named by post's what ("welcome", "prompt").
func doingPost(what string) string { return "post_" + what }

// stuckKey is the catalog key of the sentence for doing.
func stuckKey(doing string) string { return "problems.stuck." + doing }

// stepDoing says what a step does to a session.
var stepDoing = map[schedule.Step]string{
	schedule.StepShiftNotice: doingShiftNotice,
	schedule.StepRemind:      doingRemind,
	schedule.StepOpen:        doingOpen,
	schedule.StepMissed:      doingMissed,
	schedule.StepPrompt:      doingPrompt,
	schedule.StepWarn:        doingWarn,
	schedule.StepClose:       doingClose,
	schedule.StepDelete:      doingDeleteChannel,
	schedule.StepSyncAccess:  doingSyncAccess,
	schedule.StepFinishOpen:  doingFinishOpen,
}

// stuckDoing is what a stuck step was doing: the refused call's own
// doing when err names one the catalogs have a sentence for, else the
// step's.
func stuckDoing(step schedule.Step, err error) string {
	doing, ok := stepDoing[step]
	if !ok {
		doing = doingLookAfter
	}
	var r *refusal
	if errors.As(err, &r) && r.what != "" && i18n.Has(stuckKey(r.what)) {
		doing = r.what // "pin_guidelines"
	}
	return doing
}
