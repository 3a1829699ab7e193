package discordsim

import (
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// Guild scheduled events, as the OpenAPI spec shapes them
// (GuildScheduledEventResponse, ExternalScheduledEventCreateRequest,
// ExternalScheduledEventPatchRequestPartial) with Discord's rules: name
// 1–100, description ≤ 1000, location 1–100 for an external event, which
// needs an end after its start; privacy_level 2 (guild only); a new event
// starts in the future; status moves SCHEDULED → ACTIVE → COMPLETED or
// SCHEDULED → CANCELED, and an ended event can't change. Creating needs
// CREATE_EVENTS or MANAGE_EVENTS; changing or deleting the bot's own
// events too, anyone else's MANAGE_EVENTS (Discord's permission split of
// 2026-02-23).

// Permission bits of scheduled events.
const (
	PermissionCreateEvents int64 = 1 << 44
	PermissionManageEvents int64 = 1 << 33
)

// Scheduled event statuses and the external entity type.
const (
	EventScheduled = 1
	EventActive    = 2
	EventCompleted = 3
	EventCanceled  = 4
	entityExternal = 3
	privacyGuild   = 2
)

type scheduledEvent struct {
	ID, GuildID, CreatorID, Name, Description, Location string
	Start, End                                          time.Time
	Status, EntityType, PrivacyLevel                    int
}

// ScheduledEvent is a copy of a guild scheduled event, for tests.
type ScheduledEvent = scheduledEvent

// ScheduledEvents lists a guild's scheduled events (ended ones included,
// which Discord's list leaves out), by start.
func (s *Sim) ScheduledEvents(guildID string) []ScheduledEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ScheduledEvent
	for _, e := range s.eventsLocked(guildID) {
		out = append(out, *e)
	}
	return out
}

func eventJSON(e *scheduledEvent) map[string]any {
	out := map[string]any{
		"id": e.ID, "guild_id": e.GuildID, "creator_id": e.CreatorID, "name": e.Name, "description": e.Description,
		"channel_id": nil, "entity_id": nil, "entity_type": e.EntityType, "privacy_level": e.PrivacyLevel, "status": e.Status,
		"scheduled_start_time": e.Start.UTC().Format(time.RFC3339), "scheduled_end_time": nil,
		"entity_metadata": map[string]any{"location": e.Location}, "user_count": 0, "image": nil,
	}
	if !e.End.IsZero() {
		out["scheduled_end_time"] = e.End.UTC().Format(time.RFC3339)
	}
	return out
}

type eventBody struct {
	Name               *string `json:"name"`
	Description        *string `json:"description"`
	ScheduledStartTime *string `json:"scheduled_start_time"`
	ScheduledEndTime   *string `json:"scheduled_end_time"`
	PrivacyLevel       *int    `json:"privacy_level"`
	EntityType         *int    `json:"entity_type"`
	Status             *int    `json:"status"`
	ChannelID          *string `json:"channel_id"`
	EntityMetadata     *struct {
		Location *string `json:"location"`
	} `json:"entity_metadata"`
}

func parseEventTime(fe *formErrors, path string, v *string) time.Time {
	if v == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, *v)
	if err != nil {
		fe.add(path, "DATE_TIME_TYPE_PARSE", "Could not parse "+*v+". Should be ISO8601.")
	}
	return t
}

