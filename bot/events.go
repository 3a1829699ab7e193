package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Discord scheduled events, opt-in per circle (/circle create or edit
// events:True): each upcoming session is mirrored as an external event
// in the server's Events tab — name, start and end, and a location that
// says to /join first; never the channel or anyone in it. Events follow the
// sessions: created when planned, edited when a schedule change moves
// them, started at open, completed at close, cancelled when a session is
// skipped, dropped or the circle archived or opted out.
//
// syncEvents is one idempotent reconcile of a circle's events with its
// sessions in the store, so any caller can run it again after a failure.
// A create is marked on the session first (EventRequested); a create whose
// answer was lost is found again by the marker in the event's description
// instead of being made twice.

// PermissionCreateEvents is Discord's CREATE_EVENTS (1 << 44): since
// 2026-02-23 it creates events, and edits and deletes the bot's own.
// MANAGE_EVENTS (1 << 33) is needed only for events someone else made,
// which circlebot never touches, so it isn't asked for.
const PermissionCreateEvents int64 = 1 << 44

// eventsShown is how many upcoming sessions of a circle are mirrored.
const eventsShown = 3

// eventMarker ends every event's description: which circle and session
// it mirrors (IDs only).
func eventMarker(circleID, sessionID int64) string {
	return fmt.Sprintf("circlebot ref c%d s%d", circleID, sessionID)
}

func circleMarker(circleID int64) string { return fmt.Sprintf("circlebot ref c%d s", circleID) }

// requireEventsPermission refuses events:True where the bot can't create
// events, saying how to fix it.
func (b *Bot) requireEventsPermission(ctx context.Context, guildID string) error {
	a, err := readServerAccess(ctx, b.dg, guildID, b.botUserID)
	if err != nil {
		return err
	}
	if a.base()&PermissionCreateEvents == 0 {
		return lerr(circles.EConflict, "events.need_permission")
	}
	return nil
}

func (b *Bot) syncEventsErr(ctx context.Context, c circles.Circle) error {
	now := b.clock.Now()
	var want []circles.Session
	if c.Events && !c.Archived {
		if _, err := b.sched.PlanUpcoming(ctx, c, eventsShown); err != nil {
			return err
		}
		sessions, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned, circles.SessionOpen}})
		if err != nil {
			return err
		}
		want = wantedEvents(c, sessions, now)
	}
	// Sessions that still hold an event they shouldn't (skipped, missed,
	// closed, or no longer wanted).
	held, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID})
	if err != nil {
		return err
	}
	if len(want) == 0 && !slices.ContainsFunc(held, func(s circles.Session) bool { return s.EventID != "" || s.EventRequested }) {
		return nil // a circle without events: no REST call
	}
	listed, err := b.dg.GuildScheduledEvents(c.GuildID, false, discordgo.WithContext(ctx))
	if err != nil {
		return err
	}
	live := map[string]*discordgo.GuildScheduledEvent{}
	byMarker := map[string]*discordgo.GuildScheduledEvent{}
	for _, e := range listed {
		if e.CreatorID == b.botUserID && strings.Contains(e.Description, circleMarker(c.ID)) {
			live[e.ID] = e
			if i := strings.LastIndex(e.Description, "circlebot ref "); i >= 0 {
				byMarker[e.Description[i:]] = e
			}
		}
	}
	// Events whose session a schedule change replaced are edited to
	// mirror the new sessions rather than cancelled and made again.
	heldIDs := map[int64]bool{}
	for _, s := range held {
		heldIDs[s.ID] = true
	}
	var orphans []*discordgo.GuildScheduledEvent
	for _, e := range listed {
		if live[e.ID] == nil {
			continue
		}
		var cid, sid int64
		if i := strings.LastIndex(e.Description, "circlebot ref "); i >= 0 {
			if _, err := fmt.Sscanf(e.Description[i:], "circlebot ref c%d s%d", &cid, &sid); err == nil && !heldIDs[sid] && e.Status == discordgo.GuildScheduledEventStatusScheduled {
				orphans = append(orphans, e)
			}
		}
	}
	wanted := map[int64]bool{}
	for _, s := range want {
		wanted[s.ID] = true
		e := live[s.EventID]
		if e == nil && (s.EventRequested || s.EventID != "") {
			e = byMarker[eventMarker(c.ID, s.ID)] // a create whose answer was lost
		}
		if e == nil && len(orphans) > 0 && !eventRunning(s) {
			e, orphans = orphans[0], orphans[1:]
		}
		if err := b.syncEvent(ctx, c, s, e); err != nil {
			return err
		}
		if e != nil {
			delete(live, e.ID)
		}
	}
	// End the rest: completed if it ran, cancelled if it never did.
	for _, s := range held {
		if wanted[s.ID] || (s.EventID == "" && !s.EventRequested) {
			continue
		}
		e := live[s.EventID]
		if m := byMarker[eventMarker(c.ID, s.ID)]; e == nil && s.EventRequested && m != nil {
			e = live[m.ID] // a create whose answer was lost
		}
		if e != nil {
			ran := !s.OpenedAt.IsZero() || s.ChannelID != "" || s.State == circles.SessionClosed || s.State == circles.SessionDeleted
			if err := b.endEvent(ctx, c.GuildID, e, ran); err != nil {
				return err
			}
			delete(live, e.ID)
		}
		if _, err := b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.EventID, cur.EventRequested = "", false
			return nil
		}); err != nil {
			return err
		}
	}
	for _, e := range live { // sessions a schedule change dropped
		if err := b.endEvent(ctx, c.GuildID, e, false); err != nil {
			return err
		}
	}
	return nil
}

