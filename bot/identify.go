package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Discord lets a bot start max_concurrency gateway sessions per 5 s: each
// shard belongs to a bucket, shard_id % max_concurrency, and a bucket may
// IDENTIFY once per 5 s ("Max Concurrency", gateway docs). One IDENTIFY
// too many is answered INVALID_SESSION, and discordgo answers that with
// another IDENTIFY at once, so the bot must keep to the limit itself.
const identifyInterval = 5 * time.Second

// identifyQueue hands out IDENTIFY turns per bucket, a gap apart: the
// interval, and a margin for the time between taking a turn and the
// IDENTIFY reaching Discord (the dial, HELLO), which varies from one
// connection to the next.
//
// The limit is the bot's, not the process's: processes that run shards
// of one bot on one host take their turns through a file (file; see
// reserveInFile), so that two started together don't both identify in
// bucket 0. Without one, or where the file can't be used, turns are kept
// within the process.
type identifyQueue struct {
	gap  time.Duration
	file string
	log  *slog.Logger

	mu   sync.Mutex
	next map[int]time.Time // in-process turns: when each bucket is free
	warn sync.Once
}

func newIdentifyQueue(interval time.Duration, file string, log *slog.Logger) *identifyQueue {
	if interval <= 0 {
		interval = identifyInterval
	}
	return &identifyQueue{gap: interval + max(interval/10, 100*time.Millisecond), file: file, log: log, next: map[int]time.Time{}}
}

// reserve takes bucket's next turn and returns when it is: now, or the
// first moment after the last turn's gap.
func (q *identifyQueue) reserve(bucket int) time.Time {
	at, _ := q.take(bucket, false)
	return at
}

// takeIfFree takes bucket's turn if it is free now, and reports whether it
// was. A RESUME needs no turn, but the IDENTIFY discordgo sends at once
// when the RESUME fails does: a resume takes the turn when it can, and
// goes ahead all the same when it can't.
func (q *identifyQueue) takeIfFree(bucket int) bool {
	_, ok := q.take(bucket, true)
	return ok
}

// take reserves bucket's next turn, or with ifFree only a turn that is
// free now; ok reports whether a turn was taken.
func (q *identifyQueue) take(bucket int, ifFree bool) (at time.Time, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	if q.file != "" {
		at, ok, err := reserveInFile(q.file, bucket, now, q.gap, ifFree)
		if err == nil {
			return at, ok
		}
		q.warn.Do(func() {
			q.log.Warn("can't share IDENTIFY turns with other processes through the lock file; pacing this process's shards only", "file", q.file, "err", err)
		})
	}
	at = now
	if next := q.next[bucket]; next.After(at) {
		if ifFree {
			return next, false
		}
		at = next
	}
	q.next[bucket] = at.Add(q.gap)
	return at, true
}

// wait takes bucket's next turn and waits for it.
func (q *identifyQueue) wait(ctx context.Context, bucket int) error {
	return sleepUntil(ctx, q.reserve(bucket))
}

// sleepUntil waits until at, or for ctx.
func sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	return sleepCtx(ctx, d)
}
