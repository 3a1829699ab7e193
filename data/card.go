package data

import (
	"context"
	"database/sql"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// SaveCard records where a circle's card is, replacing its card in the
// same channel.
func (s *Store) SaveCard(ctx context.Context, c circles.Card) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM circle_cards WHERE circle_id = ? AND channel_id <> ?`,
			c.CircleID, c.ChannelID).Scan(&others); err != nil {
			return err
		}
		if others >= circles.MaxCardsPerCircle {
			return circles.Errorf(circles.EConflict, "This circle's card is already in %d channels, the most it can be in. A card whose message is deleted frees its place.", others)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO circle_cards (circle_id, guild_id, channel_id, message_id, posted_at)
			SELECT id, guild_id, ?, ?, ? FROM circles WHERE id = ? AND guild_id = ?
			ON CONFLICT (circle_id, channel_id) DO UPDATE SET message_id = excluded.message_id, posted_at = excluded.posted_at`,
			c.ChannelID, c.MessageID, ms(c.PostedAt), c.CircleID, c.GuildID)
		return err
	})
}

// Cards lists a circle's cards, oldest first.
func (s *Store) Cards(ctx context.Context, circleID int64) ([]circles.Card, error) {
	var out []circles.Card
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT circle_id, guild_id, channel_id, message_id, posted_at
			FROM circle_cards WHERE circle_id = ? ORDER BY posted_at, channel_id`, circleID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c circles.Card
			var at sql.NullInt64
			if err := rows.Scan(&c.CircleID, &c.GuildID, &c.ChannelID, &c.MessageID, &at); err != nil {
				return err
			}
			c.PostedAt = fromMS(at)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteCard forgets a card.
func (s *Store) DeleteCard(ctx context.Context, circleID int64, channelID string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM circle_cards WHERE circle_id = ? AND channel_id = ?`, circleID, channelID)
		return err
	})
}

// SetDMReachable marks, or clears, a user's memberships as unreachable
// by DM. Clearing reads first, so the common case — a DM that got
// through to someone never marked — writes nothing.
func (s *Store) SetDMReachable(ctx context.Context, userID string, reachable bool, at time.Time) error {
	if reachable {
		var marked bool
		if err := s.read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = ? AND dm_unreachable_at IS NOT NULL)`, userID).Scan(&marked)
		}); err != nil || !marked {
			return err
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		q := `UPDATE memberships SET dm_unreachable_at = NULL WHERE user_id = ? AND dm_unreachable_at IS NOT NULL`
		args := []any{userID}
		if !reachable {
			q = `UPDATE memberships SET dm_unreachable_at = ? WHERE user_id = ? AND status IN ('active', 'waitlisted')`
			args = []any{ms(at), userID}
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// SaveRoundMessage records a session's round message.
func (s *Store) SaveRoundMessage(ctx context.Context, m circles.RoundMessage) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO session_rounds (session_id, channel_id, message_id, minutes) VALUES (?, ?, ?, ?)
			ON CONFLICT (session_id) DO UPDATE SET channel_id = excluded.channel_id, message_id = excluded.message_id, minutes = excluded.minutes`,
			m.SessionID, m.ChannelID, m.MessageID, m.Minutes)
		return err
	})
}

// DeleteRoundMessage forgets a session's round message.
func (s *Store) DeleteRoundMessage(ctx context.Context, sessionID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM session_rounds WHERE session_id = ?`, sessionID)
		return err
	})
}

// RoundMessages lists every recorded round message.
func (s *Store) RoundMessages(ctx context.Context) ([]circles.RoundMessage, error) {
	var out []circles.RoundMessage
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT session_id, channel_id, message_id, minutes FROM session_rounds ORDER BY session_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m circles.RoundMessage
			if err := rows.Scan(&m.SessionID, &m.ChannelID, &m.MessageID, &m.Minutes); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
