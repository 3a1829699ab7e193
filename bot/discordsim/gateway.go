package discordsim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway intents the simulator honours when deciding who gets an event.
const (
	intentAlways         = 0
	intentGuilds         = 1 << 0
	intentGuildMembers   = 1 << 1
	intentGuildPresences = 1 << 8
	intentGuildMessages  = 1 << 9
	intentDirectMessages = 1 << 12
	intentMessageContent = 1 << 15
)

// definedIntents are the intent bits Discord defines (gateway.mdx,
// "Gateway Intents": 0–16, 20, 21, 24, 25); any other is a 4013.
const definedIntents = 1<<17 - 1 | 1<<20 | 1<<21 | 1<<24 | 1<<25

// privilegedIntents need enabling in the Developer Portal; asking for one
// that is not is a 4014.
const privilegedIntents = intentGuildMembers | intentGuildPresences | intentMessageContent

// Gateway limits from gateway.mdx and the change log.
const (
	// "Each shard can only support a maximum of 2500 guilds, and apps that
	// are in 2500+ guilds must enable sharding." An unsharded session is
	// refused from 2,500 guilds on, a shard above 2,500.
	maxGuildsPerShard = 2500
	// Session start limit (gateway.mdx, "Session Start Limit Object"): a
	// bot may IDENTIFY this often a day, and max_concurrency shards at a
	// time per identifyInterval (Options.IdentifyInterval: 5 s).
	sessionStartTotal = 1000
	sessionStartReset = 24 * time.Hour
	// Requesting all members (query "", limit 0): "1 request per guild per
	// bot every 30 seconds" (change log, "Rate Limit for Request Guild
	// Members").
	allMembersInterval = 30 * time.Second
)

// Gateway close codes and the reasons Discord gives with them
// (opcodes-and-status-codes.mdx, "Gateway Close Event Codes").
const (
	closeAuthFailed       = 4004
	closeInvalidShard     = 4010
	closeShardingRequired = 4011
	closeInvalidVersion   = 4012
	closeInvalidIntents   = 4013
	closeDisallowedIntent = 4014
)

var closeReasons = map[int]string{
	closeAuthFailed:       "Authentication failed.",
	closeInvalidShard:     "Invalid shard.",
	closeShardingRequired: "Sharding required.",
	closeInvalidVersion:   "Invalid API version.",
	closeInvalidIntents:   "Invalid intent(s).",
	closeDisallowedIntent: "Disallowed intent(s).",
}

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11
)

// logCap bounds how many dispatches a session keeps for RESUME replay.
const logCap = 2000

// Limits of REQUEST_GUILD_MEMBERS (op 8).
const (
	maxRequestUserIDs = 100  // user_ids per request
	maxQueryMembers   = 100  // members a username prefix returns
	membersPerChunk   = 1000 // members per GUILD_MEMBERS_CHUNK
	maxNonceBytes     = 32   // a longer nonce is dropped from the reply
)

// gatewayState is a world's gateway bookkeeping, guarded by Sim.mu.
type gatewayState struct {
	sessions       map[string]*gwSession
	intents        int
	invalidateNext bool
	identifies     int
	resumes        int
	identifyPath   string
	memberRequests int                  // op 8 received
	ignoreMembers  bool                 // IgnoreMemberRequests
	disabledPriv   int                  // privileged intents not enabled (SetPrivilegedIntentsEnabled)
	allMembersAt   map[string]time.Time // guild -> last answered request for all members
	rateLimited    int                  // RATE_LIMITED sent
	// identifiedAt is when each identify bucket (shard_id %
	// max_concurrency) last started a session; throttled counts the
	// IDENTIFYs answered with INVALID_SESSION for coming too soon after.
	identifiedAt map[int]time.Time
	throttled    int
	firstStart   time.Time   // the first session start of the day (session_start_limit)
	byShard      map[int]int // sessions started per shard id (unsharded: 0)
	refuse       map[int]int // shard id -> the close code its IDENTIFYs and RESUMEs get (RefuseShard)
}

