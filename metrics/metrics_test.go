package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.Interaction("/join", OutcomeOK, time.Millisecond)
	m.DiscordRequest("GET", "/gateway", 200)
	m.RateLimited("/gateway", "user")
	m.SessionOpened()
	m.SessionMissed()
	m.StepDone("open")
	m.StepFailed("open")
	m.DMFailed(DMClosed)
	m.SchedulerLag(time.Second)
	if m.Registry() != nil {
		t.Fatal("a nil Metrics has a registry")
	}
}

func TestListenServesOnlyMetrics(t *testing.T) {
	m := New()
	m.RateLimited("/channels/{id}/messages", "made-up scope")
	m.DMFailed("something new")
	srv, err := Listen("127.0.0.1:0", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	// Unknown values fold into one label value each.
	for _, want := range []string{
		`circlebot_discord_rate_limited_total{route="/channels/{id}/messages",scope="unknown"} 1`,
		`circlebot_dms_failed_total{reason="error"} 1`,
		`circlebot_dms_failed_total{reason="dms_closed"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := get("/"); code != http.StatusNotFound {
		t.Errorf("/: %d, want 404", code)
	}
	// A second listener on the same address is refused at once.
	if _, err := Listen(srv.Addr(), m, nil); err == nil {
		t.Error("listening twice on one address succeeded")
	}
}

// The cost of counting one interaction and one REST call: metrics off (a
// nil *Metrics, what the bot calls by default) and on. See docs/BENCHMARKS.md.
func BenchmarkCountOff(b *testing.B) {
	var m *Metrics
	for b.Loop() {
		m.Interaction("/join", OutcomeOK, time.Millisecond)
		m.DiscordRequest("POST", "/channels/{id}/messages", 200)
	}
}

func BenchmarkCountOn(b *testing.B) {
	m := New()
	for b.Loop() {
		m.Interaction("/join", OutcomeOK, time.Millisecond)
		m.DiscordRequest("POST", "/channels/{id}/messages", 200)
	}
}
