package discordsim

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// A plain discordgo bot asks which of some users are in the server
// (REQUEST_GUILD_MEMBERS by user_ids, as discordgo encodes it) and gets one
// GUILD_MEMBERS_CHUNK: the members found, the others in not_found — one
// who left while nobody watched as much as one who never joined.
func TestRequestGuildMembersWithDiscordgo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	chunks := make(chan *discordgo.GuildMembersChunk, 4)
	w.bot.dg.AddHandler(func(_ *discordgo.Session, c *discordgo.GuildMembersChunk) { chunks <- c })
	gone, stranger := w.AddUser("gone"), w.AddUser("stranger")
	w.AddMember(w.guild, gone)
	w.RemoveMemberQuietly(w.guild, gone)
	if w.IsMember(w.guild, gone) {
		t.Fatal("RemoveMemberQuietly left the member in")
	}
	if err := w.bot.dg.RequestGuildMembersList(w.guild, []string{w.member, gone, stranger}, 3, "check-1", false); err != nil {
		t.Fatal(err)
	}
	var c *discordgo.GuildMembersChunk
	select {
	case c = <-chunks:
	case <-ctx(t).Done():
		t.Fatal("no GUILD_MEMBERS_CHUNK")
	}
	var found []string
	for _, m := range c.Members {
		found = append(found, m.User.ID)
	}
	if c.GuildID != w.guild || c.ChunkIndex != 0 || c.ChunkCount != 1 || c.Nonce != "check-1" ||
		!slices.Equal(found, []string{w.member}) || !slices.Equal(c.NotFound, []string{gone, stranger}) {
		t.Fatalf("chunk %+v: members %v, not_found %v", c, found, c.NotFound)
	}
	if st := w.GatewayStats(); st.MemberRequests != 1 {
		t.Fatalf("MemberRequests = %d, want 1", st.MemberRequests)
	}
}

// rawGateway is a bare websocket client: frames arrive in the order the
// gateway sent them, so a test can tell that nothing came before an answer.
type rawGateway struct {
	t  *testing.T
	ws *websocket.Conn
}

type rawFrame struct {
	Op    int             `json:"op"`
	T     string          `json:"t"`
	D     json.RawMessage `json:"d"`
	close int             // the close code, when the gateway closed
}

func dialRaw(t *testing.T, s *Sim) *rawGateway {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(s.GatewayURL()+"?v=10&encoding=json", nil)
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

// identify sends IDENTIFY and reads READY and the GUILD_CREATE of the one
// guild the test world has.
func (g *rawGateway) identify(s *Sim, intents int) {
	g.t.Helper()
	g.send(opIdentify, map[string]any{"token": "Bot " + s.Token(), "intents": intents, "properties": map[string]string{}})
	for _, want := range []string{"READY", "GUILD_CREATE"} {
		if f := g.next(); f.T != want {
			g.t.Fatalf("got %+v, want %s", f, want)
		}
	}
}

func (g *rawGateway) send(op int, d any) {
	g.t.Helper()
	if err := g.ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		g.t.Fatal(err)
	}
}

func (g *rawGateway) next() rawFrame {
	g.t.Helper()
	_ = g.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := g.ws.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return rawFrame{close: ce.Code}
	}
	if err != nil {
		g.t.Fatal(err)
	}
	var f rawFrame
	if err := json.Unmarshal(msg, &f); err != nil {
		g.t.Fatal(err)
	}
	return f
}

type rawChunk struct {
	GuildID string `json:"guild_id"`
	Members []struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		GuildID *string `json:"guild_id"`
	} `json:"members"`
	ChunkIndex int       `json:"chunk_index"`
	ChunkCount int       `json:"chunk_count"`
	NotFound   *[]string `json:"not_found"`
	Nonce      *string   `json:"nonce"`
}

