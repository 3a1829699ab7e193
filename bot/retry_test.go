package bot_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// The REST retries (bot/retry.go), tested through the real discordgo
// session against the simulator. Attempts are counted in what the
// simulator saw (Requests), never timed.

// fastRetries makes backoff waits a few milliseconds.
func fastRetries(o *bot.Options, _ *discordsim.Options) {
	o.Retry.BaseDelay = time.Millisecond
	o.Retry.MaxDelay = 4 * time.Millisecond
}

// newRetryHarness is a harness with fast retries whose bot has made its
// own first calls (the welcome DM to the owner), so that a fault the test
// injects is met by the test's call.
func newRetryHarness(t *testing.T, options ...harnessOption) *harness {
	t.Helper()
	h := newHarness(t, append([]harnessOption{fastRetries}, options...)...)
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(h.admin)) > 0 }); err != nil {
		t.Fatal(err)
	}
	return h
}

// statuses are the statuses of the REST calls since mark (an index in
// Requests) with this method and path (without /api/vN).
func (h *harness) statuses(mark int, method, path string) []int {
	var out []int
	for _, r := range h.sim.Requests()[mark:] {
		if r.Method == method && r.Path == path {
			out = append(out, r.Status)
		}
	}
	return out
}

func (h *harness) mark() int { return len(h.sim.Requests()) }

func wantStatuses(t *testing.T, what string, got []int, want ...int) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: attempts %v, want %v", what, got, want)
	}
}

func restStatus(err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Response != nil {
		return rest.Response.StatusCode
	}
	return 0
}

func TestRetryTransientFailures(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	dg := h.bot.Session()
	for _, status := range []int{500, 502, 503, 504} {
		mark := h.mark()
		h.sim.FailNext(2, status)
		if _, err := dg.Channel(h.category, discordgo.WithContext(h.ctx)); err != nil {
			t.Fatalf("GET after two %ds: %v", status, err)
		}
		// 502 too: discordgo's own 502 retries are off, or it would
		// multiply the transport's.
		wantStatuses(t, "GET channel", h.statuses(mark, "GET", "/channels/"+h.category), status, status, 200)
	}

	// Opening a DM returns the same channel, so it is retried.
	mark := h.mark()
	h.sim.FailNext(1, 503)
	if _, err := dg.UserChannelCreate(h.members[0]); err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, "open DM", h.statuses(mark, "POST", "/users/@me/channels"), 503, 200)

	// So are edits and deletes.
	mark = h.mark()
	h.sim.FailNext(1, 500)
	name := "renamed"
	if _, err := dg.ChannelEditComplex(h.category, &discordgo.ChannelEdit{Name: name}); err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, "PATCH channel", h.statuses(mark, "PATCH", "/channels/"+h.category), 500, 200)
}

func TestRetryNeverOnClientErrors(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	dg := h.bot.Session()
	for _, status := range []int{400, 403, 404} {
		mark := h.mark()
		h.sim.FailNext(1, status)
		_, err := dg.Channel(h.category, discordgo.WithContext(h.ctx))
		if restStatus(err) != status {
			t.Fatalf("after a %d: err %v", status, err)
		}
		wantStatuses(t, "GET channel", h.statuses(mark, "GET", "/channels/"+h.category), status)
	}
}

