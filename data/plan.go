package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// circlesToPlanSQL must be answered from the index circle_plans_next: a
// range of the marks that are reset (0) or have come due, not a scan of
// every circle (TestCirclesToPlanUsesIndex). INDEXED BY and CROSS JOIN
// keep SQLite, which has no statistics, from starting at circles instead.
// For some shards, circlesToPlanInSQL adds the shard term, checked on the
// rows that range yields.
const circlesToPlanSQL = `SELECT p.circle_id, p.gen,
		NOT EXISTS (SELECT 1 FROM sessions s WHERE s.circle_id = p.circle_id)
	FROM circle_plans p INDEXED BY circle_plans_next
	CROSS JOIN circles c ON c.id = p.circle_id
	LEFT JOIN guilds g ON g.id = c.guild_id
	WHERE p.next_start <= ? AND c.archived = 0 AND g.removed_at IS NULL%s
	ORDER BY p.circle_id`

// CirclesToPlan returns the circles of guilds in shards a start-up must
// plan (see circles.PlanMarkStore).
func (s *Store) CirclesToPlan(ctx context.Context, now time.Time, shards circles.Shards) ([]circles.PlanMark, error) {
	term, targs := shardTerm("c.guild_id", shards)
	if term != "" {
		term = " AND " + term
	}
	q := fmt.Sprintf(circlesToPlanSQL, term)
	args := append([]any{now.UnixMilli()}, targs...)
	var out []circles.PlanMark
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m circles.PlanMark
			if err := rows.Scan(&m.CircleID, &m.Gen, &m.Fresh); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// PlanGen returns a circle's plan generation.
func (s *Store) PlanGen(ctx context.Context, circleID int64) (int64, error) {
	var gen int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT gen FROM circle_plans WHERE circle_id = ?`, circleID).Scan(&gen)
		if errors.Is(err, sql.ErrNoRows) {
			return circleNotFound()
		}
		return err
	})
	return gen, err
}

// MarkPlanned stores plan marks that still hold, in one transaction.
func (s *Store) MarkPlanned(ctx context.Context, marks []circles.PlanMark) error {
	if len(marks) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE circle_plans SET next_start = ?2, session_id = ?3
			WHERE circle_id = ?1 AND gen = ?4 AND EXISTS (SELECT 1 FROM sessions s
				WHERE s.id = ?3 AND s.circle_id = ?1 AND s.state = 'planned' AND s.start_at = ?2 AND s.due_at IS NOT NULL)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, m := range marks {
			if m.Start.UnixMilli() <= 0 {
				continue // 0 means "plan again"
			}
			if _, err := st.ExecContext(ctx, m.CircleID, m.Start.UnixMilli(), m.SessionID, m.Gen); err != nil {
				return err
			}
		}
		return nil
	})
}