func (g *gatewayState) init() {
	g.sessions = map[string]*gwSession{}
	g.allMembersAt = map[string]time.Time{}
	g.identifiedAt = map[int]time.Time{}
	g.byShard = map[int]int{}
	g.refuse = map[int]int{}
}

type gwSession struct {
	id             string
	seq            int64
	log            []logged
	conn           *gwConn // nil while disconnected (resumable)
	intents        int
	largeThreshold int
	// The session's shard, [shardID, shardCount]; shardCount 0 or 1 is
	// unsharded: every guild, and everything that is no guild's.
	shardID, shardCount int
}

// shardOf is the shard of count a guild's events go to: Discord's
// formula, (guild_id >> 22) % count ("Sharding Formula").
func shardOf(guildID string, count int) int {
	if count < 2 {
		return 0
	}
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil {
		return 0
	}
	return int((id >> 22) % uint64(count))
}

// gets reports whether the session receives the events of guildID, "" for
// events of no guild (DMs): "only shard 0 will receive DMs".
func (sess *gwSession) gets(guildID string) bool {
	if sess.shardCount < 2 {
		return true
	}
	if guildID == "" {
		return sess.shardID == 0
	}
	return shardOf(guildID, sess.shardCount) == sess.shardID
}

type logged struct {
	seq   int64
	frame []byte
}

// gwConn owns one websocket. All writes go through one goroutine so that
// dispatches keep their order and the world lock is never held on I/O.
type gwConn struct {
	ws   *websocket.Conn
	path string // the URL path the client dialled
	out  chan []byte
	done chan struct{}
	once sync.Once
}

func newGwConn(ws *websocket.Conn) *gwConn {
	c := &gwConn{ws: ws, out: make(chan []byte, 4096), done: make(chan struct{})}
	go c.writer()
	return c
}

func (c *gwConn) writer() {
	for {
		select {
		case b := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				c.kill()
				return
			}
		case <-c.done:
			return
		}
	}
}

// send queues a frame. A client too slow to drain 4096 frames is cut off,
// which is also what Discord does to slow consumers.
func (c *gwConn) send(b []byte) {
	select {
	case <-c.done:
	case c.out <- b:
	default:
		c.kill()
	}
}

// kill drops the TCP connection without a close frame.
func (c *gwConn) kill() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// closeWith sends a close frame with a gateway close code, then drops.
func (c *gwConn) closeWith(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.kill()
}

