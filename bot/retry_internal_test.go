package bot

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// For the transport's tests in package bot_test (retry_test.go).

// WithRetryBudget is withRetryBudget.
func WithRetryBudget(ctx context.Context, d time.Duration) context.Context {
	return withRetryBudget(ctx, d)
}

// ChannelMessageSendOnce is channelMessageSendOnce.
var ChannelMessageSendOnce = channelMessageSendOnce

// UnderRetries wraps what a bot's retry transport sends each attempt to,
// below the global limiter: a fault there is one the transport sees. rt is
// the bot's Session().Client.Transport before the bot starts (the harness's
// transport hook).
func UnderRetries(rt http.RoundTripper, wrap func(http.RoundTripper) http.RoundTripper) http.RoundTripper {
	gl := rt.(*retryTransport).next.(*globalLimiter)
	gl.next = wrap(gl.next)
	return rt
}

func TestRouteShape(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v9/channels/123456789012345678/messages":                    "/channels/{id}/messages",
		"/api/v10/interactions/111/aW50ZXJhY3Rpb246MTIz.secret/callback":  "/interactions/{id}/{token}/callback",
		"/api/v9/webhooks/222/tok-EN_value/messages/@original":            "/webhooks/{id}/{token}/messages/@original",
		"/api/v9/webhooks/222/tokENvalue":                                 "/webhooks/{id}/{token}",
		"/api/v9/users/@me/channels":                                      "/users/@me/channels",
		"/api/v9/guilds/1/members/2":                                      "/guilds/{id}/members/{id}",
		"/proxy/api/v9/channels/5/pins/6":                                 "/channels/{id}/pins/{id}",
		"/api/v9/channels/5/messages/6/reactions/%F0%9F%91%8D/@me":        "/channels/{id}/messages/{id}/reactions/{…}/@me",
		"/api/v9/applications/77/guilds/88/commands":                      "/applications/{id}/guilds/{id}/commands",
		"/api/v9/channels/5/Mixed.Case-Thing":                             "/channels/{id}/{…}",
		"/api/v10/interactions/111/aW50ZXJhY3Rpb246MTIz.secret/callback/": "/interactions/{id}/{token}/callback",
	} {
		if got := routeShape(path); got != want {
			t.Errorf("routeShape(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestRetrySafety(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         safety
	}{
		{"GET", "/api/v9/channels/1", retrySafe},
		{"HEAD", "/api/v9/channels/1", retrySafe},
		{"PUT", "/api/v9/channels/1/permissions/2", retrySafe},
		{"PATCH", "/api/v9/webhooks/1/tok/messages/@original", retrySafe},
		{"DELETE", "/api/v9/channels/1", retrySafe},
		{"POST", "/api/v9/users/@me/channels", retrySafe},
		{"POST", "/api/v9/webhooks/1/tok", retrySafe},
		{"POST", "/api/v9/interactions/1/tok/callback", retryCallback},
		{"POST", "/api/v9/channels/1/messages", retryIfNonce},
		{"POST", "/api/v9/guilds/1/channels", retryNever},
		{"POST", "/api/v9/channels/1/messages/2/crosspost", retryNever},
		{"POST", "/api/v9/channels/1/messages/bulk-delete", retryNever},
		{"POST", "/api/v9/guilds/1/roles", retryNever},
	} {
		req, _ := http.NewRequest(c.method, "http://sim"+c.path, nil)
		if got := retrySafety(req); got != c.want {
			t.Errorf("%s %s: safety %d, want %d", c.method, c.path, got, c.want)
		}
	}
}

// errText keeps a token in a URL out of the logs.
func TestErrTextHidesTokens(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://discord.com/api/v9/interactions/1/SECRET-token/callback", Err: errors.New("connection reset by peer")}
	got := errText(err)
	if strings.Contains(got, "SECRET") || !strings.Contains(got, "/interactions/{id}/{token}/callback") || !strings.Contains(got, "connection reset") {
		t.Fatalf("errText = %q", got)
	}
}

// The backoff's cap doubles from BaseDelay to MaxDelay; no wait reaches it.
func TestBackoffIsCapped(t *testing.T) {
	rt := newRetryTransport(nil, RetryOptions{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}, nil)
	for attempt := 1; attempt < 100; attempt++ {
		ceil := min(50*time.Millisecond, 10*time.Millisecond<<min(attempt-1, 20))
		for range 20 {
			if w := rt.backoff(attempt); w < 0 || w >= ceil {
				t.Fatalf("attempt %d: wait %v, want in [0, %v)", attempt, w, ceil)
			}
		}
	}
}
