// Package metrics is circlebot's Prometheus instrumentation: the series an
// operator scrapes from [metrics] listen, in one registry of their own.
//
// Every method is safe on a nil *Metrics and then does nothing, so the bot
// calls them unconditionally and, with metrics off (the default), pays a
// nil check. Label values come from small fixed sets — command paths and
// button actions the bot routes, REST route templates, step names,
// outcomes — never from user, guild, channel or message IDs.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Interaction outcomes (the outcome label of circlebot_interactions_total).
const (
	OutcomeOK          = "ok"          // answered as asked
	OutcomeRefused     = "refused"     // answered with a refusal the user can act on (a kind error)
	OutcomeError       = "error"       // answered with an internal error (or a panic)
	OutcomeUndelivered = "undelivered" // the answer never reached Discord
)

// DM failure reasons (the reason label of circlebot_dms_failed_total).
const (
	DMClosed = "dms_closed" // Discord refused: the user doesn't take DMs from the bot
	DMError  = "error"      // anything else
)

// Metrics holds circlebot's collectors and the registry they are in.
type Metrics struct {
	reg *prometheus.Registry

	interactions        *prometheus.CounterVec
	interactionDuration *prometheus.HistogramVec
	requests            *prometheus.CounterVec
	rateLimited         *prometheus.CounterVec
	sessionsOpened      prometheus.Counter
	sessionsMissed      prometheus.Counter
	steps               *prometheus.CounterVec
	stepFailures        *prometheus.CounterVec
	dmsFailed           *prometheus.CounterVec
	schedulerLag        prometheus.Histogram
}

// New returns a Metrics with every series registered, the Go runtime's and
// the process's included.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circlebot_interactions_total",
			Help: "Interactions answered, by command (slash command path, button or modal action, autocomplete option; \"unknown\" for anything not routed) and outcome (ok, refused, error, undelivered).",
		}, []string{"command", "outcome"}),
		interactionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "circlebot_interaction_duration_seconds",
			Help: "Time from an interaction's arrival until its answer was sent (for a deferred one, the answer edited in), by command.",
			// Discord wants the first answer within 3 s; deferred ones may take longer.
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 1.5, 2, 3, 5, 10, 30},
		}, []string{"command"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circlebot_discord_requests_total",
			Help: "REST requests sent to Discord, each attempt counted, by method, route template (/channels/{id}/messages) and HTTP status (\"error\" when no response came).",
		}, []string{"method", "route", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circlebot_discord_rate_limited_total",
			Help: "REST requests Discord answered with 429 Too Many Requests, by route template and scope (user, global, shared, unknown).",
		}, []string{"route", "scope"}),
		sessionsOpened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "circlebot_sessions_opened_total",
			Help: "Sessions whose channel opened to their members.",
		}),
		sessionsMissed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "circlebot_sessions_missed_total",
			Help: "Sessions that did not open within the grace window after their start, and were reported missed.",
		}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circlebot_schedule_steps_total",
			Help: "Session steps the scheduler did (remind, open, prompt, warn, close, delete…), by step.",
		}, []string{"step"}),
		stepFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circlebot_schedule_step_failures_total",
			Help: "Session steps that failed and will be retried, by step.",
		}, []string{"step"}),
		dmsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "circlebot_dms_failed_total",
			Help: "Direct messages that could not be delivered, by reason (dms_closed, error).",
		}, []string{"reason"}),
		schedulerLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "circlebot_scheduler_lag_seconds",
			Help:    "How late the scheduler took up a session that was due: from its due time until a worker started on it.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 15, 30, 60, 300, 900, 3600},
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.interactions, m.interactionDuration, m.requests, m.rateLimited,
		m.sessionsOpened, m.sessionsMissed, m.steps, m.stepFailures, m.dmsFailed, m.schedulerLag,
	)
	// Series with a known, fixed set of labels start at zero, so that a
	// rate() or an alert sees them before the first failure.
	for _, r := range []string{DMClosed, DMError} {
		m.dmsFailed.WithLabelValues(r)
	}
	return m
}

// Registry is where the series are, for a test or another handler.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the series in Prometheus' exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Interaction counts an answered interaction and how long it took.
func (m *Metrics) Interaction(command, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.interactions.WithLabelValues(command, outcome).Inc()
	m.interactionDuration.WithLabelValues(command).Observe(took.Seconds())
}

// DiscordRequest counts one REST attempt; status 0 means no response came.
func (m *Metrics) DiscordRequest(method, route string, status int) {
	if m == nil {
		return
	}
	s := "error"
	if status > 0 {
		s = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(method, route, s).Inc()
}

// RateLimited counts a 429; scope is Discord's X-RateLimit-Scope.
func (m *Metrics) RateLimited(route, scope string) {
	if m == nil {
		return
	}
	switch scope {
	case "user", "global", "shared":
	default:
		scope = "unknown"
	}
	m.rateLimited.WithLabelValues(route, scope).Inc()
}

// SessionOpened counts a session that opened.
func (m *Metrics) SessionOpened() {
	if m == nil {
		return
	}
	m.sessionsOpened.Inc()
}

// SessionMissed counts a session reported missed.
func (m *Metrics) SessionMissed() {
	if m == nil {
		return
	}
	m.sessionsMissed.Inc()
}

// StepDone counts a scheduler step done.
func (m *Metrics) StepDone(step string) {
	if m == nil {
		return
	}
	m.steps.WithLabelValues(step).Inc()
}

// StepFailed counts a scheduler step that failed.
func (m *Metrics) StepFailed(step string) {
	if m == nil {
		return
	}
	m.stepFailures.WithLabelValues(step).Inc()
}

// DMFailed counts a direct message not delivered.
func (m *Metrics) DMFailed(reason string) {
	if m == nil {
		return
	}
	if reason != DMClosed {
		reason = DMError
	}
	m.dmsFailed.WithLabelValues(reason).Inc()
}

// SchedulerLag records how late a due session was taken up.
func (m *Metrics) SchedulerLag(d time.Duration) {
	if m == nil {
		return
	}
	m.schedulerLag.Observe(max(d, 0).Seconds())
}

// Server serves /metrics on its own listener.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving m on addr ("127.0.0.1:9464"; port 0 picks one) at
// /metrics; everything else is 404. It returns once the address is bound,
// so a port already in use is an error here, not in the log later.
func Listen(addr string, m *Metrics, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	s := &Server{
		ln: ln,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics: serving stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting a scrape under way finish for a moment.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
