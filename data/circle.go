package data

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// foldName is the key circle names are unique by. It folds Unicode case the
// way strings.EqualFold (circles.SameName) does, which SQLite's NOCASE does
// not beyond ASCII.
func foldName(name string) string {
	return strings.ToLower(strings.ToUpper(circles.NormalizeName(name)))
}

func nameTaken(name string) error {
	return circles.Errorf(circles.EConflict, "This server already has a circle called \"%s\". Please pick another name.", circles.EscapeMarkdown(circles.NormalizeName(name)))
}

// guildSlugs maps the slugs (circles.Slug) of a guild's active circles,
// but except, to their names: two circles whose session channels would be
// named alike can't coexist, or people couldn't tell their sessions apart.
func guildSlugs(ctx context.Context, tx *sql.Tx, guildID string, except int64) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM circles WHERE guild_id = ? AND archived = 0 AND id <> ?`, guildID, except)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[circles.Slug(name)] = name
	}
	return out, rows.Err()
}

// slugTaken refuses a name whose session channels would be named like
// those of the active circle called other.
func slugTaken(name, other string) error {
	return circles.Errorf(circles.EConflict, "Session channels of \"%s\" would be named like those of **%s**, which this server already has (#%s-…). Please choose a name that differs in more than capitals, spaces or punctuation.",
		circles.EscapeMarkdown(name), circles.EscapeMarkdown(other), circles.Slug(name))
}

func circleNotFound() error {
	return circles.Errorf(circles.ENotFound, "I couldn't find that circle in this server.")
}

// circleCols selects a circle as scanCircle reads it; the facilitators come
// along as a JSON array so one query loads a whole circle.
const circleCols = `c.id, c.guild_id, c.name, c.kind, c.topic, c.capacity, c.listener_cap, c.listeners_allowed,
	c.guidelines_text, c.guidelines_version, c.prompts, c.weekday, c.hour, c.minute, c.cron, c.timezone,
	c.duration_minutes, c.facilitator_gate, c.postpone_without_facilitator, c.archived, c.created_at, c.created_by,
	c.every_weeks, c.anchor_date, c.nth_weekday, c.events,
	(SELECT json_group_array(user_id) FROM (SELECT user_id FROM circle_facilitators f
		WHERE f.circle_id = c.id ORDER BY f.position))`

type scanner interface{ Scan(dest ...any) error }

func scanCircle(r scanner) (circles.Circle, error) {
	var (
		c                     circles.Circle
		prompts, facilitators string
		durMin                int64
		created               sql.NullInt64
	)
	err := r.Scan(&c.ID, &c.GuildID, &c.Name, &c.Kind, &c.Topic, &c.Capacity, &c.ListenerCap, &c.ListenersAllowed,
		&c.Guidelines.Text, &c.Guidelines.Version, &prompts, &c.Schedule.Weekday, &c.Schedule.Hour, &c.Schedule.Minute,
		&c.Schedule.Cron, &c.Schedule.TimeZone, &durMin, &c.FacilitatorGate, &c.PostponeWithoutFacilitator,
		&c.Archived, &created, &c.CreatedBy, &c.Schedule.EveryWeeks, &c.Schedule.Anchor, &c.Schedule.NthWeekday, &c.Events,
		&facilitators)
	if err != nil {
		return c, err
	}
	c.Schedule.Duration = time.Duration(durMin) * time.Minute
	c.CreatedAt = fromMS(created)
	if err := json.Unmarshal([]byte(prompts), &c.Prompts); err != nil {
		return c, fmt.Errorf("circle %d prompts: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(facilitators), &c.Facilitators); err != nil {
		return c, fmt.Errorf("circle %d facilitators: %w", c.ID, err)
	}
	return c, nil
}

// getCircle loads a circle; an empty guildID means "any guild", which only
// the scheduler's CircleByID uses.
func getCircle(ctx context.Context, tx *sql.Tx, guildID string, id int64) (circles.Circle, error) {
	q := `SELECT ` + circleCols + ` FROM circles c WHERE c.id = ?`
	args := []any{id}
	if guildID != "" {
		q += ` AND c.guild_id = ?`
		args = append(args, guildID)
	}
	c, err := scanCircle(tx.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return c, circleNotFound()
	}
	return c, err
}

// circlesByIDSQL loads circles by ID, any guild, the IDs given as one JSON
// array (one statement text for any number).
const circlesByIDSQL = `SELECT ` + circleCols + ` FROM json_each(?) j CROSS JOIN circles c ON c.id = j.value`

// circlesByID loads circles by ID in one statement; IDs of none are left
// out. Callers scope IDs to a guild themselves.
func circlesByID(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]circles.Circle, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, circlesByIDSQL, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]circles.Circle, len(ids))
	for rows.Next() {
		c, err := scanCircle(rows)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}

// prepareCircle normalizes what the store owns before validation:
// trimmed name (ListenerCapAsCapacity is kept as it is, so listener seats
// go on following the capacity when it changes), facilitators without duplicates (the table's key would
// reject them), times at the stored precision, no nil prompt list.
func prepareCircle(c *circles.Circle) error {
	c.Name = circles.NormalizeName(c.Name)
	seen := make(map[string]bool, len(c.Facilitators))
	facs := c.Facilitators[:0:0]
	for _, f := range c.Facilitators {
		if f != "" && !seen[f] {
			seen[f] = true
			facs = append(facs, f)
		}
	}
	c.Facilitators = facs
	if c.Prompts == nil {
		c.Prompts = []string{}
	}
	c.CreatedAt = roundMS(c.CreatedAt)
	// Durations are stored in whole minutes, the unit /circle create takes.
	c.Schedule.Duration = c.Schedule.Duration.Round(time.Minute)
	return c.Validate()
}

// prepareCircles runs prepareCircle on every circle, spread over the CPUs for
// large batches: circles' validation (a mention regexp over the guidelines)
// costs as much as the inserts. The first failing circle's error is returned.
func prepareCircles(cs []*circles.Circle) error {
	workers := runtime.GOMAXPROCS(0)
	if len(cs) < 512 || workers == 1 {
		for _, c := range cs {
			if err := prepareCircle(c); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(cs))
	chunk := (len(cs) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(cs); lo += chunk {
		hi := min(lo+chunk, len(cs))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				errs[i] = prepareCircle(cs[i])
			}
		})
	}
	wg.Wait()
	return firstError(errs)
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

const insertCircleSQL = `INSERT INTO circles (guild_id, name, name_fold, kind, topic, capacity, listener_cap,
	listeners_allowed, guidelines_text, guidelines_version, prompts, weekday, hour, minute, cron, timezone,
	duration_minutes, facilitator_gate, postpone_without_facilitator, archived, created_at, created_by,
	every_weeks, anchor_date, nth_weekday, events)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const insertFacilitatorSQL = `INSERT INTO circle_facilitators (circle_id, user_id, position) VALUES (?, ?, ?)`

