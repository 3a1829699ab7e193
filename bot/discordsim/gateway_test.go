package discordsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/circlebot/circlebot/bot/discordurl"
)

// openSession opens a real discordgo session with the given intents and
// returns Open's error, closing the session if it opened. gatewayURL, if
// set, is what GET /gateway tells the client.
func openSession(t *testing.T, s *Sim, intents discordgo.Intent, gatewayURL string) error {
	t.Helper()
	dg, err := discordgo.New("Bot " + s.Token())
	if err != nil {
		t.Fatal(err)
	}
	dg.LogLevel = -1
	dg.Identify.Intents = intents
	if gatewayURL != "" {
		if err := discordurl.Configure(dg, "", gatewayURL); err != nil {
			t.Fatal(err)
		}
	}
	err = dg.Open()
	if err == nil {
		_ = dg.Close()
	}
	return err
}

// closeCode is the gateway close code in err, 0 if it is not a close.
func closeCode(err error) (int, string) {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Text
	}
	return 0, ""
}

// TestGatewayCloseCodes: what Discord closes an IDENTIFY or a connection
// over, through a real discordgo session, whose Open returns the close.
func TestGatewayCloseCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		setup   func(w *world) string // returns a gateway URL override, or ""
		intents discordgo.Intent
		code    int
		reason  string
	}{
		{"a bad token: 4004", func(w *world) string { w.Close(); return "" },
			discordgo.IntentsGuilds, 4004, "Authentication failed."},
		{"GUILD_MEMBERS not enabled: 4014", func(w *world) string {
			w.SetPrivilegedIntentsEnabled(false, true, true)
			return ""
		}, discordgo.IntentsGuilds | discordgo.IntentsGuildMembers, 4014, "Disallowed intent(s)."},
		{"MESSAGE_CONTENT not enabled: 4014", func(w *world) string {
			w.SetPrivilegedIntentsEnabled(true, true, false)
			return ""
		}, discordgo.IntentsGuilds | discordgo.IntentsMessageContent, 4014, "Disallowed intent(s)."},
		{"GUILD_PRESENCES not enabled: 4014", func(w *world) string {
			w.SetPrivilegedIntentsEnabled(true, false, true)
			return ""
		}, discordgo.IntentsAll, 4014, "Disallowed intent(s)."},
		{"an intent Discord does not define: 4013", func(w *world) string { return "" },
			discordgo.IntentsGuilds | 1<<30, 4013, "Invalid intent(s)."},
		{"API version 8: 4012", func(w *world) string { return w.GatewayURL() + "?v=8&x=" },
			discordgo.IntentsGuilds, 4012, "Invalid API version."},
		{"no API version: 4012", func(w *world) string { return w.GatewayURL() + "?encoding=json&x=" },
			discordgo.IntentsGuilds, 4012, "Invalid API version."},
		{"2,500 guilds unsharded: 4011", func(w *world) string {
			for i := range maxGuildsPerShard - 1 { // the world has one
				w.AddGuild(fmt.Sprint("g", i), w.owner)
			}
			return ""
		}, discordgo.IntentsGuilds, 4011, "Sharding required."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newBotlessWorld(t, Options{})
			err := openSession(t, w.Sim, tc.intents, tc.setup(w))
			if code, reason := closeCode(err); code != tc.code || reason != tc.reason {
				t.Fatalf("Open: %v (close %d %q), want close %d %q", err, code, reason, tc.code, tc.reason)
			}
			if st := w.GatewayStats(); st.Identifies != 0 || st.Sessions != 0 {
				t.Errorf("a session was started: %+v", st)
			}
		})
	}
}

