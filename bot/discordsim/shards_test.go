package discordsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// identifyShard sends an IDENTIFY for shard [id, count] and returns the
// first frame the gateway answers with.
func (g *rawGateway) identifyShard(s *Sim, id, count int) rawFrame {
	g.t.Helper()
	g.send(opIdentify, map[string]any{"token": "Bot " + s.Token(), "intents": intentGuilds, "shard": []int{id, count}, "properties": map[string]string{}})
	return g.next()
}

// readyGuilds reads READY's guild IDs.
func readyGuilds(t *testing.T, f rawFrame) []string {
	t.Helper()
	if f.T != "READY" {
		t.Fatalf("got %+v, want READY", f)
	}
	var r struct {
		Guilds []struct{ ID string } `json:"guilds"`
		Shard  []int                 `json:"shard"`
	}
	if err := json.Unmarshal(f.D, &r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range r.Guilds {
		ids = append(ids, g.ID)
	}
	return ids
}

// Each shard's session gets its own guilds — in READY, as GUILD_CREATE and
// in every later guild event — by Discord's formula, and shard 0 gets what
// belongs to no guild (DMs); an unsharded session gets everything.
func TestShardsGetTheirOwnGuilds(t *testing.T) {
	t.Parallel()
	w := newBotlessWorld(t, Options{MaxConcurrency: 2})
	w.AddGuildOnShard("Second", w.owner, 1-shardOf(w.guild, 2), 2)
	var byShard [2][]string
	for _, id := range w.gorder {
		byShard[shardOf(id, 2)] = append(byShard[shardOf(id, 2)], id)
	}
	if len(byShard[0]) != 1 || len(byShard[1]) != 1 {
		t.Fatalf("guilds by shard %v, want one on each", byShard)
	}

	var conns [2]*rawGateway
	for id := range conns {
		conns[id] = dialRaw(t, w.Sim)
		got := readyGuilds(t, conns[id].identifyShard(w.Sim, id, 2))
		if !slices.Equal(got, byShard[id]) {
			t.Errorf("shard %d: READY lists %v, want %v", id, got, byShard[id])
		}
		if f := conns[id].next(); f.T != "GUILD_CREATE" || !json.Valid(f.D) || !containsID(f.D, byShard[id][0]) {
			t.Errorf("shard %d: after READY %s %s, want its guild's GUILD_CREATE", id, f.T, f.D)
		}
	}
	for id := range conns {
		w.AddRole(byShard[id][0], fmt.Sprint("Role ", id), 0)
	}
	w.mu.Lock()
	w.dispatchLocked("", intentAlways, "A_DM_EVENT", map[string]any{})
	w.mu.Unlock()
	for id, g := range conns {
		f := g.next()
		if f.T != "GUILD_ROLE_CREATE" || !containsID(f.D, byShard[id][0]) {
			t.Errorf("shard %d got %s %s, want its own guild's GUILD_ROLE_CREATE", id, f.T, f.D)
		}
	}
	if f := conns[0].next(); f.T != "A_DM_EVENT" {
		t.Errorf("shard 0 got %s, want the DM event", f.T)
	}
	// Shard 1 got nothing more: the next thing it sees is what it asks for.
	conns[1].send(opHeartbeat, nil)
	if f := conns[1].next(); f.Op != opHeartbeatAck {
		t.Errorf("shard 1 got %+v, want only its heartbeat's ACK", f)
	}
	st := w.GatewayStats()
	if !slices.Equal(st.ShardsConnected, []int{0, 1}) || st.ShardIdentifies[0] != 1 || st.ShardIdentifies[1] != 1 || st.Throttled != 0 {
		t.Errorf("stats %+v", st)
	}
}

func containsID(raw json.RawMessage, id string) bool {
	var d struct {
		ID      string `json:"id"`
		GuildID string `json:"guild_id"`
	}
	return json.Unmarshal(raw, &d) == nil && (d.ID == id || d.GuildID == id)
}

// A shard ID not below the count, or a count below 1, is 4010 Invalid
// shard; a shard of more than 2,500 guilds is 4011 Sharding required, as
// an unsharded session of 2,500 is.
func TestInvalidShardAndShardingRequired(t *testing.T) {
	t.Parallel()
	w := newBotlessWorld(t, Options{IdentifyInterval: time.Nanosecond})
	for _, shard := range [][]int{{2, 2}, {0, 0}, {-1, 2}, {1}} {
		g := dialRaw(t, w.Sim)
		g.send(opIdentify, map[string]any{"token": "Bot " + w.Token(), "intents": intentGuilds, "shard": shard, "properties": map[string]string{}})
		if f := g.next(); f.close != closeInvalidShard {
			t.Errorf("shard %v: got %+v, want close 4010", shard, f)
		}
	}
	onShard0 := func() int {
		n := 0
		for _, id := range w.gorder {
			if shardOf(id, 2) == 0 {
				n++
			}
		}
		return n
	}
	for onShard0() < maxGuildsPerShard {
		w.AddGuild("g", w.owner)
	}
	if got := readyGuilds(t, dialRaw(t, w.Sim).identifyShard(w.Sim, 0, 2)); len(got) != maxGuildsPerShard {
		t.Fatalf("shard 0 of 2 with 2,500 guilds: READY lists %d", len(got))
	}
	for onShard0() == maxGuildsPerShard {
		w.AddGuild("g", w.owner)
	}
	if f := dialRaw(t, w.Sim).identifyShard(w.Sim, 0, 2); f.close != closeShardingRequired {
		t.Fatalf("shard 0 of 2 with 2,501 guilds: got %+v, want close 4011", f)
	}
	if f := dialRaw(t, w.Sim).identifyShard(w.Sim, 2, 3); f.T != "READY" {
		t.Fatalf("3 shards: got %+v, want READY", f)
	}
	if st := w.GatewayStats(); st.Identifies != 2 || st.Sessions != 2 {
		t.Errorf("refused IDENTIFYs started sessions: %+v", st)
	}
}

// max_concurrency shards may IDENTIFY per 5 s, one per bucket (shard_id %
// max_concurrency); one more in a bucket within its 5 s is answered
// INVALID_SESSION, as Discord answers it, and may IDENTIFY again on the
// same connection once the 5 s are over. GET /gateway/bot says how many
// session starts are left.
func TestIdentifyConcurrency(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	w := newBotlessWorld(t, Options{MaxConcurrency: 2, Now: clock.Now})
	if f := dialRaw(t, w.Sim).identifyShard(w.Sim, 0, 4); f.T != "READY" {
		t.Fatalf("shard 0: %+v", f)
	}
	if f := dialRaw(t, w.Sim).identifyShard(w.Sim, 1, 4); f.T != "READY" {
		t.Fatalf("shard 1, the other bucket, at once: %+v", f)
	}
	g := dialRaw(t, w.Sim)
	clock.Advance(4 * time.Second)
	if f := g.identifyShard(w.Sim, 2, 4); f.Op != opInvalidSession || string(f.D) != "false" {
		t.Fatalf("shard 2, bucket 0 again within 5 s: %+v, want INVALID_SESSION false", f)
	}
	clock.Advance(time.Second)
	if f := g.identifyShard(w.Sim, 2, 4); f.T != "READY" {
		t.Fatalf("shard 2 after 5 s: %+v", f)
	}
	if st := w.GatewayStats(); st.Throttled != 1 || st.Identifies != 3 {
		t.Errorf("stats %+v, want 1 throttled and 3 identifies", st)
	}

	var gw struct {
		Shards int `json:"shards"`
		Limit  struct {
			Total          int `json:"total"`
			Remaining      int `json:"remaining"`
			ResetAfter     int `json:"reset_after"`
			MaxConcurrency int `json:"max_concurrency"`
		} `json:"session_start_limit"`
	}
	rawGet(t, w.Sim, "/gateway/bot", &gw)
	if gw.Shards != 1 || gw.Limit.Total != 1000 || gw.Limit.Remaining != 997 || gw.Limit.MaxConcurrency != 2 ||
		gw.Limit.ResetAfter != int((24*time.Hour-5*time.Second).Milliseconds()) {
		t.Errorf("GET /gateway/bot = %+v", gw)
	}
}

// rawGet GETs a REST path as the bot and decodes the answer into v.
func rawGet(t *testing.T, s *Sim, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.APIURL(), "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
