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
	// A burst of a few lets small bursts through at once while no second
	// sees more than Discord's 50: the rate plus the burst.
	return &globalLimiter{next: next, limiter: rate.NewLimiter(rate.Limit(perSecond), max(50-perSecond, 1))}
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