func frame(op int, d any) []byte {
	b, _ := json.Marshal(map[string]any{"op": op, "d": d})
	return b
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveGateway runs one gateway connection. The path may carry a world hint
// (/gateway/<application id>[/anything]) so HELLO can use that world's
// heartbeat interval before IDENTIFY says which world this is.
func (sv *server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := newGwConn(ws)
	conn.path = r.URL.Path
	defer conn.kill()
	// The gateway speaks the API versions Discord still serves, 9 and 10,
	// named in the URL (?v=10&encoding=json, as discordgo appends it);
	// anything else, none included, is "4012 Invalid API version".
	if v := r.URL.Query().Get("v"); v != "9" && v != "10" {
		conn.closeWith(closeInvalidVersion, closeReasons[closeInvalidVersion])
		return
	}

	interval := 41250 * time.Millisecond
	hint, _, _ := strings.Cut(strings.Trim(strings.TrimPrefix(r.URL.Path, "/gateway"), "/"), "/")
	if hint != "" {
		sv.mu.RLock()
		for _, s := range sv.worlds {
			if s.appID == hint {
				interval = s.opts.HeartbeatInterval
			}
		}
		sv.mu.RUnlock()
	}
	conn.send(frame(opHello, map[string]any{"heartbeat_interval": interval.Milliseconds()}))

	var (
		world *Sim
		sess  *gwSession
	)
	defer func() {
		if world != nil && sess != nil {
			world.detach(sess, conn, false)
		}
	}()
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			if world != nil && sess != nil {
				// A normal closure (1000/1001) ends the session on
				// Discord; anything else leaves it resumable.
				normal := websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway)
				world.detach(sess, conn, normal)
				sess = nil
			}
			return
		}
		var p struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if json.Unmarshal(msg, &p) != nil {
			conn.closeWith(4002, "Error while decoding payload.")
			return
		}
		switch p.Op {
		case opHeartbeat:
			conn.send(frame(opHeartbeatAck, nil))
		case opIdentify:
			var d identifyData
			_ = json.Unmarshal(p.D, &d)
			if sess != nil {
				conn.closeWith(4005, "Already authenticated.")
				return
			}
			s := sv.worldByAuth(d.Token)
			if s == nil {
				conn.closeWith(closeAuthFailed, closeReasons[closeAuthFailed])
				return
			}
			var code int
			if sess, code = s.identify(conn, d); sess == nil {
				if code == 0 {
					continue // throttled: INVALID_SESSION sent, the client may IDENTIFY again
				}
				conn.closeWith(code, closeReasons[code])
				return
			}
			world = s
		case opResume:
			var d struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(p.D, &d)
			s := sv.worldByAuth(d.Token)
			if s == nil {
				conn.closeWith(4004, "Authentication failed.")
				return
			}
			if code := s.refusedResume(d.SessionID); code != 0 {
				conn.closeWith(code, closeReasons[code])
				return
			}
			world, sess = s, s.resume(conn, d.SessionID, d.Seq)
		case opRequestMembers:
			if sess == nil {
				conn.closeWith(4003, "Not authenticated.")
				return
			}
			if !world.requestMembers(sess, p.D) {
				conn.closeWith(4002, "Error while decoding payload.")
				return
			}
		case 3, 4:
			// presence, voice state: accepted, ignored.
		default:
			conn.closeWith(4001, "Unknown opcode.")
			return
		}
	}
}

// identifyData is what the simulator reads of IDENTIFY (op 2).
type identifyData struct {
	Token          string `json:"token"`
	Intents        int    `json:"intents"`
	LargeThreshold int    `json:"large_threshold"`
	Shard          []int  `json:"shard"`
}

