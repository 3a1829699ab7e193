package discordsim

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// statuses makes n requests and returns what each got.
func (e *rawEnv) statuses(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = e.do("GET", "/users/@me", nil).status
	}
	return out
}

func TestSeededFailuresAreReproducible(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{"v9", "v10"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			// Fewer than the route limit per window: the clock does not move.
			const n = 9
			run := func(seed uint64, opts Options) []int {
				e := newRawEnv(t, ver, opts, false)
				if seed != 0 {
					e.SetFailureRateSeed(0.5, seed)
				} else {
					e.SetFailureRate(0.5)
				}
				return e.statuses(n)
			}
			a, b := run(42, Options{}), run(42, Options{})
			if !slices.Equal(a, b) || !slices.Contains(a, 500) || !slices.Contains(a, 200) {
				t.Fatalf("seed 42: %v then %v", a, b)
			}
			if c := run(0, Options{FaultSeed: 42}); !slices.Equal(a, c) {
				t.Errorf("Options.FaultSeed 42: %v, SetFailureRateSeed: %v", c, a)
			}
			var differs bool
			for seed := uint64(43); seed < 48 && !differs; seed++ {
				differs = !slices.Equal(a, run(seed, Options{}))
			}
			if !differs {
				t.Error("five other seeds all gave the same failures")
			}
			e := newRawEnv(t, ver, Options{}, false)
			if e.FaultSeed() == 0 {
				t.Error("no seed reported for a random stream")
			}
			// Restarting the stream replays it, for the loss rate too.
			e.SetFaultSeed(7)
			e.SetLossRate(0.5)
			first := e.statuses(n)
			e.clock.Advance(2 * time.Second)
			e.SetFaultSeed(7)
			if again := e.statuses(n); !slices.Equal(first, again) || !slices.Contains(first, 500) {
				t.Errorf("loss after SetFaultSeed(7): %v then %v", first, again)
			}
		})
	}
}

// TestLostResponsesArePerformed: a lost response means the request was
// carried out, which is what makes a blind retry duplicate it.
func TestLostResponsesArePerformed(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{"v9", "v10"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			t.Run("a message is posted though the bot sees a 500; a retry posts it twice", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				e.LoseNext(1)
				if r := e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"content": "Guidelines"}); r.status != 500 {
					t.Fatalf("got %d %s", r.status, r.body)
				}
				if n := len(e.Messages(e.general)); n != 1 {
					t.Fatalf("%d messages after the lost response", n)
				}
				e.post(e.general)
				if n := len(e.Messages(e.general)); n != 2 {
					t.Errorf("%d messages after a blind retry", n)
				}
				st := e.Stats()
				rs := e.Requests()
				if st.Lost != 1 || st.ServerErrors != 0 || !rs[0].Lost || rs[0].Status != 500 || rs[1].Lost {
					t.Errorf("stats %+v, requests %+v", st, rs)
				}
			})
			t.Run("an enforced nonce makes the retry safe", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				e.LoseNextWith(1, 502)
				body := map[string]any{"content": "Guidelines", "nonce": "g-1", "enforce_nonce": true}
				if r := e.do("POST", "/channels/"+e.general+"/messages", body); r.status != 502 {
					t.Fatalf("got %d", r.status)
				}
				e.must(200, "POST", "/channels/"+e.general+"/messages", body)
				if n := len(e.Messages(e.general)); n != 1 {
					t.Errorf("%d messages", n)
				}
			})
			t.Run("failures, unlike losses, do nothing", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				e.FailNext(1, 500)
				e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"content": "x"})
				if n, st := len(e.Messages(e.general)), e.Stats(); n != 0 || st.ServerErrors != 1 || st.Lost != 0 {
					t.Errorf("%d messages, stats %+v", n, st)
				}
			})
			t.Run("a refused request does not consume a loss", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				e.LoseNext(1)
				if r := e.do("GET", "/channels/"+nextID(), nil); r.status != 404 {
					t.Fatalf("got %d", r.status)
				}
				if r := e.do("GET", "/users/@me", nil); r.status != 500 {
					t.Errorf("got %d, want the loss", r.status)
				}
			})
			t.Run("a lost interaction callback acknowledged it: the second gets 40060", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, true)
				in, done := e.interact(func(ctx context.Context) (*Response, error) { return e.RunCommand(ctx, e.member, e.guild, "ping") })
				e.LoseNext(1)
				cb := map[string]any{"type": 4, "data": map[string]any{"content": "pong"}}
				if r := e.do("POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", cb); r.status != 500 {
					t.Fatalf("got %d %s", r.status, r.body)
				}
				e.wait(done)
				if res, ok := e.Response(in.ID); !ok || res.Content != "pong" {
					t.Errorf("the user saw %+v", res)
				}
				if r := e.do("POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", cb); r.status != 400 || r.code() != 40060 {
					t.Errorf("retry: %d %s", r.status, r.body)
				}
				// A lost follow-up was posted too.
				e.LoseNext(1)
				if r := e.do("POST", "/webhooks/"+e.ApplicationID()+"/"+in.Token, map[string]any{"content": "more"}); r.status != 500 {
					t.Errorf("follow-up: %d", r.status)
				}
				if fs := e.Followups(in.ID); len(fs) != 1 || fs[0].Content != "more" {
					t.Errorf("followups %+v", fs)
				}
				if st := e.Stats(); st.Lost != 2 {
					t.Errorf("stats %+v", st)
				}
			})
			t.Run("SetLossRate(1) loses every response and performs every request", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				e.SetLossRate(1)
				for i := range 3 {
					e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"content": fmt.Sprint(i)})
				}
				e.SetLossRate(0)
				if n, st := len(e.Messages(e.general)), e.Stats(); n != 3 || st.Lost != 3 {
					t.Errorf("%d messages, stats %+v", n, st)
				}
			})
		})
	}
}
