package discordsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
)

// rawEnv is a world driven with plain HTTP under one API version (v9 or
// v10), with the bot's token, on a clock the test moves.
type rawEnv struct {
	*world
	t     *testing.T
	ver   string
	clock *circles.ManualClock
	ics   chan *discordgo.Interaction // interactions the bot was sent, for raw answers
}

// newRawEnv makes the world; with a bot, a plain discordgo session is
// connected that hands every interaction to the test (interact).
func newRawEnv(t *testing.T, ver string, opts Options, withBot bool) *rawEnv {
	t.Helper()
	clock := newManualClock()
	opts.Now = clock.Now
	e := &rawEnv{world: newBotlessWorld(t, opts), t: t, ver: ver, clock: clock, ics: make(chan *discordgo.Interaction, 4)}
	if withBot {
		e.connectBot(t)
		forward := func(_ *discordgo.Session, i *discordgo.InteractionCreate) { e.ics <- i.Interaction }
		e.bot.handle("ping", forward)
		e.bot.handle("raw-btn", forward)
	}
	return e
}

type rawResp struct {
	status int
	hdr    http.Header
	body   []byte
}

// code is the Discord error code of the body, 0 if none.
func (r rawResp) code() int {
	var v struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.Code
}

func (r rawResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// do sends one request to /api/<ver><path>.
func (e *rawEnv) do(method, path string, body any) rawResp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+e.srv.addr+"/api/"+e.ver+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+e.Token())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return rawResp{status: res.StatusCode, hdr: res.Header, body: b}
}

// must sends a request that has to succeed with status.
func (e *rawEnv) must(status int, method, path string, body any) rawResp {
	e.t.Helper()
	r := e.do(method, path, body)
	if r.status != status {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, r.status, r.body, status)
	}
	return r
}

// interact starts a user action (RunCommand, Click…) and returns the
// interaction the bot received, left for the test to answer over raw HTTP,
// and the action's eventual result.
func (e *rawEnv) interact(act func(ctx context.Context) (*Response, error)) (*discordgo.Interaction, <-chan error) {
	e.t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := act(ctx(e.t))
		done <- err
	}()
	select {
	case in := <-e.ics:
		return in, done
	case err := <-done:
		e.t.Fatalf("the interaction ended before the bot saw it: %v", err)
	case <-time.After(10 * time.Second):
		e.t.Fatal("the bot was never sent the interaction")
	}
	return nil, nil
}

func (e *rawEnv) wait(done <-chan error) {
	e.t.Helper()
	if err := <-done; err != nil {
		e.t.Fatal(err)
	}
}

// botMessage posts a message as the bot and returns its id.
func (e *rawEnv) botMessage(body map[string]any) string {
	e.t.Helper()
	var m struct {
		ID string `json:"id"`
	}
	e.must(200, "POST", "/channels/"+e.general+"/messages", body).decode(e.t, &m)
	return m.ID
}

func embedOfSize(n int) map[string]any {
	desc := min(n, 4096)
	return map[string]any{"title": "t", "description": strings.Repeat("d", desc-1), "footer": map[string]any{"text": strings.Repeat("f", n-desc)}}
}

func button(customID string) []any {
	return []any{map[string]any{"type": 1, "components": []any{
		map[string]any{"type": 2, "style": 1, "label": "Go", "custom_id": customID}}}}
}