// A 429 is discordgo's to handle (its buckets honour retry_after): the
// transport passes it through.
func TestRetryLeaves429ToDiscordgo(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	dg := h.bot.Session()

	mark := h.mark()
	h.sim.Force429(1, 20*time.Millisecond)
	_, err := dg.Channel(h.category, discordgo.WithRetryOnRatelimit(false))
	var rl *discordgo.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err %v, want discordgo's RateLimitError", err)
	}
	wantStatuses(t, "GET channel", h.statuses(mark, "GET", "/channels/"+h.category), 429)

	mark = h.mark()
	h.sim.Force429(1, 20*time.Millisecond)
	if _, err := dg.Channel(h.category); err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, "GET channel, discordgo retrying", h.statuses(mark, "GET", "/channels/"+h.category), 429, 200)
}

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	dg := h.bot.Session()
	h.sim.SetFailureRate(1) // every call fails
	defer h.sim.SetFailureRate(0)

	// No budget: one attempt.
	mark := h.mark()
	_, err := dg.Channel(h.category, discordgo.WithContext(bot.WithRetryBudget(h.ctx, 0)))
	if restStatus(err) != 500 {
		t.Fatalf("err %v, want the 500", err)
	}
	wantStatuses(t, "no budget", h.statuses(mark, "GET", "/channels/"+h.category), 500)

	// A short budget: retries, then the last 500 as it came. (A second
	// leaves room for a first attempt slowed by load; the waits between
	// attempts are a few milliseconds.)
	mark = h.mark()
	_, err = dg.Channel(h.category, discordgo.WithContext(bot.WithRetryBudget(h.ctx, time.Second)))
	if restStatus(err) != 500 {
		t.Fatalf("err %v, want the last 500", err)
	}
	if n := len(h.statuses(mark, "GET", "/channels/"+h.category)); n < 2 {
		t.Fatalf("%d attempts within the budget, want retries", n)
	}

	// A context deadline sooner than the budget ends the retries too.
	ctx, cancel := context.WithTimeout(bot.WithRetryBudget(h.ctx, time.Hour), 300*time.Millisecond)
	defer cancel()
	_, err = dg.Channel(h.category, discordgo.WithContext(ctx))
	if restStatus(err) != 500 && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the last 500 or the deadline", err)
	}

	// A cancelled context sends nothing.
	ctx, cancel = context.WithCancel(h.ctx)
	cancel()
	mark = h.mark()
	if _, err = dg.Channel(h.category, discordgo.WithContext(ctx)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	wantStatuses(t, "cancelled", h.statuses(mark, "GET", "/channels/"+h.category))
}

// A message is retried only with an enforced nonce (Discord de-duplicates
// those); without one a retry could post it twice.
func TestRetryMessagesOnlyWithEnforcedNonce(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	dg := h.bot.Session()
	general := h.sim.GeneralChannelID(h.guild)
	path := "/channels/" + general + "/messages"
	posted := func(content string) int {
		n := 0
		for _, m := range h.sim.Messages(general) {
			if m.Content == content {
				n++
			}
		}
		return n
	}

	mark := h.mark()
	h.sim.FailNext(1, 500)
	if _, err := dg.ChannelMessageSend(general, "plain"); restStatus(err) != 500 {
		t.Fatalf("err %v, want the 500", err)
	}
	wantStatuses(t, "no nonce", h.statuses(mark, "POST", path), 500)

	mark = h.mark()
	h.sim.FailNext(1, 502)
	endpoint := discordgo.EndpointChannelMessages(general)
	body := map[string]any{"content": "nonce, not enforced", "nonce": "n-0"}
	if _, err := dg.RequestWithBucketID("POST", endpoint, body, endpoint); err == nil {
		t.Fatal("a message with a nonce Discord doesn't enforce was retried")
	}
	wantStatuses(t, "nonce without enforce_nonce", h.statuses(mark, "POST", path), 502)

	mark = h.mark()
	h.sim.FailNext(2, 500)
	m, err := bot.ChannelMessageSendOnce(dg, general, "n-1", &discordgo.MessageSend{Content: "once"})
	if err != nil || m.ID == "" {
		t.Fatalf("message with an enforced nonce: %+v %v", m, err)
	}
	wantStatuses(t, "enforced nonce", h.statuses(mark, "POST", path), 500, 500, 200)
	if last := h.sim.Requests()[len(h.sim.Requests())-1]; !bytes.Contains(last.Body, []byte(`"nonce":"n-1","enforce_nonce":true`)) {
		t.Fatalf("body %s", last.Body)
	}
	if n := posted("once"); n != 1 {
		t.Fatalf("posted %d times", n)
	}

	// With a file the JSON is the multipart body's payload_json.
	mark = h.mark()
	h.sim.FailNext(1, 503)
	_, err = bot.ChannelMessageSendOnce(dg, general, "n-2", &discordgo.MessageSend{Content: "with a file",
		Files: []*discordgo.File{{Name: "notes.txt", ContentType: "text/plain", Reader: strings.NewReader(`"nonce":"x","enforce_nonce":true`)}}})
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses(t, "enforced nonce, multipart", h.statuses(mark, "POST", path), 503, 200)

	if _, err := bot.ChannelMessageSendOnce(dg, general, strings.Repeat("n", 26), &discordgo.MessageSend{Content: "x"}); err == nil {
		t.Fatal("a nonce over 25 characters was sent")
	}
}