// apply validates b over e (a new event: e zero) and changes e when
// valid; now is the world's time.
func (b eventBody) apply(e *scheduledEvent, create bool, now time.Time) *apiError {
	var fe formErrors
	next := *e
	if b.Name != nil {
		fe.lenBetween("name", utf8.RuneCountInString(*b.Name), 1, 100)
		next.Name = *b.Name
	} else if create {
		fe.required("name")
	}
	if b.Description != nil {
		fe.maxLen("description", utf8.RuneCountInString(*b.Description), 1000)
		next.Description = *b.Description
	}
	if b.PrivacyLevel != nil {
		if *b.PrivacyLevel != privacyGuild {
			fe.add("privacy_level", "BASE_TYPE_CHOICES", "Value must be one of {2}.")
		}
	} else if create {
		fe.required("privacy_level")
	}
	next.PrivacyLevel = privacyGuild
	if b.EntityType != nil {
		if *b.EntityType != entityExternal {
			// The bot makes external events only; the simulator serves no
			// stage or voice channel events.
			fe.add("entity_type", "BASE_TYPE_CHOICES", "Value must be one of {3}.")
		}
	} else if create {
		fe.required("entity_type")
	}
	next.EntityType = entityExternal
	if b.ChannelID != nil && *b.ChannelID != "" {
		fe.add("channel_id", "GUILD_SCHEDULED_EVENT_EXTERNAL_CHANNEL_ID", "Channel ID must be empty for external events.")
	}
	if b.EntityMetadata != nil && b.EntityMetadata.Location != nil {
		fe.lenBetween("entity_metadata.location", utf8.RuneCountInString(*b.EntityMetadata.Location), 1, 100)
		next.Location = *b.EntityMetadata.Location
	} else if create {
		fe.required("entity_metadata.location")
	}
	if b.ScheduledStartTime != nil {
		// A start given (made or moved) must be in the future of the
		// world's clock (Options.Now; FollowClock in tests and the demo).
		next.Start = parseEventTime(&fe, "scheduled_start_time", b.ScheduledStartTime)
		if !next.Start.IsZero() && next.Start.Before(now) {
			fe.add("scheduled_start_time", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "Cannot schedule event in the past.")
		}
	} else if create {
		fe.required("scheduled_start_time")
	}
	if b.ScheduledEndTime != nil {
		next.End = parseEventTime(&fe, "scheduled_end_time", b.ScheduledEndTime)
	}
	if next.End.IsZero() {
		fe.required("scheduled_end_time")
	} else if !next.Start.IsZero() && !next.End.After(next.Start) {
		fe.add("scheduled_end_time", "GUILD_SCHEDULED_EVENT_END_BEFORE_START", "Cannot schedule event to end before starting.")
	}
	if b.Status != nil {
		ok := *b.Status == e.Status ||
			(e.Status == EventScheduled && (*b.Status == EventActive || *b.Status == EventCanceled)) ||
			(e.Status == EventActive && *b.Status == EventCompleted)
		if create || !ok {
			fe.add("status", "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "Cannot change event status that way.")
		}
		next.Status = *b.Status
	}
	if e.Status == EventCompleted || e.Status == EventCanceled {
		fe.add("status", "GUILD_SCHEDULED_EVENT_ENDED", "Cannot update an event that has ended.")
	}
	if err := fe.err(); err != nil {
		return err
	}
	*e = next
	return nil
}

// eventOf finds an event of the guild the bot may see.
func (s *Sim) eventOf(c *reqCtx) (*guild, *scheduledEvent, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return nil, nil, err
	}
	e := s.events[c.params["guild_scheduled_event_id"]]
	if e == nil || e.GuildID != g.id {
		return g, nil, newErr(http.StatusNotFound, 10070, "Unknown Guild Scheduled Event")
	}
	return g, e, nil
}

// mayChangeEvent: one's own event needs Create or Manage Events, anyone
// else's Manage Events.
func (s *Sim) mayChangeEvent(g *guild, e *scheduledEvent) *apiError {
	p := s.basePermsLocked(g, s.botID)
	if p&PermissionManageEvents != 0 || (e.CreatorID == s.botID && p&PermissionCreateEvents != 0) {
		return nil
	}
	return errMissingPermissions()
}

func listScheduledEvents(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, e := range s.eventsLocked(g.id) {
		if e.Status == EventScheduled || e.Status == EventActive {
			out = append(out, eventJSON(e))
		}
	}
	return http.StatusOK, out, nil
}

// eventsLocked lists the guild's events by start; s.mu is held.
func (s *Sim) eventsLocked(guildID string) []*scheduledEvent {
	var out []*scheduledEvent
	for _, e := range s.events {
		if e.GuildID == guildID {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *scheduledEvent) int { return a.Start.Compare(b.Start) })
	return out
}

func createScheduledEvent(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	var body eventBody
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if s.basePermsLocked(g, s.botID)&(PermissionCreateEvents|PermissionManageEvents) == 0 {
		return 0, nil, errMissingPermissions()
	}
	e := &scheduledEvent{}
	if err := body.apply(e, true, s.now()); err != nil {
		return 0, nil, err
	}
	n := 0
	for _, x := range s.events {
		if x.GuildID == g.id && (x.Status == EventScheduled || x.Status == EventActive) {
			n++
		}
	}
	if n >= 100 {
		return 0, nil, newErr(http.StatusBadRequest, 30038, "Maximum number of uncompleted guild scheduled events reached (100)")
	}
	e.ID, e.GuildID, e.CreatorID, e.Status = nextID(), g.id, s.botID, EventScheduled
	if s.events == nil {
		s.events = map[string]*scheduledEvent{}
	}
	s.events[e.ID] = e
	return http.StatusOK, eventJSON(e), nil
}

func getScheduledEvent(s *Sim, c *reqCtx) (int, any, *apiError) {
	_, e, err := s.eventOf(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventJSON(e), nil
}

func updateScheduledEvent(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, e, err := s.eventOf(c)
	if err != nil {
		return 0, nil, err
	}
	var body eventBody
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if err := s.mayChangeEvent(g, e); err != nil {
		return 0, nil, err
	}
	if err := body.apply(e, false, s.now()); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventJSON(e), nil
}

func deleteScheduledEvent(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, e, err := s.eventOf(c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.mayChangeEvent(g, e); err != nil {
		return 0, nil, err
	}
	delete(s.events, e.ID)
	return http.StatusNoContent, nil, nil
}
