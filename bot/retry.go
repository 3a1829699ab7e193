package bot

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Retry budgets: how long a call may go on being retried after its first
// attempt failed transiently (see retryTransport). A budget is carried in
// the request's context (withRetryBudget, then discordgo.WithContext) and
// counts from the call's first attempt; each call made with the context
// gets the whole budget. A context deadline, when sooner, wins.
const (
	// budgetInteraction: the interaction callback (the answer, a modal, an
	// autocomplete's choices, or the deferral). Discord wants it within 3 s
	// of the interaction; the router answers or defers by 1.5 s, so about a
	// second of retrying keeps the last attempt well inside. That is the
	// least a callback gets: one made sooner is retried until callbackWindow
	// after the interaction arrived (callbackContext).
	budgetInteraction = 1 * time.Second
	// callbackWindow: how long after an interaction arrived its callback
	// is still retried, leaving half a second of Discord's 3 s for latency.
	callbackWindow = 2500 * time.Millisecond
	// budgetFollowup: editing a deferred answer in, and follow-up messages.
	// The token lives 15 minutes, but the user is watching "thinking…".
	budgetFollowup = 10 * time.Second
	// budgetHandler: each Discord call a handler makes (the router puts it
	// on the handler's context). The user already sees "thinking…" by then.
	budgetHandler = 20 * time.Second
	// budgetStep: each Discord call of a scheduler step (opening, prompts,
	// closing, deleting, reminders). Nobody is waiting on an answer, but a
	// step holds up the steps after it; what still fails is retried by the
	// scheduler on its next round.
	budgetStep = 30 * time.Second
	// budgetDefault: calls whose context carries no budget — DMs, command
	// registration, start-up checks.
	budgetDefault = 10 * time.Second
)

// RetryOptions tune how transient REST failures are retried (retry.go).
// The zero value is production's.
type RetryOptions struct {
	// BaseDelay caps the wait before the first retry; each retry doubles
	// the cap, up to MaxDelay. The wait is drawn uniformly below the cap
	// ("full jitter"). Defaults 100ms and 2s; tests make them tiny.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// AttemptTimeout bounds one attempt, body included; an attempt that
	// runs out is retried like a dropped connection. Default 20s.
	AttemptTimeout time.Duration
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.BaseDelay <= 0 {
		o.BaseDelay = 100 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 2 * time.Second
	}
	if o.MaxDelay < o.BaseDelay {
		o.MaxDelay = o.BaseDelay
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 20 * time.Second
	}
	return o
}

type retryBudgetKey struct{}

// withRetryBudget returns a context under which each Discord call (passed
// with discordgo.WithContext) is retried for at most d after its first
// attempt failed transiently; 0 means no retries. See the budget* constants.
func withRetryBudget(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, retryBudgetKey{}, max(d, 0))
}

// stepContext gives the calls of a scheduler step budgetStep, unless ctx
// already carries a budget: a step run for an interaction (/circle open)
// keeps the interaction's.
func stepContext(ctx context.Context) context.Context {
	if _, ok := ctx.Value(retryBudgetKey{}).(time.Duration); ok {
		return ctx
	}
	return withRetryBudget(ctx, budgetStep)
}

func retryBudget(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(retryBudgetKey{}).(time.Duration); ok {
		return d
	}
	return budgetDefault
}

// retryTransport retries REST calls that failed transiently — HTTP 500,
// 502, 503, 504, a dropped or refused connection, an attempt that timed
// out — with capped exponential backoff and full jitter, for as long as
// the call's budget allows. It sits above the global limiter, so every
// attempt waits its turn there and counts against the 50 requests a second.
//
// Only calls that are safe to repeat are retried (retrySafety). 429s are
// passed through untouched: discordgo's buckets honour their retry_after.
// Any other 4xx is an answer, never retried. A cancelled or expired request
// context ends the call at once.
//
// When a retry can't help (budget spent, not safe, body not replayable),
// the last response or error is returned as it came, so callers see what
// they would have seen without retries.
type retryTransport struct {
	next http.RoundTripper
	opts RetryOptions
	log  *slog.Logger
}

func newRetryTransport(next http.RoundTripper, o RetryOptions, log *slog.Logger) *retryTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &retryTransport{next: next, opts: o.withDefaults(), log: log}
}

// safety is whether a request may be sent again.
type safety int