// syncEvent creates or updates one session's event (e, nil when none).
func (b *Bot) syncEvent(ctx context.Context, c circles.Circle, s circles.Session, e *discordgo.GuildScheduledEvent) error {
	start, end := s.Start, s.End
	lang := b.circleLang(ctx, c.ID)
	params := &discordgo.GuildScheduledEventParams{
		Name:             truncate(c.Name, 100),
		Description:      truncate(msgEventDescription(lang, c), 900) + "\n\n" + eventMarker(c.ID, s.ID),
		EntityType:       discordgo.GuildScheduledEventEntityTypeExternal,
		PrivacyLevel:     discordgo.GuildScheduledEventPrivacyLevelGuildOnly,
		EntityMetadata:   &discordgo.GuildScheduledEventEntityMetadata{Location: eventLocation(lang)},
		ScheduledEndTime: &end,
	}
	if e == nil {
		if eventRunning(s) {
			return nil // open before it had an event: not worth one now
		}
		if _, err := b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.EventRequested = true
			return nil
		}); err != nil {
			return err
		}
		params.ScheduledStartTime = &start
		got, err := b.dg.GuildScheduledEventCreate(c.GuildID, params, discordgo.WithContext(ctx))
		if err != nil {
			return refused(err, eventsWhat, "", PermissionCreateEvents, 0)
		}
		_, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.EventID = got.ID
			return nil
		})
		return err
	}
	if s.EventID != e.ID {
		if _, err := b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.EventID = e.ID
			return nil
		}); err != nil {
			return err
		}
	}
	same := e.Name == params.Name && e.Description == params.Description && e.ScheduledStartTime.Equal(start) && e.ScheduledEndTime != nil && e.ScheduledEndTime.Equal(end)
	wantActive := eventRunning(s)
	if same && (e.Status == discordgo.GuildScheduledEventStatusActive) == wantActive {
		return nil
	}
	if e.Status == discordgo.GuildScheduledEventStatusScheduled && !e.ScheduledStartTime.Equal(start) {
		params.ScheduledStartTime = &start
	}
	if wantActive && e.Status == discordgo.GuildScheduledEventStatusScheduled {
		params.Status = discordgo.GuildScheduledEventStatusActive
	}
	_, err := b.dg.GuildScheduledEventEdit(c.GuildID, e.ID, params, discordgo.WithContext(ctx))
	return refused(err, eventsWhat, "", PermissionCreateEvents, 0)
}

// endEvent completes an event that started, or cancels one that didn't.
func (b *Bot) endEvent(ctx context.Context, guildID string, e *discordgo.GuildScheduledEvent, ran bool) error {
	status := discordgo.GuildScheduledEventStatusCanceled
	if e.Status == discordgo.GuildScheduledEventStatusActive {
		status = discordgo.GuildScheduledEventStatusCompleted
	} else if ran {
		// Completing needs ACTIVE first.
		if _, err := b.dg.GuildScheduledEventEdit(guildID, e.ID, &discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusActive}, discordgo.WithContext(ctx)); err != nil {
			return refused(err, eventsWhat, "", PermissionCreateEvents, 0)
		}
		status = discordgo.GuildScheduledEventStatusCompleted
	}
	_, err := b.dg.GuildScheduledEventEdit(guildID, e.ID, &discordgo.GuildScheduledEventParams{Status: status}, discordgo.WithContext(ctx))
	return refused(err, eventsWhat, "", PermissionCreateEvents, 0)
}

// eventRunning: the session is open, or opening, and not closing: its event
// is ACTIVE.
func eventRunning(s circles.Session) bool {
	return (s.State == circles.SessionOpen || (s.State == circles.SessionPlanned && s.ChannelID != "")) && s.ClosedAt.IsZero()
}