// REQUEST_GUILD_MEMBERS as Discord answers it: user_ids need no intent and
// name the missing in not_found; the whole list needs GUILD_MEMBERS and
// without it nothing comes; a long nonce is dropped; payloads Discord
// refuses close the connection.
func TestRequestGuildMembersRaw(t *testing.T) {
	t.Parallel()
	const members = intentGuilds | intentGuildMembers
	type want struct {
		members  []string
		notFound []string // nil: no not_found key; empty: an empty one
		nonce    string   // "": no nonce key
		close    int      // the connection closes with this code instead
	}
	none := []string{}
	cases := []struct {
		name     string
		intents  int
		identify bool
		// quiet leaves the guild without an event after IDENTIFY.
		requests func(w *world, quiet string) []map[string]any
		want     func(w *world, quiet string) want
	}{
		{"user_ids: found, not_found, no event for a quiet removal", members, true,
			func(w *world, quiet string) []map[string]any {
				return []map[string]any{{"guild_id": []string{w.guild}, "user_ids": []string{w.member, quiet, w.member}, "limit": 0, "nonce": "n1"}}
			},
			func(w *world, quiet string) want {
				return want{members: []string{w.member}, notFound: []string{quiet}, nonce: "n1"}
			}},
		{"user_ids need no intent; one snowflake will do", intentGuilds, true,
			func(w *world, _ string) []map[string]any {
				return []map[string]any{{"guild_id": w.guild, "user_ids": w.owner}}
			},
			func(w *world, _ string) want { return want{members: []string{w.owner}, notFound: none} }},
		{"the whole list without GUILD_MEMBERS: no answer at all", intentGuilds, true,
			func(w *world, _ string) []map[string]any {
				return []map[string]any{
					{"guild_id": w.guild, "query": "", "limit": 0, "nonce": "all"},
					{"guild_id": w.guild, "user_ids": []string{w.member}, "nonce": "after"},
				}
			},
			func(w *world, _ string) want {
				return want{members: []string{w.member}, notFound: none, nonce: "after"}
			}},
		{"the whole list with GUILD_MEMBERS", members, true,
			func(w *world, _ string) []map[string]any {
				return []map[string]any{{"guild_id": w.guild, "query": "", "limit": 0}}
			},
			func(w *world, _ string) want { return want{members: []string{w.BotUserID(), w.owner, w.member}} }},
		{"a username prefix", intentGuilds, true,
			func(w *world, _ string) []map[string]any {
				return []map[string]any{{"guild_id": w.guild, "query": "MEM", "limit": 10}}
			},
			func(w *world, _ string) want { return want{members: []string{w.member}} }},
		{"a nonce over 32 bytes is dropped", members, true,
			func(w *world, _ string) []map[string]any {
				return []map[string]any{{"guild_id": w.guild, "user_ids": []string{w.member}, "nonce": strings.Repeat("n", 33)}}
			},
			func(w *world, _ string) want { return want{members: []string{w.member}, notFound: none} }},
		{"more than 100 user_ids: 4002", members, true,
			func(w *world, _ string) []map[string]any {
				many := make([]string, 101)
				for i := range many {
					many[i] = nextID()
				}
				return []map[string]any{{"guild_id": w.guild, "user_ids": many}}
			},
			func(*world, string) want { return want{close: 4002} }},
		{"neither query nor user_ids: 4002", members, true,
			func(w *world, _ string) []map[string]any { return []map[string]any{{"guild_id": w.guild, "limit": 0}} },
			func(*world, string) want { return want{close: 4002} }},
		{"before IDENTIFY: 4003", members, false,
			func(w *world, _ string) []map[string]any {
				return []map[string]any{{"guild_id": w.guild, "user_ids": []string{w.member}}}
			},
			func(*world, string) want { return want{close: 4003} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newBotlessWorld(t, Options{})
			quiet := w.AddUser("quiet")
			w.AddMember(w.guild, quiet)
			g := dialRaw(t, w.Sim)
			if tc.identify {
				g.identify(w.Sim, tc.intents)
			}
			w.RemoveMemberQuietly(w.guild, quiet)
			for _, r := range tc.requests(w, quiet) {
				g.send(opRequestMembers, r)
			}
			wt := tc.want(w, quiet)
			f := g.next()
			if wt.close != 0 {
				if f.close != wt.close {
					t.Fatalf("got %+v, want close %d", f, wt.close)
				}
				return
			}
			if f.T != "GUILD_MEMBERS_CHUNK" {
				t.Fatalf("got %s %s, want GUILD_MEMBERS_CHUNK first", f.T, f.D)
			}
			var c rawChunk
			if err := json.Unmarshal(f.D, &c); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range c.Members {
				got = append(got, m.User.ID)
				if m.GuildID != nil {
					t.Errorf("a chunk's member carries guild_id")
				}
			}
			if c.GuildID != w.guild || c.ChunkIndex != 0 || c.ChunkCount != 1 || !slices.Equal(got, wt.members) {
				t.Fatalf("chunk %s: members %v, want %v", f.D, got, wt.members)
			}
			if (c.NotFound == nil) != (wt.notFound == nil) || (c.NotFound != nil && !slices.Equal(*c.NotFound, wt.notFound)) {
				t.Fatalf("chunk %s: want not_found %v", f.D, wt.notFound)
			}
			if (c.Nonce == nil && wt.nonce != "") || (c.Nonce != nil && *c.Nonce != wt.nonce) {
				t.Fatalf("chunk %s: want nonce %q", f.D, wt.nonce)
			}
		})
	}
}