// identify starts a session, or returns the close code Discord would
// answer the IDENTIFY with: 4004 for a closed world; 4013 Invalid
// intent(s) for bits Discord does not define; 4014 Disallowed intent(s)
// for a privileged intent (GUILD_MEMBERS, GUILD_PRESENCES,
// MESSAGE_CONTENT) the application has not enabled
// (SetPrivilegedIntentsEnabled); 4010 Invalid shard for a shard ID not
// below the count, or a count below 1; 4011 Sharding required for an
// unsharded session (no shard, or [0, 1]) of a bot in 2,500 guilds or
// more, or a shard of more than 2,500. A sharded session gets the events
// of its guilds only (shardOf), and shard 0 those of no guild too (DMs).
//
// An IDENTIFY that comes within Options.IdentifyInterval (5 s) of the last
// session started in its bucket (shard_id % max_concurrency) is answered
// as Discord answers it, with INVALID_SESSION (op 9, d false: "If you hit
// this limit, the Gateway will respond with an Invalid Session"): no
// session, code 0, and the connection stays open for another IDENTIFY.
func (s *Sim) identify(conn *gwConn, d identifyData) (*gwSession, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, closeAuthFailed
	}
	intents, largeThreshold := d.Intents, d.LargeThreshold
	if intents < 0 || intents&^definedIntents != 0 {
		return nil, closeInvalidIntents
	}
	if intents&privilegedIntents&s.gw.disabledPriv != 0 {
		return nil, closeDisallowedIntent
	}
	shardID, shardCount := 0, 1
	if d.Shard != nil {
		if len(d.Shard) != 2 || d.Shard[1] < 1 || d.Shard[0] < 0 || d.Shard[0] >= d.Shard[1] {
			return nil, closeInvalidShard
		}
		shardID, shardCount = d.Shard[0], d.Shard[1]
	}
	if code := s.gw.refuse[shardID]; code != 0 {
		return nil, code
	}
	n := 0
	for _, g := range s.guilds {
		if g.botIn && shardOf(g.id, shardCount) == shardID {
			n++
		}
	}
	if (shardCount == 1 && n >= maxGuildsPerShard) || (shardCount > 1 && n > maxGuildsPerShard) {
		return nil, closeShardingRequired
	}
	now := s.now()
	bucket := shardID % s.opts.MaxConcurrency
	if last, ok := s.gw.identifiedAt[bucket]; ok && now.Sub(last) < s.opts.IdentifyInterval {
		s.gw.throttled++
		s.log.Info("discordsim: gateway identify throttled", "app", s.appID, "shard", shardID, "bucket", bucket)
		conn.send(frame(opInvalidSession, false))
		return nil, 0
	}
	s.gw.identifiedAt[bucket] = now
	if s.gw.firstStart.IsZero() || now.Sub(s.gw.firstStart) >= sessionStartReset {
		s.gw.firstStart = now
	}
	if largeThreshold < 50 || largeThreshold > 250 {
		largeThreshold = 250
	}
	sess := &gwSession{id: randomHex(16), conn: conn, intents: intents, largeThreshold: largeThreshold, shardID: shardID, shardCount: shardCount}
	s.gw.sessions[sess.id] = sess
	s.gw.intents = intents
	s.gw.identifies++
	s.gw.byShard[shardID]++
	s.gw.identifyPath = conn.path
	s.log.Info("discordsim: gateway identify", "app", s.appID, "intents", intents, "shard", shardID, "shards", shardCount)

	guilds := []any{}
	for _, id := range s.gorder {
		if s.guilds[id].botIn && sess.gets(id) {
			guilds = append(guilds, map[string]any{"id": id, "unavailable": true})
		}
	}
	me := s.userJSONLocked(s.botID)
	me["verified"], me["mfa_enabled"], me["email"] = true, false, nil
	ready := map[string]any{
		"v": 10, "user": me, "guilds": guilds, "session_id": sess.id, "session_type": "normal",
		"resume_gateway_url": s.GatewayURL(), "shard": []int{shardID, shardCount},
		"application":      map[string]any{"id": s.appID, "flags": s.appFlagsLocked()},
		"private_channels": []any{}, "relationships": []any{}, "presences": []any{},
		"guild_join_requests": []any{}, "geo_ordered_rtc_regions": []any{}, "user_settings": map[string]any{},
	}
	s.sendDispatchLocked(sess, "READY", mustJSON(ready))
	// Real Discord streams GUILD_CREATE for each guild after READY.
	for _, id := range s.gorder {
		if g := s.guilds[id]; g.botIn && sess.gets(id) {
			s.sendDispatchLocked(sess, "GUILD_CREATE", mustJSON(s.guildCreateLocked(g, sess.largeThreshold)))
		}
	}
	return sess, 0
}

// sessionStartLimitLocked is GET /gateway/bot's session_start_limit: the
// day's IDENTIFYs left, when the count resets, and how many shards may
// IDENTIFY at once.
func (s *Sim) sessionStartLimitLocked() map[string]any {
	remaining, resetAfter := sessionStartTotal, time.Duration(0)
	if !s.gw.firstStart.IsZero() && s.now().Sub(s.gw.firstStart) < sessionStartReset {
		remaining = max(0, sessionStartTotal-s.gw.identifies)
		resetAfter = s.gw.firstStart.Add(sessionStartReset).Sub(s.now())
	}
	return map[string]any{"total": sessionStartTotal, "remaining": remaining,
		"reset_after": resetAfter.Milliseconds(), "max_concurrency": s.opts.MaxConcurrency}
}