const (
	retryNever    safety = iota
	retrySafe            // idempotent by method or by Discord's semantics
	retryIfNonce         // POST /channels/{id}/messages: only with an enforced nonce
	retryCallback        // POST /interactions/{id}/{token}/callback: see RoundTrip
)

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	start := time.Now()
	budget := retryBudget(ctx)
	kind := retrySafety(req)
	route := routeShape(req.URL.Path)

	var (
		resp *http.Response
		err  error
	)
	for attempt := 1; ; attempt++ {
		r := req.Clone(ctx)
		if attempt > 1 {
			// The first failure's check made sure a body can be replayed.
			if req.GetBody != nil {
				body, gerr := req.GetBody()
				if gerr != nil {
					return resp, err
				}
				r.Body = body
			}
		}
		prevResp, prevErr := resp, err
		resp, err = t.once(ctx, r)
		if attempt > 1 && errors.As(err, new(limiterRefusal)) {
			// The retry never left (its turn at the global limiter
			// would come too late): what the last attempt got stands.
			return prevResp, prevErr
		}
		if ctx.Err() != nil {
			return resp, err
		}
		if kind == retryCallback && attempt > 1 && alreadyAcknowledged(resp) {
			// An earlier attempt failed on the way back but reached
			// Discord: the interaction is answered. Say so, rather than
			// let the router log a failure or answer a second time.
			t.log.Debug("interaction callback: an earlier attempt had landed; reporting success",
				"method", req.Method, "route", route, "attempt", attempt)
			return acknowledged(req, resp), nil
		}
		failure := transient(resp, err)
		if failure == "" {
			if attempt > 1 {
				t.log.Debug("Discord request succeeded after retrying", "method", req.Method, "route", route,
					"status", statusOf(resp), "attempts", attempt)
			}
			return resp, err
		}
		if attempt == 1 {
			// Whether the call may be repeated is asked once, on its
			// first failure: the calls that go through pay nothing.
			why := ""
			switch {
			case kind == retryNever:
				why = "not safe to repeat"
			case kind == retryIfNonce && !hasEnforcedNonce(req):
				why = "a message without an enforced nonce could be posted twice"
			}
			if why == "" && req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
				why = "its body can't be replayed"
			}
			if why != "" {
				t.log.Debug("Discord request failed; not retried: "+why, "method", req.Method, "route", route,
					"failure", failure)
				return resp, err
			}
		}
		wait := t.backoff(attempt)
		limit := start.Add(budget)
		if dl, ok := ctx.Deadline(); ok && dl.Before(limit) {
			limit = dl
		}
		if time.Now().Add(wait).After(limit) {
			if budget > 0 {
				t.log.Warn("Discord request failed; retry budget exhausted", "method", req.Method, "route", route,
					"failure", failure, "attempts", attempt, "budget", budget)
			}
			return resp, err
		}
		t.log.Debug("Discord request failed; retrying", "method", req.Method, "route", route,
			"failure", failure, "attempt", attempt, "wait", wait.Round(time.Millisecond))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return resp, err
		case <-timer.C:
		}
	}
}

// once makes one attempt under the attempt timeout and reads the whole
// body (Discord's answers are small), so that the attempt's context can
// end here and a connection lost mid-body counts as a failed attempt.
func (t *retryTransport) once(ctx context.Context, r *http.Request) (*http.Response, error) {
	actx, cancel := context.WithTimeout(ctx, t.opts.AttemptTimeout)
	defer cancel()
	r = r.WithContext(actx)
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err == nil {
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			return resp, nil
		}
		resp = nil
	}
	if ctx.Err() == nil && actx.Err() != nil {
		err = attemptTimeout{d: t.opts.AttemptTimeout, err: err}
	}
	return nil, err
}

// attemptTimeout is an attempt that ran out of AttemptTimeout while the
// call's own context was still live.
type attemptTimeout struct {
	d   time.Duration
	err error
}

func (e attemptTimeout) Error() string {
	return fmt.Sprintf("attempt timed out after %v: %v", e.d, e.err)
}
func (e attemptTimeout) Unwrap() error { return e.err }

// backoff is the wait before retry n (after attempt n): uniform in
// [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)).
func (t *retryTransport) backoff(attempt int) time.Duration {
	ceil := t.opts.MaxDelay
	if attempt-1 < 30 {
		ceil = min(ceil, t.opts.BaseDelay<<(attempt-1))
	}
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil)
}

// transient says why an attempt failed in a way worth retrying ("" when it
// didn't): an HTTP 500, 502, 503 or 504, or a connection-level error.
func transient(resp *http.Response, err error) string {
	if err != nil {
		if connectionError(err) {
			return errText(err)
		}
		return ""
	}
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return resp.Status
	}
	return ""
}

