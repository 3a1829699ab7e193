package data

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// inGuild scopes a query on a table with a guild_id column to one guild, or
// to all of them when the guild parameter is empty. It takes the guild ID
// twice.
const inGuild = `(? = '' OR guild_id = ?)`

// ExportUser collects everything held about userID in guildID (every guild
// when empty): memberships, the full consent ledger, RSVPs, the circles they
// facilitate and the guilds recorded as theirs.
func (s *Store) ExportUser(ctx context.Context, guildID, userID string, at time.Time) (circles.UserExport, error) {
	x := circles.UserExport{
		UserID:        userID,
		GuildID:       guildID,
		GeneratedAt:   roundMS(at),
		Memberships:   []circles.Membership{},
		Consents:      []circles.ConsentEvent{},
		RSVPs:         []circles.RSVP{},
		FacilitatorOf: []circles.CircleRef{},
		NotStored:     append([]string(nil), circles.NotStored...),
		Circles:       map[int64]circles.CircleRef{},
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		ms, _, err := queryMemberships(ctx, tx, `SELECT `+membershipCols+` FROM memberships m
			WHERE m.user_id = ? AND (? = '' OR m.guild_id = ?) ORDER BY m.circle_id`, userID, guildID, guildID)
		if err != nil {
			return err
		}
		x.Memberships = append(x.Memberships, ms...)
		cs, err := queryConsents(ctx, tx, `WHERE user_id = ? AND `+inGuild, userID, guildID, guildID)
		if err != nil {
			return err
		}
		x.Consents = append(x.Consents, cs...)
		rs, err := queryRSVPs(ctx, tx, `WHERE user_id = ? AND `+inGuild, userID, guildID, guildID)
		if err != nil {
			return err
		}
		x.RSVPs = append(x.RSVPs, rs...)
		x.FacilitatorOf, err = circleRefs(ctx, tx, `JOIN circle_facilitators f ON f.circle_id = c.id
			WHERE f.user_id = ? AND (? = '' OR c.guild_id = ?)`, userID, guildID, guildID)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM guilds WHERE owner_id = ? AND (? = '' OR id = ?) ORDER BY id`,
			userID, guildID, guildID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			x.GuildsOwned = append(x.GuildsOwned, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if x.Locales, err = userLocales(ctx, tx, guildID, userID); err != nil {
			return err
		}
		// Name every circle the export mentions, including ones the user
		// created, which carry their ID too.
		refs, err := circleRefs(ctx, tx, `WHERE (c.created_by = ? AND (? = '' OR c.guild_id = ?))
			OR c.id IN (SELECT circle_id FROM memberships WHERE user_id = ?)
			OR c.id IN (SELECT circle_id FROM consent_events WHERE user_id = ?)
			OR c.id IN (SELECT circle_id FROM rsvps WHERE user_id = ?)
			OR c.id IN (SELECT circle_id FROM circle_facilitators WHERE user_id = ?)`,
			userID, guildID, guildID, userID, userID, userID, userID)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if guildID == "" || r.GuildID == guildID {
				x.Circles[r.ID] = r
			}
		}
		return nil
	})
	return x, err
}

func userLocales(ctx context.Context, tx *sql.Tx, guildID, userID string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT guild_id, locale FROM user_locales WHERE user_id = ? AND `+inGuild, userID, guildID, guildID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[string]string
	for rows.Next() {
		var g, l string
		if err := rows.Scan(&g, &l); err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[g] = l
	}
	return out, rows.Err()
}

func circleRefs(ctx context.Context, tx *sql.Tx, rest string, args ...any) ([]circles.CircleRef, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.guild_id, c.name FROM circles c `+rest+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circles.CircleRef{}
	for rows.Next() {
		var r circles.CircleRef
		if err := rows.Scan(&r.ID, &r.GuildID, &r.Name); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EraseUser deletes every row about userID in guildID (every guild when
// empty): memberships (after ending them, so waitlisted people move up),
// the consent ledger, RSVPs and facilitator places, and blanks the places
// that merely mention them (guild owner, circle creator, who removed
// someone). A membership a facilitator ended by removal is cut down to a
// marker instead (the row's keys, status removed and updated_at, the time
// of the removal; mode back to the default, every other column blank), so
// the removal still holds. It refuses, changing nothing, while they are
// the only facilitator of a circle that is not archived.
func (s *Store) EraseUser(ctx context.Context, guildID, userID string, at time.Time) (circles.Erasure, error) {
	var e circles.Erasure
	if userID == "" {
		return e, circles.Errorf(circles.EInvalid, "I couldn't tell whose data to delete.")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		sole, err := circleRefs(ctx, tx, `JOIN circle_facilitators f ON f.circle_id = c.id
			WHERE f.user_id = ? AND (? = '' OR c.guild_id = ?) AND c.archived = 0
			AND (SELECT COUNT(*) FROM circle_facilitators o WHERE o.circle_id = c.id) = 1`, userID, guildID, guildID)
		if err != nil {
			return err
		}
		if len(sole) > 0 {
			names := make([]string, len(sole))
			for i, r := range sole {
				names[i] = r.Name
			}
			return circles.Errorf(circles.EConflict, "You are the only facilitator of %s. Please add another facilitator or archive the circle first; nothing was deleted.", strings.Join(names, ", "))
		}
		if e.FacilitatorOf, err = circleRefs(ctx, tx, `JOIN circle_facilitators f ON f.circle_id = c.id
			WHERE f.user_id = ? AND (? = '' OR c.guild_id = ?)`, userID, guildID, guildID); err != nil {
			return err
		}
		if e.Left, err = leaveAll(ctx, tx, guildID, userID, false, at); err != nil {
			return err
		}
		count := func(dst *int, q string, args ...any) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			*dst = int(n)
			return err
		}
		var ignored int
		for _, step := range []struct {
			dst  *int
			q    string
			args []any
		}{
			{&e.Memberships, `DELETE FROM memberships WHERE user_id = ? AND status <> 'removed' AND ` + inGuild, []any{userID, guildID, guildID}},
			{&e.RemovalsKept, `UPDATE memberships SET mode = 'member', joined_at = NULL, waitlisted_at = NULL,
				reminders = 0, removed_by = '', dm_unreachable_at = NULL WHERE user_id = ? AND status = 'removed' AND ` + inGuild, []any{userID, guildID, guildID}},
			{&e.ConsentEvents, `DELETE FROM consent_events WHERE user_id = ? AND ` + inGuild, []any{userID, guildID, guildID}},
			{&e.RSVPs, `DELETE FROM rsvps WHERE user_id = ? AND ` + inGuild, []any{userID, guildID, guildID}},
			{&e.Facilitations, `DELETE FROM circle_facilitators WHERE user_id = ?
				AND circle_id IN (SELECT id FROM circles WHERE ` + inGuild + `)`, []any{userID, guildID, guildID}},
			{&ignored, `DELETE FROM user_locales WHERE user_id = ? AND ` + inGuild, []any{userID, guildID, guildID}},
			{&ignored, `UPDATE guilds SET owner_id = NULL WHERE owner_id = ? AND (? = '' OR id = ?)`, []any{userID, guildID, guildID}},
			{&ignored, `UPDATE circles SET created_by = '' WHERE created_by = ? AND ` + inGuild, []any{userID, guildID, guildID}},
			{&ignored, `UPDATE memberships SET removed_by = '' WHERE removed_by = ? AND ` + inGuild, []any{userID, guildID, guildID}},
		} {
			if err := count(step.dst, step.q, step.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return circles.Erasure{}, err
	}
	return e, nil
}