// Application flags for the privileged intents of an app in fewer than
// 100 servers (application.mdx, "Application Flags": the _LIMITED ones).
const (
	appFlagPresenceLimited       = 1 << 13
	appFlagGuildMembersLimited   = 1 << 15
	appFlagMessageContentLimited = 1 << 19
)

// appFlagsLocked are the application's flags: which privileged intents it
// has enabled.
func (s *Sim) appFlagsLocked() int {
	flags := 0
	for intent, flag := range map[int]int{intentGuildMembers: appFlagGuildMembersLimited,
		intentGuildPresences: appFlagPresenceLimited, intentMessageContent: appFlagMessageContentLimited} {
		if s.gw.disabledPriv&intent == 0 {
			flags |= flag
		}
	}
	return flags
}

// SetPrivilegedIntentsEnabled says which privileged intents the
// application has enabled in the Developer Portal; all are by default. An
// IDENTIFY asking for one that is not is closed with 4014 Disallowed
// intent(s), as Discord does. Sessions already open are not affected.
func (s *Sim) SetPrivilegedIntentsEnabled(members, presences, content bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.disabledPriv = 0
	for intent, on := range map[int]bool{intentGuildMembers: members, intentGuildPresences: presences, intentMessageContent: content} {
		if !on {
			s.gw.disabledPriv |= intent
		}
	}
}