func circleArgs(c *circles.Circle) ([]any, error) {
	prompts, err := json.Marshal(c.Prompts)
	if err != nil {
		return nil, err
	}
	return []any{c.GuildID, c.Name, foldName(c.Name), string(c.Kind), c.Topic, c.Capacity, c.ListenerCap,
		c.ListenersAllowed, c.Guidelines.Text, c.Guidelines.Version, string(prompts), int(c.Schedule.Weekday),
		c.Schedule.Hour, c.Schedule.Minute, c.Schedule.Cron, c.Schedule.TimeZone,
		int64(c.Schedule.Duration / time.Minute), c.FacilitatorGate, c.PostponeWithoutFacilitator, c.Archived,
		ms(c.CreatedAt), c.CreatedBy, c.Schedule.EveryWeeks, c.Schedule.Anchor, c.Schedule.NthWeekday, c.Events}, nil
}

// CreateCircle validates and stores c, setting its ID.
func (s *Store) CreateCircle(ctx context.Context, c *circles.Circle) error {
	return s.CreateCircles(ctx, []*circles.Circle{c})
}

// CreateCircles stores many circles in one transaction, all or none, with
// statements prepared once: the way to seed a large database (benchmarks,
// imports). IDs are set on success only.
func (s *Store) CreateCircles(ctx context.Context, cs []*circles.Circle) error {
	if err := prepareCircles(cs); err != nil {
		return err
	}
	ids := make([]int64, len(cs))
	err := s.write(ctx, func(tx *sql.Tx) error {
		insC, err := tx.PrepareContext(ctx, insertCircleSQL)
		if err != nil {
			return err
		}
		defer insC.Close()
		insF, err := tx.PrepareContext(ctx, insertFacilitatorSQL)
		if err != nil {
			return err
		}
		defer insF.Close()
		slugs := map[string]map[string]string{} // guild → its slugs, loaded once
		for i, c := range cs {
			if !c.Archived {
				taken, ok := slugs[c.GuildID]
				if !ok {
					if taken, err = guildSlugs(ctx, tx, c.GuildID, 0); err != nil {
						return err
					}
					slugs[c.GuildID] = taken
				}
				slug := circles.Slug(c.Name)
				if other, ok := taken[slug]; ok {
					if circles.SameName(other, c.Name) {
						return nameTaken(c.Name)
					}
					return slugTaken(c.Name, other)
				}
				taken[slug] = c.Name
			}
			args, err := circleArgs(c)
			if err != nil {
				return err
			}
			res, err := insC.ExecContext(ctx, args...)
			if isUnique(err, "circles.guild_id") {
				return nameTaken(c.Name)
			}
			if err != nil {
				return err
			}
			if ids[i], err = res.LastInsertId(); err != nil {
				return err
			}
			for pos, f := range c.Facilitators {
				if _, err := insF.ExecContext(ctx, ids[i], f, pos); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, c := range cs {
		c.ID = ids[i]
	}
	return nil
}

// Circle returns one circle of a guild.
func (s *Store) Circle(ctx context.Context, guildID string, id int64) (circles.Circle, error) {
	var c circles.Circle
	if guildID == "" {
		return c, circleNotFound()
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = getCircle(ctx, tx, guildID, id)
		return err
	})
	return c, err
}

// CircleByID returns a circle without guild scoping, for the scheduler.
func (s *Store) CircleByID(ctx context.Context, id int64) (circles.Circle, error) {
	var c circles.Circle
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = getCircle(ctx, tx, "", id)
		return err
	})
	return c, err
}

const circleByNameSQL = `SELECT ` + circleCols + ` FROM circles c
	WHERE c.guild_id = ? AND c.name_fold = ? ORDER BY c.archived, c.id DESC LIMIT 1`

// CircleByName finds a circle by name, case-insensitively, in a guild.
func (s *Store) CircleByName(ctx context.Context, guildID, name string) (circles.Circle, error) {
	var c circles.Circle
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		// Archived circles may share a name with each other and with one
		// active circle: the active one, else the latest archived, is meant.
		c, err = scanCircle(tx.QueryRowContext(ctx, circleByNameSQL, guildID, foldName(name)))
		if errors.Is(err, sql.ErrNoRows) {
			return circles.Errorf(circles.ENotFound, "I couldn't find a circle called \"%s\" in this server.", circles.EscapeMarkdown(circles.NormalizeName(name)))
		}
		return err
	})
	return c, err
}