// TestLimitsAndRoutesRaw pins down, under both API versions, what Discord
// answers — status, error code, headers — where a bot could get it wrong,
// and the routes the simulator serves that nothing else exercises.
func TestLimitsAndRoutesRaw(t *testing.T) {
	t.Parallel()
	type rawCase struct {
		name    string
		opts    Options
		bot     bool // the case needs a connected bot (interactions)
		do      func(t *testing.T, e *rawEnv) rawResp
		status  int
		code    int
		headers map[string]string // exact values
		invalid int               // how many requests of the case count as invalid
		check   func(t *testing.T, e *rawEnv, r rawResp)
	}
	fewGlobal := Options{GlobalLimit: 4}
	exhaustGlobal := func(t *testing.T, e *rawEnv) rawResp {
		for range 10 {
			if r := e.do("GET", "/users/@me", nil); r.status == http.StatusTooManyRequests {
				return r
			}
		}
		t.Fatal("no global 429 after 10 requests")
		return rawResp{}
	}
	cases := []rawCase{
		{
			name: "embeds of 6000 characters are accepted",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"embeds": []any{embedOfSize(6000)}})
			},
			status: 200,
		},
		{
			name: "embeds of 6001 characters are refused",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"embeds": []any{embedOfSize(6000), map[string]any{"title": "x"}}})
			},
			status: 400, code: 50035, invalid: 1,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if !strings.Contains(string(r.body), "MAX_EMBED_SIZE_EXCEEDED") || len(e.Messages(e.general)) != 0 {
					t.Errorf("body %s, %d messages", r.body, len(e.Messages(e.general)))
				}
			},
		},
		{
			name: "a custom_id of 100 characters is accepted",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"content": "x", "components": button(strings.Repeat("c", 100))})
			},
			status: 200,
		},
		{
			name: "a custom_id of 101 characters is refused",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"content": "x", "components": button(strings.Repeat("c", 101))})
			},
			status: 400, code: 50035, invalid: 1,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if !strings.Contains(string(r.body), `"custom_id":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH"`) {
					t.Errorf("body %s", r.body)
				}
			},
		},
		{
			name: "the 501st channel of a guild is refused",
			do: func(t *testing.T, e *rawEnv) rawResp {
				for i := range 498 { // #general is the first
					e.AddChannel(e.guild, discordgo.ChannelTypeGuildText, fmt.Sprint("c", i), "")
				}
				e.must(201, "POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "the-500th"})
				return e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "one-too-many"})
			},
			status: 400, code: 30013, invalid: 1,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if _, ok := e.ChannelByName(e.guild, "one-too-many"); ok || len(e.Channels(e.guild)) != 500 {
					t.Errorf("%d channels", len(e.Channels(e.guild)))
				}
			},
		},
		{
			name: "followups work for 15 minutes, then the token is invalid",
			bot:  true,
			do: func(t *testing.T, e *rawEnv) rawResp {
				in, done := e.interact(func(ctx context.Context) (*Response, error) { return e.RunCommand(ctx, e.member, e.guild, "ping") })
				e.must(204, "POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", map[string]any{"type": 4, "data": map[string]any{"content": "pong"}})
				e.wait(done)
				e.clock.Advance(15*time.Minute - time.Second)
				e.must(200, "POST", "/webhooks/"+e.ApplicationID()+"/"+in.Token+"?wait=true", map[string]any{"content": "in time"})
				e.clock.Advance(2 * time.Second)
				return e.do("POST", "/webhooks/"+e.ApplicationID()+"/"+in.Token, map[string]any{"content": "too late"})
			},
			status: 401, code: 50027, invalid: 1,
		},
		{
			name:   "the global limit answers 429 with Retry-After and retry_after",
			opts:   fewGlobal,
			do:     exhaustGlobal,
			status: 429, invalid: 1,
			headers: map[string]string{"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global", "Retry-After": "1", "X-RateLimit-Reset-After": "1.000"},
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				var body struct {
					RetryAfter *float64 `json:"retry_after"`
					Global     *bool    `json:"global"`
				}
				r.decode(t, &body)
				if body.RetryAfter == nil || *body.RetryAfter != 1 || body.Global == nil || !*body.Global {
					t.Errorf("body %s", r.body)
				}
				if st := e.Stats(); st.RateLimited != 1 {
					t.Errorf("stats %+v", st)
				}
				e.clock.Advance(time.Second) // a new window
				e.must(200, "GET", "/users/@me", nil)
			},
		},
		{
			name: "interaction callbacks pass while the global limit is hit",
			bot:  true,
			opts: fewGlobal,
			do: func(t *testing.T, e *rawEnv) rawResp {
				exhaustGlobal(t, e)
				in, done := e.interact(func(ctx context.Context) (*Response, error) { return e.RunCommand(ctx, e.member, e.guild, "ping") })
				r := e.do("POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", map[string]any{"type": 4, "data": map[string]any{"content": "pong"}})
				e.wait(done)
				return r
			},
			status: 204, invalid: 2, // the 429s before and after
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if r := e.do("GET", "/users/@me", nil); r.status != 429 || r.hdr.Get("X-RateLimit-Global") != "true" {
					t.Errorf("the global limit no longer holds: %d", r.status)
				}
			},
		},
		{
			name: "X-RateLimit headers count per route and major parameter",
			do: func(t *testing.T, e *rawEnv) rawResp {
				first := e.must(200, "GET", "/channels/"+e.general, nil)
				other := e.AddChannel(e.guild, discordgo.ChannelTypeGuildText, "other", "")
				otherCh := e.must(200, "GET", "/channels/"+other, nil)
				me := e.must(200, "GET", "/users/@me", nil)
				if got := first.hdr.Get("X-RateLimit-Remaining"); got != "9" {
					t.Errorf("first request: Remaining %q, want 9", got)
				}
				if got := otherCh.hdr.Get("X-RateLimit-Remaining"); got != "9" {
					t.Errorf("another channel has its own count: Remaining %q, want 9", got)
				}
				if b := first.hdr.Get("X-RateLimit-Bucket"); b == "" || b != otherCh.hdr.Get("X-RateLimit-Bucket") || b == me.hdr.Get("X-RateLimit-Bucket") {
					t.Errorf("buckets: channel %q, other channel %q, /users/@me %q", b, otherCh.hdr.Get("X-RateLimit-Bucket"), me.hdr.Get("X-RateLimit-Bucket"))
				}
				return e.do("GET", "/channels/"+e.general, nil)
			},
			status: 200,
			headers: map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "8", "X-RateLimit-Reset-After": "1.000",
				"X-RateLimit-Reset": strconv.FormatFloat(float64(newManualClock().Now().Add(time.Second).UnixMilli())/1000, 'f', 3, 64)},
		},
		{
			name: "SetFailureRate(1) fails every request with a 500",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.SetFailureRate(1)
				return e.do("GET", "/users/@me", nil)
			},
			status: 500,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if st := e.Stats(); st.ServerErrors != 1 {
					t.Errorf("stats %+v", st)
				}
				e.SetFailureRate(0)
				e.must(200, "GET", "/users/@me", nil)
			},
		},
		{
			name: "a wrong method is a 405 and an invalid request",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("DELETE", "/gateway/bot", nil)
			},
			status: 405, invalid: 1,
		},
		{
			name: "an embed-only message without Embed Links is refused as empty",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.SetRolePermissions(e.guild, e.guild, EveryonePermissions&^discordgo.PermissionEmbedLinks)
				e.SetRolePermissions(e.guild, e.BotRoleID(e.guild), BotPermissions&^discordgo.PermissionEmbedLinks)
				return e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"embeds": []any{map[string]any{"title": "Guidelines"}}})
			},
			status: 400, code: 50006, invalid: 1,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				e.must(200, "POST", "/channels/"+e.general+"/messages", map[string]any{"content": "text", "embeds": []any{map[string]any{"title": "Guidelines"}}})
				if ms := e.Messages(e.general); len(ms) != 1 || len(ms[0].Embeds) != 0 {
					t.Errorf("messages %+v: the embed must be dropped", ms)
				}
			},
		},
		{
			name: "PATCH channel renames and sets the topic",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("PATCH", "/channels/"+e.general, map[string]any{"name": "Circle Room", "topic": "be kind"})
			},
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if ch, _ := e.Channel(e.general); ch.Name != "circle-room" || ch.Topic != "be kind" {
					t.Errorf("channel %+v", ch)
				}
			},
		},
		{
			name: "DELETE overwrite removes it",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.must(204, "PUT", "/channels/"+e.general+"/permissions/"+e.member, map[string]any{"type": 1, "allow": "0", "deny": "1024"})
				if e.CanView(e.member, e.general) {
					t.Fatal("the overwrite did not apply")
				}
				return e.do("DELETE", "/channels/"+e.general+"/permissions/"+e.member, nil)
			},
			status: 204,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if ch, _ := e.Channel(e.general); len(ch.Overwrites) != 0 || !e.CanView(e.member, e.general) {
					t.Errorf("overwrites %+v", ch.Overwrites)
				}
			},
		},
		{
			name: "a message is edited",
			do: func(t *testing.T, e *rawEnv) rawResp {
				id := e.botMessage(map[string]any{"content": "draft"})
				return e.do("PATCH", "/channels/"+e.general+"/messages/"+id, map[string]any{"content": "final"})
			},
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if ms := e.Messages(e.general); len(ms) != 1 || ms[0].Content != "final" {
					t.Errorf("messages %+v", ms)
				}
			},
		},
		{
			name: "a message is deleted",
			do: func(t *testing.T, e *rawEnv) rawResp {
				id := e.botMessage(map[string]any{"content": "oops"})
				return e.do("DELETE", "/channels/"+e.general+"/messages/"+id, nil)
			},
			status: 204,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if ms := e.Messages(e.general); len(ms) != 0 {
					t.Errorf("messages %+v", ms)
				}
			},
		},
		{
			name:   "roles are read with the bot's permissions",
			do:     func(t *testing.T, e *rawEnv) rawResp { return e.do("GET", "/guilds/"+e.guild+"/roles", nil) },
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				var roles []struct {
					ID          string `json:"id"`
					Permissions string `json:"permissions"`
					Managed     bool   `json:"managed"`
				}
				r.decode(t, &roles)
				i := slices.IndexFunc(roles, func(x struct {
					ID          string `json:"id"`
					Permissions string `json:"permissions"`
					Managed     bool   `json:"managed"`
				}) bool {
					return x.ID == e.BotRoleID(e.guild)
				})
				if len(roles) != 2 || roles[0].ID != e.guild || i < 0 || !roles[i].Managed || roles[i].Permissions != strconv.FormatInt(BotPermissions, 10) {
					t.Errorf("roles %s", r.body)
				}
			},
		},
		{
			name: "members are read one by one and listed",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("GET", "/guilds/"+e.guild+"/members/"+e.member, nil)
			},
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				var m struct {
					User struct {
						ID string `json:"id"`
					} `json:"user"`
				}
				r.decode(t, &m)
				var all []json.RawMessage
				e.must(200, "GET", "/guilds/"+e.guild+"/members?limit=1000", nil).decode(t, &all)
				if m.User.ID != e.member || len(all) != 3 { // the bot, the owner, the member
					t.Errorf("member %s; %d listed", r.body, len(all))
				}
				if r := e.do("GET", "/guilds/"+e.guild+"/members/"+e.AddUser("stranger"), nil); r.code() != 10007 {
					t.Errorf("a non-member: %d %s", r.status, r.body)
				}
			},
			invalid: 1, // the stranger
		},
		{
			name:   "GET /applications/@me names the application and its bot",
			do:     func(t *testing.T, e *rawEnv) rawResp { return e.do("GET", "/applications/@me", nil) },
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				var app struct {
					ID  string `json:"id"`
					Bot struct {
						ID string `json:"id"`
					} `json:"bot"`
				}
				r.decode(t, &app)
				if app.ID != e.ApplicationID() || app.Bot.ID != e.BotUserID() {
					t.Errorf("application %s", r.body)
				}
			},
		},
		{
			name: "a deferred update (type 6) keeps the message until @original is edited",
			bot:  true,
			do: func(t *testing.T, e *rawEnv) rawResp {
				msg := e.botMessage(map[string]any{"content": "pick one", "components": button("raw-btn")})
				var res *Response
				in, done := e.interact(func(ctx context.Context) (r *Response, err error) {
					res, err = e.Click(ctx, e.member, e.general, msg, "raw-btn")
					return res, err
				})
				e.must(204, "POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", map[string]any{"type": 6})
				if m, _ := e.Message(msg); m.Content != "pick one" {
					t.Errorf("a deferred update changed the message: %q", m.Content)
				}
				r := e.do("PATCH", "/webhooks/"+e.ApplicationID()+"/"+in.Token+"/messages/@original", map[string]any{"content": "picked"})
				e.wait(done)
				if res.Type != 6 || res.MessageID != msg || res.Content != "picked" {
					t.Errorf("response %+v", res)
				}
				return r
			},
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if ms := e.Messages(e.general); len(ms) != 1 || ms[0].Content != "picked" {
					t.Errorf("messages %+v: the clicked message must be the one updated", ms)
				}
			},
		},
		{
			name: "@original is edited after a type 4 answer",
			bot:  true,
			do: func(t *testing.T, e *rawEnv) rawResp {
				in, done := e.interact(func(ctx context.Context) (*Response, error) { return e.RunCommand(ctx, e.member, e.guild, "ping") })
				e.must(204, "POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", map[string]any{"type": 4, "data": map[string]any{"content": "first", "flags": 64}})
				e.wait(done)
				return e.do("PATCH", "/webhooks/"+e.ApplicationID()+"/"+in.Token+"/messages/@original", map[string]any{"content": "second"})
			},
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				var m struct {
					ID      string `json:"id"`
					Content string `json:"content"`
				}
				r.decode(t, &m)
				got, _ := e.Message(m.ID)
				if m.Content != "second" || got.Content != "second" || !got.Ephemeral {
					t.Errorf("edited %s; stored %+v", r.body, got)
				}
			},
		},
	}
	for _, ver := range []string{"v9", "v10"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					e := newRawEnv(t, ver, tc.opts, tc.bot)
					before := e.Stats()
					r := tc.do(t, e)
					if r.status != tc.status || r.code() != tc.code {
						t.Fatalf("got %d code %d (%s), want %d code %d", r.status, r.code(), r.body, tc.status, tc.code)
					}
					for k, v := range tc.headers {
						if got := r.hdr.Get(k); got != v {
							t.Errorf("header %s = %q, want %q", k, got, v)
						}
					}
					if tc.check != nil {
						tc.check(t, e, r)
					}
					if got := e.Stats().Invalid - before.Invalid; got != tc.invalid {
						t.Errorf("Stats().Invalid grew by %d, want %d", got, tc.invalid)
					}
				})
			}
		})
	}
}