// requestMembers answers REQUEST_GUILD_MEMBERS (op 8) with
// GUILD_MEMBERS_CHUNK events to the asking session, as Discord does. The
// request names one guild (a string, or a one-element array as discordgo
// sends) and either user_ids (a snowflake or up to 100 of them; those who
// are not members come back in not_found) or a username prefix in query
// (with limit, at most 100; "" asks for the whole list, which needs the
// GUILD_MEMBERS intent: without it Discord sends nothing at all, as it does
// for a guild the bot is not in). The whole list (query "", limit 0) is
// answered once per guild per 30 s of the world's clock; a request within
// that gets a RATE_LIMITED event instead. Members come 1000 to a chunk,
// each chunk with the nonce when that is at most 32 bytes. It reports false for a
// payload to close the connection over with 4002: unreadable, no guild or
// several, neither or both of query and user_ids, query without limit, or
// more than 100 user_ids (Discord documents that limit, not what happens
// past it; the simulator refuses).
func (s *Sim) requestMembers(sess *gwSession, raw json.RawMessage) bool {
	var d struct {
		GuildID json.RawMessage `json:"guild_id"`
		Query   *string         `json:"query"`
		Limit   *int            `json:"limit"`
		UserIDs json.RawMessage `json:"user_ids"`
		Nonce   string          `json:"nonce"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return false
	}
	guilds, ok := snowflakes(d.GuildID)
	if !ok || len(guilds) != 1 || (d.Query == nil) == (d.UserIDs == nil) || (d.Query != nil && d.Limit == nil) {
		return false
	}
	var userIDs []string
	if d.UserIDs != nil {
		if userIDs, ok = snowflakes(d.UserIDs); !ok || len(userIDs) > maxRequestUserIDs {
			return false
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.memberRequests++
	g := s.guilds[guilds[0]]
	if s.gw.ignoreMembers || g == nil || !g.botIn || !sess.gets(g.id) {
		return true // as for a guild the bot is not in: no answer
	}
	var found []*member
	var notFound []string
	if d.UserIDs != nil {
		notFound = []string{}
		seen := map[string]bool{}
		for _, id := range userIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			if m := g.members[id]; m != nil {
				found = append(found, m)
			} else {
				notFound = append(notFound, id)
			}
		}
	} else {
		if *d.Query == "" && sess.intents&intentGuildMembers == 0 {
			return true
		}
		if *d.Query == "" && *d.Limit == 0 {
			if last, ok := s.gw.allMembersAt[g.id]; ok && s.now().Sub(last) < allMembersInterval {
				s.sendRateLimitedLocked(sess, g.id, d.Nonce, last.Add(allMembersInterval).Sub(s.now()))
				return true
			}
			s.gw.allMembersAt[g.id] = s.now()
		}
		limit := *d.Limit
		if *d.Query != "" && (limit <= 0 || limit > maxQueryMembers) {
			limit = maxQueryMembers
		}
		prefix := strings.ToLower(*d.Query)
		for _, id := range g.morder {
			if limit > 0 && len(found) == limit {
				break
			}
			if u := s.users[id]; u != nil && strings.HasPrefix(strings.ToLower(u.name), prefix) {
				found = append(found, g.members[id])
			}
		}
	}
	count := max(1, (len(found)+membersPerChunk-1)/membersPerChunk)
	for i := range count {
		part := found[min(i*membersPerChunk, len(found)):min((i+1)*membersPerChunk, len(found))]
		members := make([]any, 0, len(part))
		for _, m := range part {
			members = append(members, s.memberJSONLocked(g, m, false))
		}
		chunk := map[string]any{"guild_id": g.id, "members": members, "chunk_index": i, "chunk_count": count}
		if notFound != nil {
			chunk["not_found"] = notFound
		}
		if d.Nonce != "" && len(d.Nonce) <= maxNonceBytes {
			chunk["nonce"] = d.Nonce
		}
		s.sendDispatchLocked(sess, "GUILD_MEMBERS_CHUNK", mustJSON(chunk))
	}
	return true
}

// sendRateLimitedLocked answers a REQUEST_GUILD_MEMBERS over its limit
// with RATE_LIMITED instead of chunks (gateway-events.mdx, "Rate
// Limited"): the opcode, retry_after in seconds, and meta with the guild
// and the request's nonce.
func (s *Sim) sendRateLimitedLocked(sess *gwSession, guildID, nonce string, retry time.Duration) {
	s.gw.rateLimited++
	meta := map[string]any{"guild_id": guildID}
	if nonce != "" {
		meta["nonce"] = nonce
	}
	s.sendDispatchLocked(sess, "RATE_LIMITED", mustJSON(map[string]any{
		"opcode": opRequestMembers, "retry_after": retry.Seconds(), "meta": meta}))
}

// snowflakes reads a snowflake or an array of them.
func snowflakes(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, one != ""
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil {
		return nil, false
	}
	return many, !slices.Contains(many, "")
}

// RefuseShard makes Discord refuse shard id for good from now on (id 0
// for an unsharded bot): its live connection is closed with code (4011,
// say: the shard grew past 2,500 servers), and so is every IDENTIFY and
// RESUME of it after. The bot's other shards are not touched. Codes
// Discord gives a reason for are sent with it.
func (s *Sim) RefuseShard(id, code int) {
	s.mu.Lock()
	s.gw.refuse[id] = code
	conns := s.detachShardLocked(id)
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(code, closeReasons[code])
	}
}

// detachShardLocked takes the live connections of the bot's sessions on
// shard id off them (the sessions stay, resumable) and returns them, to
// be closed once the lock is let go.
func (s *Sim) detachShardLocked(id int) []*gwConn {
	var conns []*gwConn
	for _, sess := range s.gw.sessions {
		if sess.conn != nil && sess.shardID == id {
			conns = append(conns, sess.conn)
			sess.conn = nil
		}
	}
	return conns
}

// refusedResume is the close code a RESUME of sessionID gets when its
// shard is refused (RefuseShard), else 0.
func (s *Sim) refusedResume(sessionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess := s.gw.sessions[sessionID]; sess != nil {
		return s.gw.refuse[sess.shardID]
	}
	return 0
}

func (s *Sim) resume(conn *gwConn, sessionID string, seq int64) *gwSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.gw.sessions[sessionID]
	invalid := sess == nil || s.closed
	if s.gw.invalidateNext {
		s.gw.invalidateNext = false
		invalid = true
	}
	if !invalid && len(sess.log) > 0 && sess.log[0].seq > seq+1 {
		invalid = true // the events since seq are no longer buffered
	}
	if invalid {
		if sess != nil {
			if sess.conn != nil && sess.conn != conn {
				sess.conn.kill()
			}
			delete(s.gw.sessions, sessionID)
		}
		conn.send(frame(opInvalidSession, false))
		return nil
	}
	if sess.conn != nil && sess.conn != conn {
		sess.conn.kill()
	}
	sess.conn = conn
	s.gw.resumes++
	s.log.Info("discordsim: gateway resume", "app", s.appID, "from_seq", seq, "to_seq", sess.seq)
	for _, l := range sess.log {
		if l.seq > seq {
			conn.send(l.frame)
		}
	}
	s.sendDispatchLocked(sess, "RESUMED", mustJSON(map[string]any{}))
	return sess
}

// detach forgets conn; the session stays resumable unless end is set.
func (s *Sim) detach(sess *gwSession, conn *gwConn, end bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.conn == conn {
		sess.conn = nil
	}
	if end && s.gw.sessions[sess.id] == sess {
		delete(s.gw.sessions, sess.id)
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (s *Sim) sendDispatchLocked(sess *gwSession, t string, d json.RawMessage) {
	sess.seq++
	b, _ := json.Marshal(map[string]any{"op": opDispatch, "s": sess.seq, "t": t, "d": d})
	sess.log = append(sess.log, logged{seq: sess.seq, frame: b})
	if len(sess.log) > logCap {
		sess.log = sess.log[len(sess.log)-logCap:]
	}
	if sess.conn != nil {
		sess.conn.send(b)
	}
}

// dispatchLocked sends an event of guildID ("" for none: a DM) to every
// session whose intents include intent (intentAlways: everyone) and whose
// shard gets that guild's events.
func (s *Sim) dispatchLocked(guildID string, intent int, t string, d any) {
	if len(s.gw.sessions) == 0 {
		return
	}
	raw := mustJSON(d)
	for _, sess := range s.gw.sessions {
		if (intent != intentAlways && sess.intents&intent == 0) || !sess.gets(guildID) {
			continue
		}
		s.sendDispatchLocked(sess, t, raw)
	}
}

func (s *Sim) dispatchGuildCreateLocked(g *guild) {
	for _, sess := range s.gw.sessions {
		if sess.gets(g.id) {
			s.sendDispatchLocked(sess, "GUILD_CREATE", mustJSON(s.guildCreateLocked(g, sess.largeThreshold)))
		}
	}
}

// dispatchMessageWithIntentLocked blanks content for sessions without the
// MESSAGE_CONTENT intent, except for the bot's own messages and DMs, as
// Discord does.
func (s *Sim) dispatchMessageWithIntentLocked(t string, intent int, m *message) {
	if len(s.gw.sessions) == 0 {
		return
	}
	view := s.messageJSONLocked
	if t == "MESSAGE_CREATE" {
		view = s.messageCreateJSONLocked
	}
	rawFull := mustJSON(view(m))
	var rawBlank json.RawMessage
	for _, sess := range s.gw.sessions {
		if sess.intents&intent == 0 || !sess.gets(m.GuildID) {
			continue
		}
		if sess.intents&intentMessageContent != 0 || m.AuthorID == s.botID || m.GuildID == "" {
			s.sendDispatchLocked(sess, t, rawFull)
			continue
		}
		if rawBlank == nil {
			blank := view(m)
			blank["content"], blank["embeds"], blank["components"], blank["attachments"] = "", []any{}, []any{}, []any{}
			rawBlank = mustJSON(blank)
		}
		s.sendDispatchLocked(sess, t, rawBlank)
	}
}

// receiversLocked reports whether some session, live or resumable, gets
// the events of guildID ("" for none).
func (s *Sim) receiversLocked(guildID string) bool {
	for _, sess := range s.gw.sessions {
		if sess.gets(guildID) {
			return true
		}
	}
	return false
}

func (g *gatewayState) connsLocked() []*gwConn {
	var out []*gwConn
	for _, sess := range g.sessions {
		if sess.conn != nil {
			out = append(out, sess.conn)
		}
	}
	return out
}

// DropGateway cuts the bot's websocket without a close frame, so discordgo
// reconnects and RESUMEs.
func (s *Sim) DropGateway() {
	s.mu.Lock()
	conns := s.gw.connsLocked()
	for _, sess := range s.gw.sessions {
		sess.conn = nil
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// DropShard cuts the websocket of the bot's session on one shard (id 0
// for an unsharded session), like DropGateway: that shard reconnects and
// RESUMEs, the others are not touched.
func (s *Sim) DropShard(id int) {
	s.mu.Lock()
	conns := s.detachShardLocked(id)
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// Reconnect asks the bot to reconnect (op 7), as Discord does on
// maintenance; discordgo closes and resumes.
func (s *Sim) Reconnect() {
	s.mu.Lock()
	conns := s.gw.connsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.send(frame(opReconnect, nil))
	}
}

// InvalidateSession makes the next RESUME fail with INVALID_SESSION (d:
// false), so the client must IDENTIFY again.
func (s *Sim) InvalidateSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.invalidateNext = true
}

// IgnoreMemberRequests makes the gateway leave REQUEST_GUILD_MEMBERS
// unanswered (while on), as Discord does with a request it won't serve, so
// a test can see what a bot does when no GUILD_MEMBERS_CHUNK comes.
func (s *Sim) IgnoreMemberRequests(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.ignoreMembers = on
}

// Intents returns the intents of the latest IDENTIFY.
func (s *Sim) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.intents
}

// GatewayStats counts gateway handshakes.
type GatewayStats struct {
	Identifies int
	Resumes    int
	Connected  int // sessions with a live websocket
	Sessions   int // sessions, live or resumable
	// IdentifyPath is the URL path the latest IDENTIFY's websocket was
	// dialled on: GatewayURL's path, or whatever path a client was told
	// to use instead (any path under /gateway works).
	IdentifyPath string
	// MemberRequests counts REQUEST_GUILD_MEMBERS (op 8) received.
	MemberRequests int
	// RateLimited counts RATE_LIMITED events sent: requests for all of a
	// guild's members within 30 s of the last one.
	RateLimited int
	// Throttled counts IDENTIFYs answered with INVALID_SESSION for coming
	// within 5 s of another in their bucket (max_concurrency); a bot that
	// paces its shards as Discord asks has none.
	Throttled int
	// ShardIdentifies counts the sessions started on each shard ID (an
	// unsharded session is shard 0).
	ShardIdentifies map[int]int
	// ShardsConnected lists the shard IDs with a live websocket, ascending
	// (an ID twice if two sessions have it).
	ShardsConnected []int
}

// GatewayStats reports IDENTIFY/RESUME counts and live connections.
func (s *Sim) GatewayStats() GatewayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []int
	for _, sess := range s.gw.sessions {
		if sess.conn != nil {
			live = append(live, sess.shardID)
		}
	}
	slices.Sort(live)
	return GatewayStats{Identifies: s.gw.identifies, Resumes: s.gw.resumes,
		Connected: len(s.gw.connsLocked()), Sessions: len(s.gw.sessions), IdentifyPath: s.gw.identifyPath,
		MemberRequests: s.gw.memberRequests, RateLimited: s.gw.rateLimited,
		Throttled: s.gw.throttled, ShardIdentifies: maps.Clone(s.gw.byShard), ShardsConnected: live}
}
