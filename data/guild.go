package data

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// GuildSettings returns a guild's settings.
func (s *Store) GuildSettings(ctx context.Context, guildID string) (circles.GuildSettings, error) {
	var g circles.GuildSettings
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = getGuild(ctx, tx, guildID)
		return err
	})
	return g, err
}

func getGuild(ctx context.Context, tx *sql.Tx, guildID string) (circles.GuildSettings, error) {
	var (
		g        circles.GuildSettings
		owner    sql.NullString
		joined   sql.NullInt64
		removed  sql.NullInt64
		configed bool
	)
	err := tx.QueryRowContext(ctx, `SELECT id, owner_id, facilitator_role_id, category_id, crisis_resources,
		retention_hours, reminder_minutes, configured, joined_at, removed_at
		FROM guilds WHERE id = ?`, guildID).Scan(&g.GuildID, &owner, &g.FacilitatorRoleID, &g.CategoryID,
		&g.CrisisResources, &g.RetentionHours, &g.ReminderMinutes, &configed, &joined, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return g, circles.Errorf(circles.ENotFound, "I don't have any settings for this server yet. An admin can run /setup.")
	}
	if err != nil {
		return g, err
	}
	g.OwnerID = owner.String
	g.Configured = configed
	g.JoinedAt = fromMS(joined)
	g.RemovedAt = fromMS(removed)
	return g, nil
}

// SaveGuildSettings stores what /setup sets and marks the guild configured.
// Presence fields (owner, joined, removed) are GuildSeen's and GuildRemoved's
// and are left alone on an existing row.
func (s *Store) SaveGuildSettings(ctx context.Context, g circles.GuildSettings) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO guilds (id, owner_id, facilitator_role_id, category_id,
			crisis_resources, retention_hours, reminder_minutes, configured, joined_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET
				facilitator_role_id = excluded.facilitator_role_id,
				category_id = excluded.category_id,
				crisis_resources = excluded.crisis_resources,
				retention_hours = excluded.retention_hours,
				reminder_minutes = excluded.reminder_minutes,
				configured = 1,
				owner_id = COALESCE(guilds.owner_id, excluded.owner_id),
				joined_at = COALESCE(guilds.joined_at, excluded.joined_at)`,
			g.GuildID, nullString(g.OwnerID), g.FacilitatorRoleID, g.CategoryID, g.CrisisResources,
			g.RetentionHours, g.ReminderMinutes, ms(g.JoinedAt))
		return err
	})
}

// GuildSeen records that the bot is in a guild. Only the first sighting
// inserts a row (and uses defaults); later ones refresh the owner and cancel
// a pending removal, because the bot was added back within the grace period.
func (s *Store) GuildSeen(ctx context.Context, guildID, ownerID string, defaults circles.GuildSettings, at time.Time) (bool, error) {
	if guildID == "" {
		return false, circles.Errorf(circles.EInvalid, "This only works inside a server.")
	}
	var isNew bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM guilds WHERE id = ?`, guildID).Scan(&n); err != nil {
			return err
		}
		isNew = n == 0
		if isNew {
			_, err := tx.ExecContext(ctx, `INSERT INTO guilds (id, owner_id, facilitator_role_id, category_id,
				crisis_resources, retention_hours, reminder_minutes, configured, joined_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`,
				guildID, nullString(ownerID), defaults.FacilitatorRoleID, defaults.CategoryID,
				defaults.CrisisResources, defaults.RetentionHours, defaults.ReminderMinutes, ms(at))
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE guilds SET removed_at = NULL,
			owner_id = COALESCE(?, owner_id), joined_at = COALESCE(joined_at, ?) WHERE id = ?`,
			nullString(ownerID), ms(at), guildID)
		return err
	})
	return isNew, err
}

// GuildRemoved marks a guild for purging. A guild the bot never recorded
// (circles created before GUILD_CREATE was stored) gets a row too, so its
// circles are still purged. A second removal keeps the first time: the grace
// period runs from when the bot actually left.
func (s *Store) GuildRemoved(ctx context.Context, guildID string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO guilds (id, removed_at) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET removed_at = COALESCE(guilds.removed_at, excluded.removed_at)`,
			guildID, ms(at))
		return err
	})
}

// GuildIDs lists the guilds the bot is in as far as the store knows: those
// not marked removed, and any with circles but no guild row (stored before
// GUILD_CREATE was recorded), in id order.
func (s *Store) GuildIDs(ctx context.Context) ([]string, error) {
	return s.queryStrings(ctx, `SELECT id FROM guilds WHERE removed_at IS NULL
		UNION SELECT guild_id FROM circles WHERE guild_id NOT IN (SELECT id FROM guilds)
		ORDER BY 1`)
}

// GuildsRemovedBefore lists guilds removed before t, oldest removal first.
func (s *Store) GuildsRemovedBefore(ctx context.Context, t time.Time) ([]string, error) {
	return s.queryStrings(ctx, `SELECT id FROM guilds
		WHERE removed_at IS NOT NULL AND removed_at < ? ORDER BY removed_at, id`, t.UnixMilli())
}

// queryStrings runs a query returning one text column (guild or user IDs).
func (s *Store) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	var ids []string
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}

var purgeGuildSQL = []string{
	`DELETE FROM circles WHERE guild_id = ?`,
	`DELETE FROM user_locales WHERE guild_id = ?`,
	`DELETE FROM guilds WHERE id = ?`,
}

// PurgeGuild deletes everything stored about a guild. Deleting its circles
// cascades to facilitators, memberships, the consent ledger, sessions and
// RSVPs (foreign keys are on for every connection, so none of those rows can
// outlive its circle).
func (s *Store) PurgeGuild(ctx context.Context, guildID string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, q := range purgeGuildSQL {
			if _, err := tx.ExecContext(ctx, q, guildID); err != nil {
				return err
			}
		}
		return nil
	})
}
