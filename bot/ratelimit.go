package bot

import (
	"net/http"
	"strings"

	"golang.org/x/time/rate"
)

// globalLimiter paces every REST call under Discord's global limit of 50
// requests per second per bot. discordgo keeps per-route buckets but has no
// global limiter, so when many sessions open in the same minute it would
// run into 429s; this transport makes calls wait their turn instead.
// Interaction callbacks are exempt on Discord and must not wait behind bulk
// work, so they bypass it. It sits below the retry transport (retry.go):
// each attempt of a retried call waits here again, so retries count against
// the limit like any other request.
type globalLimiter struct {
	next    http.RoundTripper
	limiter *rate.Limiter
}

func newGlobalLimiter(next http.RoundTripper, perSecond int) *globalLimiter {
	if next == nil {
		next = http.DefaultTransport
	}
	return &globalLimiter{next: next, limiter: rate.NewLimiter(rate.Limit(perSecond), limiterBurst(perSecond))}
}

// limiterBurst lets small bursts through at once while no second sees more
// than Discord's 50, the rate plus the burst: 3 at the full 47 requests/s,
// and as much less as a process's share of the rate is (at least 1, which
// the shares' rounding down leaves room for).
func limiterBurst(perSecond int) int {
	return max(1, (50-defaultGlobalRateLimit)*perSecond/defaultGlobalRateLimit)
}

// setRate changes the rate (and with it the burst): a process's share of
// the bot's limit is known once it knows how many shards it runs.
func (g *globalLimiter) setRate(perSecond int) {
	g.limiter.SetLimit(rate.Limit(perSecond))
	g.limiter.SetBurst(limiterBurst(perSecond))
}

func (g *globalLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.Contains(req.URL.Path, "/interactions/") {
		if err := g.limiter.Wait(req.Context()); err != nil {
			return nil, limiterRefusal{err}
		}
	}
	return g.next.RoundTrip(req)
}

// limiterRefusal is the limiter giving up on a call before it was sent: its
// context ended, or its turn would come after the context's deadline.
type limiterRefusal struct{ err error }

func (e limiterRefusal) Error() string { return "global rate limit: " + e.err.Error() }
func (e limiterRefusal) Unwrap() error { return e.err }
