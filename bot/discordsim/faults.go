package discordsim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// faults are injected failures, consumed by REST requests in order. Every
// REST route is subject to them, interaction callbacks and webhook
// follow-ups included.
type faults struct {
	failNext   int
	failStatus int
	failRate   float64
	force429   int
	retryAfter time.Duration
	latency    time.Duration

	loseNext   int
	loseStatus int
	lossRate   float64

	seed uint64
	rng  *rand.Rand // the world's own: SetFailureRate and SetLossRate draw from it
}

// pcgStream is PCG's second seed word; the first is the fault seed.
const pcgStream = 0x9e3779b97f4a7c15

func (f *faults) init(seed uint64) {
	if seed == 0 {
		seed = rand.Uint64() | 1
	}
	f.seed = seed
	f.rng = rand.New(rand.NewPCG(seed, pcgStream))
}

// FailNext makes the next n REST requests fail with status (e.g. 500,
// 502) without being carried out. discordgo retries 502 up to
// MaxRestRetries times and gives up on 500.
func (s *Sim) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failNext, s.faults.failStatus = n, status
}

// SetFailureRate makes each REST request fail with a 500, without being
// carried out, with probability p. The draws come from the world's own
// random stream (Options.FaultSeed, SetFaultSeed), so a test that fixes the
// seed and makes the same requests in the same order meets the same
// failures.
func (s *Sim) SetFailureRate(p float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failRate = p
}

// SetFailureRateSeed is SetFaultSeed(seed) and SetFailureRate(p): random
// failures that come out the same on every run.
func (s *Sim) SetFailureRateSeed(p float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.init(seed)
	s.faults.failRate = p
}

// SetFaultSeed restarts the world's random fault stream (SetFailureRate,
// SetLossRate) from seed; 0 picks a random seed. The n-th draw after it is
// the same for the same seed: with requests made in the same order, the
// same ones fail or lose their response.
func (s *Sim) SetFaultSeed(seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.init(seed)
}

// FaultSeed is the seed of the world's random fault stream, for a test to
// log so that a failure it found can be replayed (Options.FaultSeed).
func (s *Sim) FaultSeed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.seed
}

// LoseNext makes the next n REST requests that succeed be carried out — the message is posted, the channel created, the
// interaction acknowledged — and then lose their response: the client sees
// a 500 as if the connection broke on the way back. A client that retries
// a non-idempotent request after one duplicates it. Lost responses are
// counted in Stats.Lost and flagged on the Request, not as ServerErrors.
func (s *Sim) LoseNext(n int) { s.LoseNextWith(n, http.StatusInternalServerError) }

// LoseNextWith is LoseNext with the status the client sees instead, e.g.
// 502 from a proxy (discordgo retries a 502 by itself, so a lost 502 on a
// POST posts twice without the bot knowing).
func (s *Sim) LoseNextWith(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.loseNext, s.faults.loseStatus = n, status
}

// SetLossRate makes each REST request that succeeds lose its response
// with probability p, after being carried out (see LoseNext).
// The draws come from the world's random stream, like SetFailureRate.
func (s *Sim) SetLossRate(p float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.lossRate = p
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

// injectLocked returns the injected failure for this request, if any: a
// request that gets one is not carried out.
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
	if f.failRate > 0 && f.rng.Float64() < f.failRate {
		return newErr(http.StatusInternalServerError, 0, "500: Internal Server Error")
	}
	return nil
}

// lossLocked decides, after a request succeeded, whether its
// response is lost, and returns what the client sees instead (nil: the
// real response).
func (s *Sim) lossLocked() *apiError {
	f := &s.faults
	status := 0
	switch {
	case f.loseNext > 0:
		f.loseNext--
		status = f.loseStatus
	case f.lossRate > 0 && f.rng.Float64() < f.lossRate:
		status = http.StatusInternalServerError
	default:
		return nil
	}
	return newErr(status, 0, fmt.Sprintf("%d: %s", status, http.StatusText(status)))
}
