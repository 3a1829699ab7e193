package data

import (
	"context"
	"database/sql"
	"errors"
)

// Languages: a circle's (for its session channels) and a person's last-seen
// Discord locale in a server (for DMs). Both are bare locale codes; which
// codes are valid is the bot's business.

// CircleLocale returns the locale code of a circle's session-channel
// messages, "" when none was set.
func (s *Store) CircleLocale(ctx context.Context, circleID int64) (string, error) {
	var loc string
	err := s.read(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT locale FROM circle_locales WHERE circle_id = ?`, circleID).Scan(&loc)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return loc, err
}

// SetCircleLocale sets a circle's language; "" removes it (English).
func (s *Store) SetCircleLocale(ctx context.Context, circleID int64, locale string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if locale == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM circle_locales WHERE circle_id = ?`, circleID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO circle_locales (circle_id, locale) VALUES (?, ?)
			ON CONFLICT (circle_id) DO UPDATE SET locale = excluded.locale`, circleID, locale)
		return err
	})
}

// UserLocale returns the locale a person's client last sent in guildID,
// "" when none is stored.
func (s *Store) UserLocale(ctx context.Context, guildID, userID string) (string, error) {
	var loc string
	err := s.read(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT locale FROM user_locales WHERE guild_id = ? AND user_id = ?`, guildID, userID).Scan(&loc)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return loc, err
}

// SeeUserLocale records the locale a person's client sent in guildID, but
// only for someone the bot may DM about that server: a membership of any
// status but left, or a facilitator place. For anyone else nothing is
// stored (and an older row is left as it is, to be erased with the rest).
// It reports whether a row was written.
func (s *Store) SeeUserLocale(ctx context.Context, guildID, userID, locale string) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = seeUserLocale(ctx, tx, guildID, userID, locale)
		return err
	})
	return n > 0, err
}

// seeUserLocaleSQL writes a person's locale when they are someone the bot
// may DM in the server. The membership test names its index: without
// statistics SQLite prefers memberships_guild, which covers the columns
// but searches by guild alone — every membership of the server, on every
// join click and every locale change (TestSeeUserLocaleUsesItsIndex).
// Arguments: guild, user, locale, user, guild, user, guild.
const seeUserLocaleSQL = `INSERT INTO user_locales (guild_id, user_id, locale)
	SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM memberships INDEXED BY memberships_user WHERE user_id = ? AND guild_id = ? AND status <> 'left')
		OR EXISTS (SELECT 1 FROM circle_facilitators f JOIN circles c ON c.id = f.circle_id WHERE f.user_id = ? AND c.guild_id = ?)
	ON CONFLICT (guild_id, user_id) DO UPDATE SET locale = excluded.locale WHERE locale <> excluded.locale`

// seeUserLocale is SeeUserLocale inside tx; it returns the rows written.
func seeUserLocale(ctx context.Context, tx *sql.Tx, guildID, userID, locale string) (int64, error) {
	res, err := tx.ExecContext(ctx, seeUserLocaleSQL, guildID, userID, locale, userID, guildID, userID, guildID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
