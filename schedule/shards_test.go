package schedule

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// Two processes over one database, each with its own store and half the
// shards: each plans the circles of its own guilds at Reconcile and runs
// their sessions only, so that every session opens once, whichever process
// wakes first — even when both wake at the same instant.
func TestSchedulersSplitByShards(t *testing.T) {
	e := newEnv(t)
	// guild(n) is on shard n of 2.
	guild := func(shard int64) string { return strconv.FormatInt((1000+shard)<<22, 10) }
	var cs []circles.Circle
	for i := range 6 {
		g := guild(int64(i % 2))
		if err := e.store.SaveGuildSettings(e.ctx, circles.GuildSettings{GuildID: g}); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, e.circle(g, "Circle "+strconv.Itoa(i), circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour)))
	}

	type process struct {
		act   *recorder
		sched *Scheduler
	}
	procs := make([]process, 2)
	for shard := range procs {
		st, err := data.Open(e.ctx, e.path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		act := newRecorder(e.clock)
		procs[shard] = process{act: act, sched: New(Options{
			Store: st, Actions: act, Clock: e.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Shards: circles.Shards{Count: 2, IDs: []int{shard}},
		})}
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() {
			if err := p.sched.Reconcile(e.ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, c := range cs {
		planned := e.sessions(c, circles.SessionPlanned)
		if len(planned) != 1 {
			t.Fatalf("%s: %d sessions planned, want 1", c.Name, len(planned))
		}
	}

	e.at(start)
	for _, p := range procs {
		wg.Go(func() {
			if _, err := p.sched.RunDue(e.ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	opened := map[int64]int{}
	for shard, p := range procs {
		for _, c := range p.act.Calls() {
			if c.Step != StepOpen {
				continue
			}
			opened[c.Session]++
			if s := e.session(c.Session); circles.ShardOf(s.GuildID, 2) != shard {
				t.Errorf("the process of shard %d opened a session of guild %s, on shard %d", shard, s.GuildID, circles.ShardOf(s.GuildID, 2))
			}
		}
	}
	for _, c := range cs {
		for _, s := range e.sessions(c, circles.SessionOpen) {
			if opened[s.ID] != 1 {
				t.Errorf("%s: session %d opened %d times, want once", c.Name, s.ID, opened[s.ID])
			}
		}
	}
	if len(opened) != len(cs) {
		t.Errorf("%d sessions opened, want %d", len(opened), len(cs))
	}
}