// A retried create could make a channel twice: never retried.
func TestRetryNeverCreatesChannelsTwice(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	dg := h.bot.Session()
	for _, status := range []int{500, 502, 503} {
		mark := h.mark()
		h.sim.FailNext(1, status)
		if _, err := dg.GuildChannelCreate(h.guild, "never-twice", discordgo.ChannelTypeGuildText); err == nil {
			t.Fatalf("create after a %d succeeded", status)
		}
		wantStatuses(t, "POST guild channels", h.statuses(mark, "POST", "/guilds/"+h.guild+"/channels"), status)
	}
	if _, ok := h.sim.ChannelByName(h.guild, "never-twice"); ok {
		t.Fatal("a channel was created")
	}
}

// faultsUnder sits below the retry transport (and the global limiter), so
// the transport sees its faults. A request whose X-Test-Fault header lists
// faults ("reset,hang") gets them on its first attempts, counted by its
// X-Test-Call header; rule, when set, picks faults for the others.
type faultsUnder struct {
	next     http.RoundTripper
	mu       sync.Mutex
	attempts map[string]int
	cancel   map[string]context.CancelFunc
	rule     func(r *http.Request) string
}

// underRetries restarts the bot with faultsUnder below its retries, and
// its log (debug and up) kept in the returned buffer.
func (h *harness) underRetries() (*faultsUnder, *lockedBuffer) {
	h.t.Helper()
	f := &faultsUnder{attempts: map[string]int{}, cancel: map[string]context.CancelFunc{}}
	logs := &lockedBuffer{}
	var w io.Writer = logs
	if os.Getenv("CIRCLEBOT_TEST_LOG") != "" {
		w = io.MultiWriter(logs, os.Stderr)
	}
	h.opts.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.transport = func(rt http.RoundTripper) http.RoundTripper {
		return bot.UnderRetries(rt, func(next http.RoundTripper) http.RoundTripper { f.next = next; return f })
	}
	h.restart()
	return f, logs
}

func (f *faultsUnder) setRule(rule func(r *http.Request) string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rule = rule
}

func (f *faultsUnder) attemptsOf(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[call]
}

func (f *faultsUnder) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fault := ""
	call := r.Header.Get("X-Test-Call")
	if plan := r.Header.Get("X-Test-Fault"); plan != "" {
		if n, faults := f.attempts[call], strings.Split(plan, ","); n < len(faults) {
			fault = faults[n]
		}
		f.attempts[call]++
	} else if f.rule != nil {
		fault = f.rule(r)
	}
	cancel := f.cancel[call]
	f.mu.Unlock()

	opErr := func(op string, errno syscall.Errno) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
	}
	switch fault {
	case "reset":
		return nil, opErr("read", syscall.ECONNRESET)
	case "refused":
		return nil, opErr("dial", syscall.ECONNREFUSED)
	case "eof":
		return nil, io.ErrUnexpectedEOF
	case "hang": // until the attempt times out
		<-r.Context().Done()
		return nil, r.Context().Err()
	case "x509":
		return nil, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	case "cancel": // the caller gives up while the attempt is under way
		cancel()
		return nil, opErr("read", syscall.ECONNRESET)
	case "lost": // reaches Discord, but the answer is lost on the way back
		resp, err := f.next.RoundTrip(r)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		return injected500(r), nil
	case "unknown-webhook":
		body := `{"message": "Unknown Webhook", "code": 10015}`
		return &http.Response{StatusCode: 404, Status: "404 Not Found", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": []string{"application/json"}},
			Body:   io.NopCloser(strings.NewReader(body)), Request: r, ContentLength: int64(len(body))}, nil
	}
	return f.next.RoundTrip(r)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRetryConnectionErrors(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t, func(o *bot.Options, _ *discordsim.Options) { o.Retry.AttemptTimeout = 500 * time.Millisecond })
	f, logs := h.underRetries()
	dg := h.bot.Session()
	faults := func(call, plan string) []discordgo.RequestOption {
		return []discordgo.RequestOption{discordgo.WithHeader("X-Test-Call", call), discordgo.WithHeader("X-Test-Fault", plan)}
	}

	// A reset, a refused dial, a connection closed mid-answer and an
	// attempt that timed out: each retried, then the call goes through.
	mark := h.mark()
	if _, err := dg.Channel(h.category, faults("a", "reset,refused,eof,hang")...); err != nil {
		t.Fatal(err)
	}
	if n := f.attemptsOf("a"); n != 5 {
		t.Fatalf("%d attempts, want 5", n)
	}
	wantStatuses(t, "reached Discord", h.statuses(mark, "GET", "/channels/"+h.category), 200)
	wantContains(t, logs.String(), "Discord request failed; retrying", "route=/channels/{id}", "attempt=4")

	// A certificate Discord's doesn't match is no transient failure.
	if _, err := dg.Channel(h.category, faults("b", "x509")...); err == nil || f.attemptsOf("b") != 1 {
		t.Fatalf("certificate error: %v after %d attempts, want one failed attempt", err, f.attemptsOf("b"))
	}

	// Nor is a POST that isn't safe to repeat retried, whatever happened.
	if _, err := dg.GuildChannelCreate(h.guild, "never-twice", discordgo.ChannelTypeGuildText, faults("c", "reset")...); err == nil || f.attemptsOf("c") != 1 {
		t.Fatalf("channel create: %v after %d attempts, want one failed attempt", err, f.attemptsOf("c"))
	}

	// The caller gave up: no retry.
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	f.mu.Lock()
	f.cancel["d"] = cancel
	f.mu.Unlock()
	if _, err := dg.Channel(h.category, append(faults("d", "cancel"), discordgo.WithContext(ctx))...); err == nil || f.attemptsOf("d") != 1 {
		t.Fatalf("cancelled: %v after %d attempts, want one failed attempt", err, f.attemptsOf("d"))
	}
}

