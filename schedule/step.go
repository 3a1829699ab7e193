package schedule

import (
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Step is one thing the scheduler does to a session.
type Step string

// Steps, in the order a session normally goes through them.
const (
	StepNone        Step = ""             // nothing left to do
	StepShiftNotice Step = "shift_notice" // tell facilitators DST moved the start
	StepRemind      Step = "remind"       // DM members before the start
	StepOpen        Step = "open"         // create the channel, guidelines, welcome, first prompt
	StepMissed      Step = "missed"       // the start passed (plus grace) while nobody opened it
	StepCancel      Step = "cancel"       // the circle was archived before the session opened
	StepPrompt      Step = "prompt"       // post the next discussion prompt
	StepWarn        Step = "warn"         // "5 minutes left"
	StepClose       Step = "close"        // lock the channel, closing note
	StepDelete      Step = "delete"       // delete the channel after retention

	// StepOverlap calls off a planned session that another session of the
	// circle, begun or still to open, runs past the start of (a clock
	// change made them overlap): the people who expect it are told
	// (Actions.SessionOverlapped) and it is marked skipped. NextAction
	// never returns it: the scheduler checks every session that has yet to
	// open against the sessions before it whenever it looks at one
	// (Scheduler.overlappedBy) and does this instead of its step.
	StepOverlap Step = "overlap"
	// StepSyncAccess re-applies who may see a session's channel. NextAction
	// never returns it: the scheduler does it first whenever it works on a
	// session whose access is marked out of date (Session.AccessDirty, set
	// by Scheduler.WakeSoon after a failed access change).
	StepSyncAccess Step = "sync_access"
	// StepFinishOpen finishes the opening of an open session whose people
	// are in but whose pin, re-consent DMs, welcome or facilitator notice
	// failed (Session.OpeningPending). Like StepSyncAccess it is done
	// aside, before the steps, and never holds them up.
	StepFinishOpen Step = "finish_open"
)

// NextAction says what must happen to sess next and when, given its circle,
// its guild's settings and the time now. It is pure so that the rules of a
// session's life can be read and tested in one place; the scheduler stores
// the time as the session's DueAt and, when it comes, asks again, so a step
// whose moment passed (downtime, a changed setting) is reconsidered rather
// than replayed blindly.
//
// A returned time at or before now means "due now". A finished session
// returns StepNone and the zero time.
func NextAction(c circles.Circle, g circles.GuildSettings, sess circles.Session, now time.Time, grace time.Duration) (Step, time.Time) {
	switch sess.State {
	case circles.SessionPlanned:
		if sess.ChannelID != "" || !sess.OpenedAt.IsZero() {
			// An open got as far as making the channel (or all the way, and
			// only its record was lost to a crash). Whatever the time, it is
			// finished — never marked missed or cancelled, which would leave
			// the channel behind, never closed or deleted. Once the session's
			// end has passed there is nothing left to open: it is closed.
			if !now.Before(sess.End) {
				return StepClose, sess.End
			}
			return StepOpen, sess.Start
		}
		if c.Archived {
			return StepCancel, now
		}
		if now.After(sess.Start.Add(grace)) {
			// Opening this late would surprise people who gave up waiting;
			// facilitators are told instead.
			return StepMissed, now
		}
		if now.Before(sess.Start) {
			if sess.Shift != "" && !sess.ShiftNoticeSent {
				return StepShiftNotice, now
			}
			if lead := g.ReminderLead(); lead > 0 && !sess.RemindersSent {
				return StepRemind, sess.Start.Add(-lead)
			}
		}
		return StepOpen, sess.Start

	case circles.SessionOpen:
		if !now.Before(sess.End) {
			return StepClose, sess.End
		}
		warn := sess.WarningTime()
		if n := len(c.Prompts); sess.PromptsPosted < n && (warn.IsZero() || now.Before(warn)) {
			return StepPrompt, circles.PromptTimes(sess.Start, sess.End, n)[sess.PromptsPosted]
		}
		if !warn.IsZero() && !sess.WarningSent && sess.End.Sub(later(now, warn)) >= MinWarningLeft {
			// Not when less is left (opened late, or the bot was down):
			// the close is about to say it all.
			return StepWarn, warn
		}
		return StepClose, sess.End

	case circles.SessionClosed:
		return StepDelete, deleteAt(g, sess)
	}
	return StepNone, time.Time{}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// MinWarningLeft is the least time left for the end-of-session warning to
// be worth posting: the one rule for it (Actions.WarnEnding posts when
// told to).
const MinWarningLeft = 2 * time.Minute

// hasChannel reports whether a session that is not finished has a channel
// whose access the scheduler looks after.
func hasChannel(sess circles.Session) bool {
	return sess.ChannelID != "" && sess.Active()
}

// deleteAt is when a closed session's channel goes. DeleteAt is fixed at
// close so that a later change of the retention setting does not resurrect
// or hasten channels already scheduled; older rows without it fall back to
// the current setting.
func deleteAt(g circles.GuildSettings, sess circles.Session) time.Time {
	if !sess.DeleteAt.IsZero() {
		return sess.DeleteAt
	}
	return DeleteTime(g, sess)
}

// DeleteTime is when the channel of a session closed at sess.ClosedAt is
// due for deletion: the guild's retention after the session ended — at its
// End, or at an earlier close. A close that comes late (the bot was down)
// does not extend it, so a channel long overdue goes at once.
func DeleteTime(g circles.GuildSettings, sess circles.Session) time.Time {
	from := sess.End
	if !sess.ClosedAt.IsZero() && sess.ClosedAt.Before(from) {
		from = sess.ClosedAt
	}
	return from.Add(g.Retention())
}

// promptIndex picks the prompt to post when a prompt step is due: the
// latest one whose time has come. After downtime that skips prompts nobody
// had time to discuss instead of posting several in a row.
func promptIndex(c circles.Circle, sess circles.Session, now time.Time) int {
	n := len(c.Prompts)
	times := circles.PromptTimes(sess.Start, sess.End, n)
	warn := sess.WarningTime()
	idx := sess.PromptsPosted
	for i := idx + 1; i < n; i++ {
		if times[i].After(now) || (!warn.IsZero() && !times[i].Before(warn)) {
			break
		}
		idx = i
	}
	return idx
}

// dueAt rounds up to a whole second. The store may keep whole seconds only;
// rounding down would make a session look due a moment before NextAction
// agrees, and the wake loop would spin until the clock caught up.
func dueAt(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}
