package discordsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// server is the one loopback listener shared by every Sim in the process.
// discordgo's endpoints are globals, so all worlds must live behind the
// same base URL; the registry below routes each request to its world.
type server struct {
	addr string

	mu           sync.RWMutex
	worlds       map[string]*Sim         // bot token -> world
	interactions map[string]*interaction // interaction id -> interaction
	itokens      map[string]*interaction // interaction token -> interaction
}

var (
	srvOnce sync.Once
	srv     *server
	srvErr  error
)

// shared starts the listener on first use. It is never stopped: it is
// cheap, and other tests in the same binary may still be using it.
func shared() (*server, error) {
	srvOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srvErr = fmt.Errorf("discordsim: listen: %w", err)
			return
		}
		s := &server{
			addr:         ln.Addr().String(),
			worlds:       map[string]*Sim{},
			interactions: map[string]*interaction{},
			itokens:      map[string]*interaction{},
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/api/v9/", s.serveREST)
		mux.HandleFunc("/api/v10/", s.serveREST)
		mux.HandleFunc("/gateway", s.serveGateway)
		mux.HandleFunc("/gateway/", s.serveGateway)
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, errNotFound().body())
		})
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln) //nolint:errcheck // runs for the life of the process
		srv = s
	})
	return srv, srvErr
}

func (s *server) apiURL() string     { return "http://" + s.addr + "/api/v10/" }
func (s *server) gatewayURL() string { return "ws://" + s.addr + "/gateway" }

func (s *server) register(w *Sim) {
	s.mu.Lock()
	s.worlds[w.token] = w
	s.mu.Unlock()
}

func (s *server) unregister(w *Sim) {
	s.mu.Lock()
	delete(s.worlds, w.token)
	for id, in := range s.interactions {
		if in.sim == w {
			delete(s.interactions, id)
			delete(s.itokens, in.token)
		}
	}
	s.mu.Unlock()
}

// worldByAuth resolves an Authorization header ("Bot <token>"; a bare token
// is accepted too, as Discord's gateway does).
func (s *server) worldByAuth(h string) *Sim {
	tok := strings.TrimPrefix(h, "Bot ")
	if tok == "" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.worlds[tok]
}

func (s *server) addInteraction(in *interaction) {
	s.mu.Lock()
	s.interactions[in.id] = in
	s.itokens[in.token] = in
	s.mu.Unlock()
}

func (s *server) interactionByID(id string) *interaction {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.interactions[id]
}

func (s *server) interactionByToken(tok string) *interaction {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.itokens[tok]
}

// Snowflakes come from one process-wide generator so IDs never collide
// between worlds, and they carry a real timestamp so
// discordgo.SnowflakeTimestamp works on them.
var (
	idMu   sync.Mutex
	idLast uint64
)

const discordEpochMS = 1420070400000

func nextID() string { return newID(1) }

// nextGuildID is nextID a millisecond apart from the last: a guild's shard
// is its ID's timestamp part modulo the shard count, and guilds created in
// one burst would otherwise all land on one shard. Guilds made one after
// another go round the shards, as real ones spread over them.
func nextGuildID() string { return newID(1 << 22) }

// guildIDOnShard is nextGuildID on shard of count.
func guildIDOnShard(shard, count int) string {
	idMu.Lock()
	defer idMu.Unlock()
	v := max(uint64(time.Now().UnixMilli()-discordEpochMS)<<22, idLast+1<<22)
	for count > 1 && int((v>>22)%uint64(count)) != shard {
		v += 1 << 22
	}
	idLast = v
	return strconv.FormatUint(v, 10)
}

func newID(step uint64) string {
	idMu.Lock()
	defer idMu.Unlock()
	v := uint64(time.Now().UnixMilli()-discordEpochMS) << 22
	if v <= idLast {
		v = idLast + step
	}
	idLast = v
	return strconv.FormatUint(v, 10)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// botToken mimics Discord's token shape: base64(user id).timestamp.hmac.
func botToken(userID string) string {
	b := make([]byte, 27)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawStdEncoding.EncodeToString([]byte(userID)) + "." +
		base64.RawURLEncoding.EncodeToString(b[:4]) + "." +
		base64.RawURLEncoding.EncodeToString(b[4:])
}
