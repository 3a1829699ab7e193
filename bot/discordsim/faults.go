package discordsim

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// faults are injected failures, consumed by REST requests in order.
type faults struct {
	failNext   int
	failStatus int
	failRate   float64
	force429   int
	retryAfter time.Duration
	latency    time.Duration
}

// FailNext makes the next n REST requests fail with status (e.g. 500, 502).
// discordgo retries 502 up to MaxRestRetries times and gives up on 500.
func (s *Sim) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failNext, s.faults.failStatus = n, status
}

// SetFailureRate makes each REST request fail with a 500 with probability p.
func (s *Sim) SetFailureRate(p float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failRate = p
}

// Force429 makes the next n REST requests (interaction callbacks included)
// get a 429 with the given retry_after.
func (s *Sim) Force429(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.force429, s.faults.retryAfter = n, retryAfter
}

// SetLatency delays every REST response by d.
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// injectLocked returns the injected failure for this request, if any.
func (s *Sim) injectLocked() *apiError {
	f := &s.faults
	if f.force429 > 0 {
		f.force429--
		e := tooMany(f.retryAfter, false, "user")
		e.headers["X-RateLimit-Remaining"] = "0"
		e.headers["X-RateLimit-Reset-After"] = secs(f.retryAfter)
		return e
	}
	if f.failNext > 0 {
		f.failNext--
		return newErr(f.failStatus, 0, http.StatusText(f.failStatus))
	}
	if f.failRate > 0 && rand.Float64() < f.failRate {
		return newErr(http.StatusInternalServerError, 0, "500: Internal Server Error")
	}
	return nil
}