// connectionError: a dial that failed, a connection reset or closed
// (EOF), an attempt timed out. Not a cancelled or expired context (the
// caller checks that first), nor a certificate or configuration problem,
// which a retry can't fix.
func connectionError(err error) bool {
	var at attemptTimeout
	if errors.As(err, &at) {
		return true
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) ||
		errors.As(err, &invalid) || errors.As(err, &recordErr) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return !dnsErr.IsNotFound || dnsErr.IsTemporary
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ETIMEDOUT) {
		return true
	}
	// net/http's own connection errors are unexported.
	msg := err.Error()
	for _, s := range []string{"server closed idle connection", "transport connection broken", "http2: client connection lost", "http2: server sent GOAWAY", "connection reset"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// retrySafety says whether a request may be repeated without doing twice
// what it asks:
//   - GET, HEAD, PUT, PATCH, DELETE: idempotent (a repeated DELETE may get a
//     404, which callers already treat as done: isUnknown);
//   - POST /users/@me/channels: opening a DM returns the same channel;
//   - POST /interactions/{id}/{token}/callback: Discord takes one answer and
//     refuses the rest with 40060, which RoundTrip turns into success;
//   - POST /webhooks/{app}/{token}: an interaction follow-up; a rare
//     duplicate private message is better than none;
//   - POST /channels/{id}/messages: only with an enforced nonce
//     (hasEnforcedNonce), which Discord de-duplicates for a few minutes.
//
// Every other POST is not retried, POST /guilds/{id}/channels above all: a
// repeated create could make the channel twice (the lifecycle code finds a
// create whose answer was lost by the channel's topic marker).
func retrySafety(req *http.Request) safety {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return retrySafe
	case http.MethodPost:
	default:
		return retryNever
	}
	seg := apiSegments(req.URL.Path)
	switch {
	case len(seg) == 3 && seg[0] == "users" && seg[1] == "@me" && seg[2] == "channels":
		return retrySafe
	case len(seg) == 4 && seg[0] == "interactions" && seg[3] == "callback":
		return retryCallback
	case len(seg) == 3 && seg[0] == "webhooks":
		return retrySafe
	case len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages":
		return retryIfNonce
	}
	return retryNever
}

// hasEnforcedNonce: the message's JSON (the body, or a multipart body's
// payload_json part, which discordgo writes first) has a "nonce" and
// "enforce_nonce": true. It is only asked once an attempt has failed, so
// the body costs nothing to the calls that go through.
func hasEnforcedNonce(req *http.Request) bool {
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	defer body.Close()
	var payload io.Reader = body
	if mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt == "multipart/form-data" {
		part, err := multipart.NewReader(body, params["boundary"]).NextPart()
		if err != nil || part.FormName() != "payload_json" {
			return false
		}
		payload = part
	}
	var m struct {
		Nonce        json.RawMessage `json:"nonce"`
		EnforceNonce bool            `json:"enforce_nonce"`
	}
	if json.NewDecoder(io.LimitReader(payload, 1<<20)).Decode(&m) != nil {
		return false
	}
	n := string(m.Nonce)
	return m.EnforceNonce && n != "" && n != "null" && n != `""`
}

// alreadyAcknowledged: Discord's 400 with code 40060, "Interaction has
// already been acknowledged".
func alreadyAcknowledged(resp *http.Response) bool {
	if resp == nil || resp.StatusCode != http.StatusBadRequest {
		return false
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var e struct {
		Code int `json:"code"`
	}
	return json.Unmarshal(body, &e) == nil && e.Code == discordgo.ErrCodeInteractionHasAlreadyBeenAcknowledged
}

// acknowledged is the 204 No Content the callback that landed would have
// got (with the refusal's rate-limit headers, for discordgo's bucket).
func acknowledged(req *http.Request, refusal *http.Response) *http.Response {
	h := refusal.Header.Clone()
	h.Del("Content-Type")
	h.Del("Content-Length")
	return &http.Response{
		Status: "204 No Content", StatusCode: http.StatusNoContent,
		Proto: refusal.Proto, ProtoMajor: refusal.ProtoMajor, ProtoMinor: refusal.ProtoMinor,
		Header: h, Body: http.NoBody, Request: req,
	}
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

var apiVersionPrefix = regexp.MustCompile(`^(.*?)/api/v\d+`)

// apiSegments are a REST path's segments after /api/vN.
func apiSegments(path string) []string {
	path = apiVersionPrefix.ReplaceAllString(path, "")
	return strings.Split(strings.Trim(path, "/"), "/")
}

var literalSegment = regexp.MustCompile(`^@?[a-z][a-z0-9_-]*$`)

// routeShape is a REST path fit for logs: "/interactions/{id}/{token}/callback",
// "/channels/{id}/messages". IDs and tokens (interaction and webhook tokens
// are in the path, and would let anyone answer in the bot's name) are
// replaced, and so is anything else that isn't a plain word.
func routeShape(path string) string {
	seg := apiSegments(path)
	for i := 0; i < len(seg); i++ {
		switch s := seg[i]; {
		case (s == "interactions" || s == "webhooks") && i+1 < len(seg):
			seg[i+1] = "{id}"
			if i+2 < len(seg) {
				seg[i+2] = "{token}"
			}
			i += 2
		case s != "" && strings.Trim(s, "0123456789") == "":
			seg[i] = "{id}"
		case !literalSegment.MatchString(s):
			seg[i] = "{…}"
		}
	}
	return "/" + strings.Join(seg, "/")
}

// errText is an error from a Discord call fit for logs: net/http puts the
// request's URL in its errors, and an interaction's or webhook's URL holds
// its token; errText shows the route's shape instead.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		shape := "?"
		if u, perr := url.Parse(ue.URL); perr == nil {
			shape = routeShape(u.Path)
		}
		return strings.Replace(err.Error(), ue.Error(), fmt.Sprintf("%s %s: %v", ue.Op, shape, ue.Err), 1)
	}
	return err.Error()
}