// likePrefix escapes LIKE's wildcards so a typed "50%" matches literally.
func likePrefix(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(p) + "%"
}

// Circles lists a guild's circles by name.
func (s *Store) Circles(ctx context.Context, guildID string, f circles.CircleFilter) ([]circles.Circle, error) {
	q, args := circlesQuery(guildID, f)
	var out []circles.Circle
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCircle(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// circlesQuery builds the query Circles runs.
func circlesQuery(guildID string, f circles.CircleFilter) (string, []any) {
	q, args := circlesWhere(`SELECT `+circleCols, guildID, f)
	q += ` ORDER BY c.name_fold, c.id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return q, args
}

// circlesWhere is the query of what f selects, after sel.
func circlesWhere(sel, guildID string, f circles.CircleFilter) (string, []any) {
	q := sel + ` FROM circles c WHERE c.guild_id = ?`
	args := []any{guildID}
	if !f.IncludeArchived {
		q += ` AND c.archived = 0`
	}
	if p := foldName(f.NamePrefix); p != "" {
		q += ` AND c.name_fold LIKE ? ESCAPE '\'`
		args = append(args, likePrefix(p))
	}
	if f.FacilitatedBy != "" {
		q += ` AND EXISTS (SELECT 1 FROM circle_facilitators f WHERE f.circle_id = c.id AND f.user_id = ?)`
		args = append(args, f.FacilitatedBy)
	}
	return q, args
}

// UpdateCircle loads a circle, applies fn, validates and saves it. A circle
// cannot be moved to another guild or renumbered by fn. Guideline text that
// changed without a version bump still gets one, so no edit can slip past
// existing consents. A changed schedule leaves the circle's sessions as
// they are; the scheduler reconciles them. Raising capacity promotes from
// the waitlist at once, because a free seat next to a waiting person would
// otherwise go to the next newcomer instead.
func (s *Store) UpdateCircle(ctx context.Context, guildID string, id int64, fn func(*circles.Circle) error) (circles.Circle, []circles.Membership, error) {
	var c circles.Circle
	var promoted []circles.Membership
	if guildID == "" {
		return c, nil, circleNotFound()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		orig, err := getCircle(ctx, tx, guildID, id)
		if err != nil {
			return err
		}
		c = orig
		c.Facilitators = append([]string(nil), orig.Facilitators...)
		c.Prompts = append([]string(nil), orig.Prompts...)
		if err := fn(&c); err != nil {
			return callerError{err}
		}
		c.ID, c.GuildID = orig.ID, orig.GuildID
		if c.Guidelines.Version < orig.Guidelines.Version ||
			(c.Guidelines.Text != orig.Guidelines.Text && c.Guidelines.Version == orig.Guidelines.Version) {
			c.Guidelines.Version = orig.Guidelines.Version + 1
		}
		if err := prepareCircle(&c); err != nil {
			return err
		}
		if !c.Archived && (orig.Archived || circles.Slug(c.Name) != circles.Slug(orig.Name)) {
			taken, err := guildSlugs(ctx, tx, c.GuildID, c.ID)
			if err != nil {
				return err
			}
			if other, ok := taken[circles.Slug(c.Name)]; ok && !circles.SameName(other, c.Name) {
				return slugTaken(c.Name, other)
			}
		}
		args, err := circleArgs(&c)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE circles SET guild_id = ?, name = ?, name_fold = ?, kind = ?, topic = ?,
			capacity = ?, listener_cap = ?, listeners_allowed = ?, guidelines_text = ?, guidelines_version = ?,
			prompts = ?, weekday = ?, hour = ?, minute = ?, cron = ?, timezone = ?, duration_minutes = ?,
			facilitator_gate = ?, postpone_without_facilitator = ?, archived = ?, created_at = ?, created_by = ?,
			every_weeks = ?, anchor_date = ?, nth_weekday = ?, events = ?
			WHERE id = ?`, append(args, c.ID)...)
		if isUnique(err, "circles.guild_id") {
			return nameTaken(c.Name)
		}
		if err != nil {
			return err
		}
		if c.Archived && !orig.Archived {
			// The retention sweep counts an archived circle's memberships
			// from here (SweepEnded).
			if _, err := tx.ExecContext(ctx, `UPDATE circles SET archived_at = ? WHERE id = ?`, s.clock.Now().UnixMilli(), c.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM circle_facilitators WHERE circle_id = ?`, c.ID); err != nil {
			return err
		}
		for pos, f := range c.Facilitators {
			if _, err := tx.ExecContext(ctx, insertFacilitatorSQL, c.ID, f, pos); err != nil {
				return err
			}
		}
		// A schedule change leaves sessions alone: which planned ones still
		// fit the new rule (and keep their RSVPs and reminders) is the
		// scheduler's call (schedule.Scheduler.ScheduleChanged).
		// The contract gives UpdateCircle no time, so promotions made here
		// are stamped with the store's clock.
		promoted, err = promote(ctx, tx, c, s.clock.Now())
		return err
	})
	if err != nil {
		return c, nil, err
	}
	return c, promoted, nil
}

// AllCircleIDs returns the IDs of every non-archived circle of every guild
// the bot is still in (a circle whose guild was never recorded counts).
func (s *Store) AllCircleIDs(ctx context.Context) ([]int64, error) {
	return s.ids(ctx, `SELECT c.id FROM circles c LEFT JOIN guilds g ON g.id = c.guild_id
			WHERE c.archived = 0 AND g.removed_at IS NULL ORDER BY c.id`)
}

// ids runs a query of one integer column and returns its values.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	var ids []int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}