// A callback whose answer was lost had reached Discord: its retry is
// refused with 40060, which the transport turns into the success it was.
func TestRetriedCallbackAlreadyAcknowledged(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	f, logs := h.underRetries()
	loseFirstCallback := func() {
		lost := false
		f.setRule(func(r *http.Request) string {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/callback") && !lost {
				lost = true
				return "lost"
			}
			return ""
		})
	}
	callbacks := func(mark int, interactionID string) (statuses []int, token string) {
		for _, r := range h.sim.Requests()[mark:] {
			if strings.HasPrefix(r.Path, "/interactions/"+interactionID+"/") {
				statuses = append(statuses, r.Status)
				token = strings.Split(r.Path, "/")[3]
			}
		}
		return statuses, token
	}

	// The answer.
	loseFirstCallback()
	mark := h.mark()
	r := h.run(h.members[0], "helpnow")
	if r.Type != 4 || r.Content == "" {
		t.Fatalf("answer %+v", r)
	}
	// The user has the answer once the first attempt landed; the retry
	// comes after.
	if err := h.sim.WaitFor(h.ctx, func() bool { got, _ := callbacks(mark, r.InteractionID); return len(got) == 2 }); err != nil {
		t.Fatal(err)
	}
	got, token := callbacks(mark, r.InteractionID)
	wantStatuses(t, "callbacks", got, 204, 400)

	// The deferral of a slow command, then its answer edited in.
	loseFirstCallback()
	mark = h.mark()
	r = h.run(h.fac, "circle open", discordsim.O("circle", circlePick(h.circle("Grief circle"))))
	if r.Type != 5 || !strings.Contains(r.Content, "<#") {
		t.Fatalf("answer %+v", r)
	}
	got, _ = callbacks(mark, r.InteractionID)
	wantStatuses(t, "callbacks", got, 204, 400)

	l := logs.String()
	wantContains(t, l, "an earlier attempt had landed; reporting success", "route=/interactions/{id}/{token}/callback")
	for _, bad := range []string{"could not answer interaction", "could not defer", "deferred answer not delivered", token} {
		if strings.Contains(l, bad) {
			t.Fatalf("log has %q:\n%s", bad, l)
		}
	}
}