func TestGatewayAcceptsWhatDiscordDoes(t *testing.T) {
	t.Parallel()
	t.Run("all privileged intents are enabled by default", func(t *testing.T) {
		t.Parallel()
		w := newBotlessWorld(t, Options{})
		if err := openSession(t, w.Sim, discordgo.IntentsAll, ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("enabled intents may be asked for; others are not checked", func(t *testing.T) {
		t.Parallel()
		w := newBotlessWorld(t, Options{})
		w.SetPrivilegedIntentsEnabled(true, false, false)
		if err := openSession(t, w.Sim, discordgo.IntentsGuilds|discordgo.IntentsGuildMembers|discordgo.IntentsGuildMessages, ""); err != nil {
			t.Fatal(err)
		}
		if i := w.Intents(); i&intentGuildMembers == 0 {
			t.Errorf("intents %d", i)
		}
	})
	t.Run("version 9 in the URL", func(t *testing.T) {
		t.Parallel()
		w := newBotlessWorld(t, Options{})
		g := dialRawURL(t, w.GatewayURL()+"?v=9&encoding=json")
		g.identify(w.Sim, intentGuilds)
	})
	t.Run("2,499 guilds unsharded, and 2,500 sharded, are accepted", func(t *testing.T) {
		t.Parallel()
		w := newBotlessWorld(t, Options{IdentifyInterval: time.Nanosecond}) // two IDENTIFYs in a row
		for i := range maxGuildsPerShard - 2 {
			w.AddGuild(fmt.Sprint("g", i), w.owner)
		}
		g := dialRaw(t, w.Sim)
		g.send(opIdentify, map[string]any{"token": "Bot " + w.Token(), "intents": intentGuilds, "properties": map[string]string{}})
		if f := g.next(); f.T != "READY" {
			t.Fatalf("2,499 guilds: got %+v", f)
		}
		w.AddGuild("the 2500th", w.owner)
		g = dialRaw(t, w.Sim)
		g.send(opIdentify, map[string]any{"token": "Bot " + w.Token(), "intents": intentGuilds, "shard": []int{0, 3}, "properties": map[string]string{}})
		if f := g.next(); f.T != "READY" {
			t.Fatalf("sharded: got %+v", f)
		}
	})
}

func dialRawURL(t *testing.T, url string) *rawGateway {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	g := &rawGateway{t: t, ws: ws}
	if f := g.next(); f.Op != opHello {
		t.Fatalf("first frame %+v, want HELLO", f)
	}
	return g
}

// TestRequestAllMembersRateLimited: asking for all of a guild's members
// more than once per 30 s of the world's clock gets RATE_LIMITED, per
// guild; other requests are not limited.
func TestRequestAllMembersRateLimited(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	w := newBotlessWorld(t, Options{Now: clock.Now})
	other := w.AddGuild("Other", w.owner)
	g := dialRaw(t, w.Sim)
	g.send(opIdentify, map[string]any{"token": "Bot " + w.Token(), "intents": intentGuilds | intentGuildMembers, "properties": map[string]string{}})
	for _, want := range []string{"READY", "GUILD_CREATE", "GUILD_CREATE"} {
		if f := g.next(); f.T != want {
			t.Fatalf("got %s, want %s", f.T, want)
		}
	}
	all := func(guild, nonce string) {
		g.send(opRequestMembers, map[string]any{"guild_id": guild, "query": "", "limit": 0, "nonce": nonce})
	}
	expect := func(what string) rawFrame {
		t.Helper()
		f := g.next()
		if f.T != what {
			t.Fatalf("got %s %s, want %s", f.T, f.D, what)
		}
		return f
	}

	all(w.guild, "first")
	expect("GUILD_MEMBERS_CHUNK")
	clock.Advance(10 * time.Second)
	all(w.guild, "again")
	f := expect("RATE_LIMITED")
	var rl struct {
		Opcode     int     `json:"opcode"`
		RetryAfter float64 `json:"retry_after"`
		Meta       struct {
			GuildID string `json:"guild_id"`
			Nonce   string `json:"nonce"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(f.D, &rl); err != nil {
		t.Fatal(err)
	}
	if f.Op != opDispatch || rl.Opcode != 8 || math.Abs(rl.RetryAfter-20) > 0.001 || rl.Meta.GuildID != w.guild || rl.Meta.Nonce != "again" {
		t.Errorf("RATE_LIMITED %s", f.D)
	}
	// Another guild, a username query and user ids are not limited.
	all(other, "")
	expect("GUILD_MEMBERS_CHUNK")
	g.send(opRequestMembers, map[string]any{"guild_id": w.guild, "query": "mem", "limit": 10})
	expect("GUILD_MEMBERS_CHUNK")
	g.send(opRequestMembers, map[string]any{"guild_id": w.guild, "user_ids": []string{w.member}})
	expect("GUILD_MEMBERS_CHUNK")
	// A limited request does not restart the window.
	clock.Advance(20 * time.Second)
	all(w.guild, "later")
	expect("GUILD_MEMBERS_CHUNK")
	if st := w.GatewayStats(); st.RateLimited != 1 || st.MemberRequests != 6 {
		t.Errorf("stats %+v", st)
	}
}
