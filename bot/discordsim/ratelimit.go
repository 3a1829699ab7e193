package discordsim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// rateLimiter keeps fixed-window counters per bucket and for the world's
// global limit. Discord's real algorithm is not documented beyond the
// headers; fixed windows reproduce what a client can observe: the headers,
// 429s when it ignores them, and recovery after Reset-After.
type rateLimiter struct {
	buckets     map[string]*rlBucket
	globalStart time.Time
	globalCount int
}

type rlBucket struct {
	start time.Time
	count int
}

func (r *rateLimiter) init() { r.buckets = map[string]*rlBucket{} }

type rlResult struct {
	headers http.Header
	err     *apiError
}

// secs formats a duration as Discord's seconds-with-milliseconds, rounded
// up: discordgo truncates to whole milliseconds, and rounding down would
// let it come back a moment before the window resets and earn a 429.
func secs(d time.Duration) string {
	ms := math.Max(math.Ceil(float64(d)/float64(time.Millisecond)), 1)
	return strconv.FormatFloat(ms/1000, 'f', 3, 64)
}

func bucketHash(route string) string {
	h := sha1.Sum([]byte(route))
	return hex.EncodeToString(h[:8])
}

func tooMany(retry time.Duration, global bool, scope string) *apiError {
	e := newErr(http.StatusTooManyRequests, 0, "You are being rate limited.")
	rs := math.Round(math.Max(retry.Seconds(), 0.001)*1000) / 1000
	e.extra = map[string]any{"retry_after": rs, "global": global}
	e.headers = map[string]string{
		"Retry-After":       strconv.Itoa(int(math.Ceil(retry.Seconds()))),
		"X-RateLimit-Scope": scope,
	}
	return e
}

// check counts one request against the global and route limits and returns
// the X-RateLimit-* headers for the response, or a 429.
func (r *rateLimiter) check(now time.Time, route, key string, limit int, window time.Duration, globalLimit int, exemptGlobal bool) rlResult {
	h := http.Header{}
	if !exemptGlobal {
		if now.Sub(r.globalStart) >= time.Second {
			r.globalStart, r.globalCount = now, 0
		}
		if r.globalCount >= globalLimit {
			retry := r.globalStart.Add(time.Second).Sub(now)
			e := tooMany(retry, true, "global")
			e.headers["X-RateLimit-Global"] = "true"
			// discordgo only honours a global lock when Reset-After is
			// present alongside X-RateLimit-Global.
			e.headers["X-RateLimit-Reset-After"] = secs(retry)
			return rlResult{err: e}
		}
		r.globalCount++
	}
	b := r.buckets[key]
	if b == nil || now.Sub(b.start) >= window {
		b = &rlBucket{start: now}
		r.buckets[key] = b
	}
	reset := b.start.Add(window)
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(reset.UnixMilli())/1000))
	h.Set("X-RateLimit-Reset-After", secs(reset.Sub(now)))
	h.Set("X-RateLimit-Bucket", bucketHash(route))
	if b.count >= limit {
		h.Set("X-RateLimit-Remaining", "0")
		e := tooMany(reset.Sub(now), false, "user")
		for k, v := range e.headers {
			h.Set(k, v)
		}
		return rlResult{headers: h, err: e}
	}
	b.count++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(limit-b.count))
	return rlResult{headers: h}
}
