package data

import "context"

// eventCirclesSQL must be answered from the partial indexes circles_events
// and sessions_event (migration event_sync): the few circles that mirror
// their sessions as Discord scheduled events, and those whose sessions
// still hold one, not every circle or session.
const eventCirclesSQL = `SELECT c.id FROM circles c INDEXED BY circles_events
	LEFT JOIN guilds g ON g.id = c.guild_id
	WHERE c.events <> 0 AND c.archived = 0 AND g.removed_at IS NULL
	UNION
	SELECT s.circle_id FROM sessions s INDEXED BY sessions_event
	CROSS JOIN circles c ON c.id = s.circle_id
	LEFT JOIN guilds g ON g.id = c.guild_id
	WHERE (s.event_id <> '' OR s.event_requested <> 0) AND g.removed_at IS NULL
	ORDER BY 1`

// EventCircles returns the circles whose Discord scheduled events a
// start-up may have to bring in line (see circles.EventStore), by ID.
func (s *Store) EventCircles(ctx context.Context) ([]int64, error) {
	return s.ids(ctx, eventCirclesSQL)
}