// A deferred answer that can't be delivered is logged as such, without the
// interaction's token.
func TestDeferredAnswerNotDeliveredIsLogged(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t, func(_ *bot.Options, s *discordsim.Options) { s.DeferredWait = 300 * time.Millisecond })
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	f, logs := h.underRetries()
	f.setRule(func(r *http.Request) string {
		if strings.HasPrefix(r.URL.Path, "/api/v9/webhooks/") || strings.Contains(r.URL.Path, "/webhooks/") {
			return "unknown-webhook"
		}
		return ""
	})
	_, err := h.sim.RunCommand(h.ctx, h.fac, h.guild, "circle open", discordsim.O("circle", circlePick(h.circle("Grief circle"))))
	if err == nil {
		t.Fatal("the answer arrived although every edit failed")
	}
	if err := h.sim.WaitFor(h.ctx, func() bool {
		return strings.Contains(logs.String(), `deferred answer not delivered: the user is left with \"thinking…\"`)
	}); err != nil {
		t.Fatalf("%v; log:\n%s", err, logs.String())
	}
	for _, r := range h.sim.Requests() {
		if strings.HasPrefix(r.Path, "/interactions/") {
			if token := strings.Split(r.Path, "/")[3]; strings.Contains(logs.String(), token) {
				t.Fatal("the interaction token is in the log")
			}
		}
	}
}

// The user report: with one REST call in five failing, members' commands
// and clicks must still answer, and say what was done.
func TestTransientFailuresDontReachMembers(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	grief := h.circle("Grief circle")

	h.sim.SetFailureRate(0.2)
	before := h.sim.Stats().ServerErrors
	for _, m := range h.members[:6] {
		wantContains(t, responseText(h.run(m, "circles")), "Grief circle")
		r := h.memberJoin(m, grief, circles.ModeMember)
		wantContains(t, r.Content, "Welcome to **Grief circle**")
		if st := h.memberStatus(grief, m); st.Status != circles.StatusActive {
			t.Fatalf("membership %+v", st)
		}
	}
	for _, m := range h.members[:3] {
		r := h.clickOn(m, h.run(m, "privacy delete"), "privacy-delete", "guild")
		wantContains(t, r.Content, "erased 1 membership")
		if st := h.memberStatus(grief, m); st.Status != "" {
			t.Fatalf("membership after erasure %+v", st)
		}
	}
	// A facilitator opening a session always gets an answer (what the
	// session's own calls make of the failures is the lifecycle's).
	r := h.run(h.fac, "circle open", discordsim.O("circle", circlePick(grief)))
	if r.Content == "" {
		t.Fatalf("/circle open left without an answer: %+v", r)
	}
	h.sim.SetFailureRate(0)
	if h.sim.Stats().ServerErrors == before {
		t.Fatal("no failures were injected")
	}
}

// An answer whose callback keeps failing is retried for as long as
// Discord's 3 s allow, not just for a second: here the first attempts of
// the callback hang for 1.2 s in all, and the click still gets its answer.
// Without it the person would read "This interaction failed" about an
// erasure that was done.
func TestCallbackRetriedWhileDiscordWaits(t *testing.T) {
	t.Parallel()
	h := newRetryHarness(t, func(o *bot.Options, _ *discordsim.Options) { o.Retry.AttemptTimeout = 400 * time.Millisecond })
	f, logs := h.underRetries()
	h.facSetup()
	c := h.memberCircle("Grief circle", 4, true)
	m := h.members[0]
	h.memberJoin(m, c, circles.ModeMember)
	screen := h.run(m, "privacy delete")

	hung := 0
	f.setRule(func(r *http.Request) string {
		if strings.HasSuffix(r.URL.Path, "/callback") && hung < 3 {
			hung++
			return "hang"
		}
		return ""
	})
	r := h.clickOn(m, screen, "privacy-delete", "guild")
	wantContains(t, r.Content, "🗑️ Done. I erased 1 membership")
	if st := h.memberStatus(c, m); st.Status != "" {
		t.Fatalf("membership after erasure %+v", st)
	}
	if err := h.sim.WaitFor(h.ctx, func() bool {
		return strings.Contains(logs.String(), `msg="Discord request succeeded after retrying" method=POST route=/interactions/{id}/{token}/callback status=204 attempts=4`)
	}); err != nil {
		t.Fatalf("%v; log:\n%s", err, logs.String())
	}
}
