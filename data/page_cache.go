package data

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// CirclePage is what /circles reads, and reading it from SQLite costs most
// of the command's answer (issue 15a: each of the page's rows runs
// several subqueries). pageCache keeps the pages this process read, and
// hands one out again only while nothing at all has been committed to the
// database since it was read: by this process or by any other sharing the
// file (sharding: another process's DM buttons change memberships of this
// guild too). That is SQLite's PRAGMA data_version, which changes on a
// connection whenever another connection commits, on a connection of the
// cache's own: every write of the store, on its writer connection, counts
// as another connection's.
//
// What else a page depends on is the time it is read at: skipped sessions
// are listed from that moment on. A page read at t is handed out at now ≥ t
// with the skipped starts before now dropped, which is what reading it at
// now returns (in milliseconds, as stored); a page asked for before t is
// read afresh. Everything else a
// listing shows of time (the next session, "in session now") is worked out
// by the caller from now.
//
// The cache is all or nothing: one version for every entry, emptied when
// the database changes, and when it holds maxCachedPages pages.
type pageCache struct {
	db *sql.DB // one read-only connection, for data_version

	mu      sync.Mutex
	conn    *sql.Conn // pinned: data_version compares only on one connection
	version pageVersion
	pages   map[pageKey]cachedPage
}

// pageVersion is a data_version on the cache's connection; conn counts
// the connections the cache has had, since a new one counts afresh.
type pageVersion struct {
	conn uint64
	data int64
}

const maxCachedPages = 4096

type pageKey struct {
	guildID string
	filter  circles.CircleFilter
}

type cachedPage struct {
	at   time.Time // the now it was read at
	page circles.CirclePage
}

func newPageCache(db *sql.DB) *pageCache {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return &pageCache{db: db, pages: map[pageKey]cachedPage{}}
}

// current empties the cache if the database changed since its pages were
// read, and returns the version pages read from now on belong to. It
// holds c.mu. A failure empties the cache and drops the connection (a new
// one counts versions of its own).
func (c *pageCache) current(ctx context.Context) (pageVersion, error) {
	v := c.version
	var err error
	if c.conn == nil {
		v.conn++
		c.conn, err = c.db.Conn(ctx)
	}
	if err == nil {
		err = c.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v.data)
	}
	if err != nil {
		if c.conn != nil {
			_ = c.conn.Close()
			c.conn = nil
		}
		clear(c.pages)
		c.version.conn = v.conn
		return pageVersion{}, err
	}
	if v != c.version || len(c.pages) >= maxCachedPages {
		clear(c.pages)
		c.version = v
	}
	return v, nil
}

// get returns the page of key as of now, if the cache has it, and the
// version to put a page read now under.
func (c *pageCache) get(ctx context.Context, key pageKey, now time.Time) (circles.CirclePage, bool, pageVersion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.current(ctx)
	if err != nil {
		return circles.CirclePage{}, false, v, err
	}
	e, ok := c.pages[key]
	if !ok || now.Before(e.at) {
		return circles.CirclePage{}, false, v, nil
	}
	return pageAsOf(e.page, now), true, v, nil
}

// put keeps a page read at now, when version (taken before it was read)
// is still the cache's: a page read while the database changed is not
// kept.
func (c *pageCache) put(key pageKey, version pageVersion, now time.Time, page circles.CirclePage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil || version != c.version {
		return
	}
	c.pages[key] = cachedPage{at: now, page: pageAsOf(page, now)}
}

func (c *pageCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if c.conn != nil {
		err = c.conn.Close()
		c.conn = nil
	}
	clear(c.pages)
	return err
}

// pageAsOf copies p as reading it at now would return it: the skipped
// starts before now left out. The copy shares nothing with p that a
// caller could change.
func pageAsOf(p circles.CirclePage, now time.Time) circles.CirclePage {
	out := circles.CirclePage{Total: p.Total, Circles: slices.Clone(p.Circles), States: make(map[int64]circles.CircleState, len(p.States))}
	for i := range out.Circles {
		out.Circles[i].Facilitators = slices.Clone(out.Circles[i].Facilitators)
	}
	for id, st := range p.States {
		st.Sessions = slices.Clone(st.Sessions)
		var skipped []time.Time
		for _, t := range st.Skipped {
			if t.UnixMilli() >= now.UnixMilli() { // as stateCols compares them
				skipped = append(skipped, t)
			}
		}
		st.Skipped = skipped
		if st.Seats != (circles.SeatCounts{}) || st.Waitlist > 0 || len(st.Sessions) > 0 || len(st.Skipped) > 0 {
			out.States[id] = st
		}
	}
	return out
}
