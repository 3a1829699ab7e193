package bot

import (
	"net/http"
	"time"

	"github.com/circlebot/circlebot/metrics"
	"github.com/circlebot/circlebot/schedule"
)

// The bot's side of the Prometheus metrics (Options.Metrics): REST calls
// as they leave (metricsTransport), the scheduler's steps (stepObserver);
// interactions are counted by the router, failed DMs by dm. With metrics
// off none of these is installed, and the router's and dm's calls are on
// a nil *metrics.Metrics, which returns at once.

// metricsTransport counts every REST attempt that leaves for Discord, by
// route template (routeShape: no IDs or tokens) and status, and the 429s
// among them by scope. It sits below the global limiter, so what it counts
// was really sent: a call the limiter gave up on never reached Discord.
type metricsTransport struct {
	next http.RoundTripper
	m    *metrics.Metrics
}

func (t metricsTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	route := routeShape(req.URL.Path)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	t.m.DiscordRequest(req.Method, route, status)
	if status == http.StatusTooManyRequests {
		t.m.RateLimited(route, resp.Header.Get("X-RateLimit-Scope"))
	}
	return resp, err
}

// stepObserver tells the metrics what the scheduler does.
type stepObserver struct{ m *metrics.Metrics }

func (o stepObserver) StepDone(step schedule.Step)   { o.m.StepDone(stepLabel(step)) }
func (o stepObserver) StepFailed(step schedule.Step) { o.m.StepFailed(stepLabel(step)) }
func (o stepObserver) SessionOpened()                { o.m.SessionOpened() }
func (o stepObserver) SessionMissed()                { o.m.SessionMissed() }
func (o stepObserver) Lag(d time.Duration)           { o.m.SchedulerLag(d) }

// stepLabel names a step in a label; StepNone is what fails before any
// step is chosen (reading the session's circle or server settings).
func stepLabel(step schedule.Step) string {
	if step == schedule.StepNone {
		return "none"
	}
	return string(step)
}

// observer is the scheduler's Observer: none without metrics.
func observer(m *metrics.Metrics) schedule.Observer {
	if m == nil {
		return nil
	}
	return stepObserver{m}
}