// eventLocks serialise syncs of one circle's events: two at once would
// both create the same session's event.
func (b *Bot) eventLock(circleID int64) *sync.Mutex {
	mu, _ := b.eventLocks.LoadOrStore(circleID, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

// wantedEvents are the sessions (planned and open ones of c, by start)
// that should have an event now: the running one and the next
// eventsShown.
func wantedEvents(c circles.Circle, sessions []circles.Session, now time.Time) []circles.Session {
	var want []circles.Session
	upcoming := 0
	for _, s := range sessions {
		switch {
		case eventRunning(s):
			want = append(want, s)
		case s.State == circles.SessionPlanned && s.Start.After(now) && upcoming < eventsShown:
			upcoming++
			want = append(want, s)
		}
	}
	return want
}

// syncCircleEvents re-reads the circle and syncs its events, after a
// command changed it or its sessions. A failure is logged and tried again
// by the scheduler, backing off (Scheduler.FollowLater → FollowPlan).
func (b *Bot) syncCircleEvents(ctx context.Context, guildID string, circleID int64) {
	c, err := b.store.Circle(ctx, guildID, circleID)
	if err != nil {
		return
	}
	if err := b.syncEventsOf(ctx, c); err != nil && ctx.Err() == nil {
		b.sched.FollowLater(c.ID)
	}
}

// FollowPlan syncs a circle's events after the scheduler planned on its
// own — a session opened, closed, was missed or skipped; a start-up or a
// re-plan (schedule.PlanFollower) — and when a failed sync is retried. A
// circle without events, and with none left to end, costs nothing.
func (b *Bot) FollowPlan(ctx context.Context, c circles.Circle) error {
	if _, pending := b.eventsPending.Load(c.ID); !c.Events && !pending {
		return nil
	}
	return b.syncEventsOf(stepContext(ctx), c)
}

// syncEventsOf syncs c's events, one sync of a circle at a time, and
// remembers a failure for FollowPlan to retry even once events are off.
// Facilitators are told when Discord refuses for want of Create Events
// (at most once a day per circle, like other troubles: alert).
func (b *Bot) syncEventsOf(ctx context.Context, c circles.Circle) error {
	mu := b.eventLock(c.ID)
	mu.Lock()
	defer mu.Unlock()
	err := b.syncEventsErr(ctx, c)
	if err == nil {
		b.eventsPending.Delete(c.ID)
		b.problemsTold.Delete(eventsProblemKey(c.ID))
		return nil
	}
	b.eventsPending.Store(c.ID, true)
	b.log.Warn("syncing scheduled events; trying again later", "guild", c.GuildID, "circle", c.ID, "err", errText(err))
	if isRefused(err) {
		b.tellEventsRefused(ctx, c, err)
	}
	return err
}

// eventsProblemKey is the one telling of a circle's events refused: its
// events are the circle's, not one session's, so the key is the circle's
// ID negated (session IDs are positive).
func eventsProblemKey(circleID int64) problemKey {
	return problemKey{session: -circleID, problem: problemPermissions, perm: PermissionCreateEvents}
}

// tellEventsRefused tells the facilitators that Discord refused the
// circle's events, with which permission is missing and how to grant it.
func (b *Bot) tellEventsRefused(ctx context.Context, c circles.Circle, err error) {
	p, advice, perms := b.advise(ctx, c.GuildID, err, "", "")
	if perms == 0 {
		perms = PermissionCreateEvents
	}
	ok, more := b.alert(c, -c.ID, p, perms, false)
	b.log.Warn("scheduled events refused", "guild", c.GuildID, "circle", c.ID, "missing", perms, "told", ok)
	if ok {
		b.tellFacilitatorsIn(c, func(l i18n.Locale) string { return msgEventsRefused(l, c, advice(l)) + againNote(l, more) })
	}
}

// ResyncEvents brings, at a start, the events of the circles that mirror
// their sessions (or still hold events) in line, but only where the store
// says something is off: a session that should have an event has none,
// or one that shouldn't still holds one. Nothing else is read from
// Discord. Failures are retried by the scheduler (FollowLater).
func (b *Bot) ResyncEvents(ctx context.Context) (synced int, err error) {
	ids, err := b.store.EventCircles(ctx)
	if err != nil {
		return 0, err
	}
	now := b.clock.Now()
	for _, id := range ids {
		c, err := b.store.CircleByID(ctx, id)
		if err != nil {
			continue // gone meanwhile
		}
		if !b.owned.Owns(c.GuildID) {
			continue // another process's server: it resyncs its own
		}
		held, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: id})
		if err != nil {
			return synced, err
		}
		if !eventsOff(c, held, now) {
			continue
		}
		synced++
		if err := b.syncEventsOf(stepContext(ctx), c); err != nil && ctx.Err() == nil {
			b.sched.FollowLater(id)
		}
	}
	return synced, nil
}

// eventsOff reports whether the store shows c's events out of line with
// its sessions (held: all of them, by start): fewer upcoming sessions
// than shown, one of them without an event, or a session that should
// have none holding one or a create left unanswered.
func eventsOff(c circles.Circle, held []circles.Session, now time.Time) bool {
	var want []circles.Session
	if c.Events && !c.Archived {
		var live []circles.Session
		for _, s := range held {
			if s.State == circles.SessionPlanned || s.State == circles.SessionOpen {
				live = append(live, s)
			}
		}
		want = wantedEvents(c, live, now)
		upcoming := 0
		for _, s := range want {
			if !eventRunning(s) {
				upcoming++
			}
		}
		if upcoming < eventsShown {
			return true
		}
	}
	wanted := map[int64]bool{}
	for _, s := range want {
		wanted[s.ID] = true
		if s.EventID == "" && !eventRunning(s) {
			return true
		}
	}
	for _, s := range held {
		if s.EventRequested && s.EventID == "" || !wanted[s.ID] && s.EventID != "" {
			return true
		}
	}
	return false
}
