package bot

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// Turns in one bucket come a gap apart (the interval and a margin), other
// buckets are free; two queues on one file — two processes of the bot on
// one host — share the turns, as Discord's limit is the bot's.
func TestIdentifyTurns(t *testing.T) {
	t.Parallel()
	const interval = time.Hour // nothing here waits for a turn
	file := filepath.Join(t.TempDir(), "circlebot.db-identify")
	for name, queues := range map[string][2]*identifyQueue{
		"one process": func() [2]*identifyQueue {
			q := newIdentifyQueue(interval, "", slog.New(slog.DiscardHandler))
			return [2]*identifyQueue{q, q}
		}(),
		"two processes, one file": {
			newIdentifyQueue(interval, file, slog.New(slog.DiscardHandler)),
			newIdentifyQueue(interval, file, slog.New(slog.DiscardHandler)),
		},
	} {
		t.Run(name, func(t *testing.T) {
			a, b := queues[0], queues[1]
			gap := a.gap
			if gap <= interval {
				t.Fatalf("gap %v leaves no margin over %v", gap, interval)
			}
			before := time.Now()
			first := a.reserve(0)
			if first.Before(before) || time.Since(first) > time.Minute {
				t.Fatalf("the first turn is at %v, want now", first)
			}
			if b.takeIfFree(0) {
				t.Fatal("a resume took a turn that was taken")
			}
			if second := b.reserve(0); !second.Equal(first.Add(gap)) {
				t.Fatalf("the second turn in bucket 0 is %v after the first, want %v", second.Sub(first), gap)
			}
			if third := a.reserve(0); !third.Equal(first.Add(2 * gap)) {
				t.Fatalf("the third turn is %v after the first, want %v", third.Sub(first), 2*gap)
			}
			if other := b.reserve(1); other.After(time.Now()) {
				t.Fatalf("bucket 1 waits until %v, want its turn now", other)
			}
			if !a.takeIfFree(2) || a.takeIfFree(2) {
				t.Fatal("a free turn of bucket 2 was not taken once")
			}
		})
	}
}

// A shard carries its own guilds' interactions, and shard 0 the DMs; an
// interaction on any other shard is left alone (onInteraction), so that
// the process running the right shard is the only one to handle it.
func TestShardCarries(t *testing.T) {
	t.Parallel()
	onShard1 := "20971527" // 5 << 22 | 7: shard 1 of 2, 5 of 8
	for _, c := range []struct {
		id, count int
		guild     string
		want      bool
	}{
		{1, 2, onShard1, true},
		{0, 2, onShard1, false},
		{5, 8, onShard1, true},
		{0, 2, "", true},
		{1, 2, "", false},
		{0, 1, onShard1, true},
	} {
		sh := &shard{id: c.id, count: c.count}
		if got := sh.carries(c.guild); got != c.want {
			t.Errorf("shard %d of %d carries guild %q: %v, want %v", c.id, c.count, c.guild, got, c.want)
		}
	}
}
