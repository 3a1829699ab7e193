package discordsim

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Options configures one simulated Discord. Zero values take the defaults
// noted on each field.
type Options struct {
	Logger              *slog.Logger  // default: discard
	InteractionDeadline time.Duration // time to answer an interaction; default 3s
	FollowupTTL         time.Duration // how long the interaction token works; default 15m
	DeferredWait        time.Duration // how long RunCommand & co wait after a deferral; default 10s
	HeartbeatInterval   time.Duration // sent in HELLO; default 41.25s
	RouteLimit          int           // requests per RouteWindow per bucket; default 10
	MessageLimit        int           // POST, and PATCH, /channels/{id}/messages… per RouteWindow per channel (each its own bucket); default 5
	RouteWindow         time.Duration // default 1s
	GlobalLimit         int           // requests per second per world; default 50
	BotName             string        // default "circlebot"
	// FaultSeed seeds the world's random fault stream (SetFailureRate,
	// SetLossRate) so random faults come out the same on every run; 0
	// picks a random seed, which FaultSeed() reports.
	FaultSeed uint64
	// Now is the world's clock for everything Discord times: the 3 s to
	// answer an interaction, the 15 min a token works, rate-limit windows,
	// the identify window, message timestamps. Default time.Now. Tests
	// that check those limits pass a clock they move, so nothing sleeps.
	Now func() time.Time
	// MaxConcurrency is the session_start_limit.max_concurrency GET
	// /gateway/bot gives: how many identify buckets (shard_id %
	// max_concurrency) may each IDENTIFY once per IdentifyInterval.
	// Default 1, as for most bots.
	MaxConcurrency int
	// IdentifyInterval is how long an IDENTIFY takes its bucket: another
	// within it is answered INVALID_SESSION. Default 5s, Discord's.
	IdentifyInterval time.Duration
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.InteractionDeadline <= 0 {
		o.InteractionDeadline = 3 * time.Second
	}
	if o.FollowupTTL <= 0 {
		o.FollowupTTL = 15 * time.Minute
	}
	if o.DeferredWait <= 0 {
		o.DeferredWait = 10 * time.Second
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 41250 * time.Millisecond
	}
	if o.RouteLimit <= 0 {
		o.RouteLimit = 10
	}
	if o.MessageLimit <= 0 {
		o.MessageLimit = 5
	}
	if o.RouteWindow <= 0 {
		o.RouteWindow = time.Second
	}
	if o.GlobalLimit <= 0 {
		o.GlobalLimit = 50
	}
	if o.BotName == "" {
		o.BotName = "circlebot"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = 1
	}
	if o.IdentifyInterval <= 0 {
		o.IdentifyInterval = 5 * time.Second
	}
}

// now is the world's current time (Options.Now).
func (s *Sim) now() time.Time { return s.opts.Now() }

// Sim is one simulated Discord: a bot application, its users, guilds,
// channels and messages. All methods are safe for concurrent use.
type Sim struct {
	srv   *server
	opts  Options
	log   *slog.Logger
	token string
	appID string
	botID string

	mu       sync.Mutex
	closed   bool
	users    map[string]*user
	guilds   map[string]*guild
	gorder   []string // guild ids in creation order
	channels map[string]*channel
	messages map[string]*message // every message by id, ephemeral ones included
	commands map[string][]*discordgo.ApplicationCommand
	requests []Request
	stats    Stats
	faults   faults
	rl       rateLimiter
	gw       gatewayState
	modals   map[string][]*Modal        // user id -> modals shown to that user
	nonces   map[string]nonceSeen       // author + nonce -> the message created with it
	events   map[string]*scheduledEvent // guild scheduled events by id (rest_events.go)
}

type user struct {
	id        string
	name      string
	bot       bool
	dmsClosed bool
	dmChannel string
	locale    string // the client's language, sent on interactions ("" = en-US)
}

type guild struct {
	id       string
	name     string
	locale   string // preferred_locale ("" = en-US)
	ownerID  string
	botIn    bool
	roles    map[string]*role
	rorder   []string
	members  map[string]*member
	morder   []string
	channels []string // ids in creation order
	botRole  string
	general  string // default text channel used by RunCommand
	created  time.Time
}

type role struct {
	id       string
	name     string
	perms    int64
	position int
	managed  bool
}

type member struct {
	userID   string
	roles    []string
	joinedAt time.Time
}

type channel struct {
	id         string
	guildID    string // "" for DMs
	typ        int
	name       string
	topic      string
	parentID   string
	position   int
	overwrites []Overwrite
	recipient  string // DM channels
	msgs       []string
	pins       []string
}

// BotPermissions is what the bot's managed role gets in every guild:
// exactly what circlebot's invite link asks for (bot.RequiredPermissions;
// a bot test checks they are equal), so the simulator grants nothing a
// real server wouldn't. Pin Messages is among them: since February 2026
// Manage Messages no longer lets a bot pin. SetRolePermissions(guild,
// BotRoleID(guild), …) takes some away.
const BotPermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionReadMessageHistory | discordgo.PermissionEmbedLinks |
	discordgo.PermissionManageChannels | discordgo.PermissionManageRoles |
	discordgo.PermissionManageMessages | PermissionPinMessages

// New creates an isolated simulated Discord with its own bot.
func New(opts Options) (*Sim, error) {
	srv, err := shared()
	if err != nil {
		return nil, err
	}
	opts.defaults()
	s := &Sim{
		srv:      srv,
		opts:     opts,
		log:      opts.Logger,
		appID:    nextID(),
		users:    map[string]*user{},
		guilds:   map[string]*guild{},
		channels: map[string]*channel{},
		messages: map[string]*message{},
		commands: map[string][]*discordgo.ApplicationCommand{},
		modals:   map[string][]*Modal{},
		nonces:   map[string]nonceSeen{},
	}
	// Discord gives a bot the same id as its application.
	s.botID = s.appID
	s.token = botToken(s.botID)
	s.users[s.botID] = &user{id: s.botID, name: opts.BotName, bot: true}
	s.rl.init()
	s.faults.init(opts.FaultSeed)
	s.gw.init()
	srv.register(s)
	s.log.Info("discordsim: world created", "app", s.appID)
	return s, nil
}

// Close disconnects the bot's gateway sessions and unregisters the world.
func (s *Sim) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := s.gw.connsLocked()
	s.mu.Unlock()
	s.srv.unregister(s)
	for _, c := range conns {
		c.closeWith(4004, "Authentication failed.")
	}
}

// APIURL is the REST base to pass to discordurl.Redirect.
func (s *Sim) APIURL() string { return s.srv.apiURL() }

// GatewayURL is the websocket URL GET /gateway returns to this world's bot:
// ws://127.0.0.1:PORT/gateway/<application id>. The suffix only lets HELLO
// carry this world's heartbeat interval before IDENTIFY names the world;
// any path under /gateway is accepted.
func (s *Sim) GatewayURL() string { return s.srv.gatewayURL() + "/" + s.appID }

// Token is the bot token, without the "Bot " prefix.
func (s *Sim) Token() string { return s.token }

// ApplicationID is the bot's application id.
func (s *Sim) ApplicationID() string { return s.appID }

// BotUserID is the bot user's id (equal to the application id, as on Discord).
func (s *Sim) BotUserID() string { return s.botID }

// AddUser creates a user and returns its id.
func (s *Sim) AddUser(name string) string {
	id := nextID()
	s.mu.Lock()
	s.users[id] = &user{id: id, name: name}
	s.mu.Unlock()
	return id
}

// AddGuild creates a guild owned by ownerID with the bot in it. The
// @everyone role id equals the guild id and has EveryonePermissions, a new
// server's defaults; the bot gets a managed role with
// BotPermissions; a #general text channel is created. If the bot is
// connected it receives GUILD_CREATE.
func (s *Sim) AddGuild(name, ownerID string) string {
	return s.addGuild(nextGuildID(), name, ownerID)
}

// AddGuildOnShard is AddGuild with an ID that puts the guild on shard of
// count ((id >> 22) % count == shard), for tests of a sharded bot.
func (s *Sim) AddGuildOnShard(name, ownerID string, shard, count int) string {
	return s.addGuild(guildIDOnShard(shard, count), name, ownerID)
}

func (s *Sim) addGuild(id, name, ownerID string) string {
	s.mu.Lock()
	now := s.now()
	g := &guild{id: id, name: name, ownerID: ownerID, botIn: true, created: now,
		roles: map[string]*role{}, members: map[string]*member{}}
	g.roles[id] = &role{id: id, name: "@everyone", perms: EveryonePermissions}
	g.rorder = []string{id}
	s.guilds[id] = g
	s.gorder = append(s.gorder, id)
	g.botRole = s.addRoleLocked(g, s.opts.BotName, BotPermissions, true)
	s.addMemberLocked(g, s.botID, now, g.botRole)
	if ownerID != "" {
		s.ensureUserLocked(ownerID)
		s.addMemberLocked(g, ownerID, now)
	}
	ch := s.newChannelLocked(g, 0, "general", "", "")
	g.general = ch.id
	s.dispatchGuildCreateLocked(g)
	s.mu.Unlock()
	return id
}

// AddBotToGuild puts the bot back into a guild it left (GUILD_CREATE).
func (s *Sim) AddBotToGuild(guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.botIn {
		return
	}
	g.botIn = true
	s.addMemberLocked(g, s.botID, s.now(), g.botRole)
	s.dispatchGuildCreateLocked(g)
}

// RemoveBotFromGuild kicks the bot: GUILD_DELETE without "unavailable".
func (s *Sim) RemoveBotFromGuild(guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeBotLocked(guildID, true)
}

func (s *Sim) removeBotLocked(guildID string, notify bool) bool {
	g := s.guilds[guildID]
	if g == nil || !g.botIn {
		return false
	}
	g.botIn = false
	delete(g.members, s.botID)
	g.morder = slices.DeleteFunc(g.morder, func(id string) bool { return id == s.botID })
	if notify {
		s.dispatchLocked(g.id, intentGuilds, "GUILD_DELETE", map[string]any{"id": g.id})
	}
	return true
}

// AddRole creates a role and returns its id.
func (s *Sim) AddRole(guildID, name string, perms int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return ""
	}
	id := s.addRoleLocked(g, name, perms, false)
	if g.botIn {
		s.dispatchLocked(g.id, intentGuilds, "GUILD_ROLE_CREATE", map[string]any{"guild_id": g.id, "role": roleJSON(g.roles[id])})
	}
	return id
}

// SetRolePermissions changes a role's permissions (the @everyone role id is
// the guild id; BotRoleID gives the bot's role).
func (s *Sim) SetRolePermissions(guildID, roleID string, perms int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil && g.roles[roleID] != nil {
		g.roles[roleID].perms = perms
		if g.botIn {
			s.dispatchLocked(g.id, intentGuilds, "GUILD_ROLE_UPDATE", map[string]any{"guild_id": g.id, "role": roleJSON(g.roles[roleID])})
		}
	}
}

// DeleteRole deletes a role as an admin would (GUILD_ROLE_DELETE): members
// lose it. The @everyone role and the bot's role can't be deleted.
func (s *Sim) DeleteRole(guildID, roleID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.roles[roleID] == nil || roleID == g.id || roleID == g.botRole {
		return false
	}
	delete(g.roles, roleID)
	g.rorder = slices.DeleteFunc(g.rorder, func(id string) bool { return id == roleID })
	for _, m := range g.members {
		m.roles = slices.DeleteFunc(m.roles, func(id string) bool { return id == roleID })
	}
	if g.botIn {
		s.dispatchLocked(g.id, intentGuilds, "GUILD_ROLE_DELETE", map[string]any{"guild_id": g.id, "role_id": roleID})
	}
	return true
}

// BotRoleID is the bot's managed role in a guild.
func (s *Sim) BotRoleID(guildID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		return g.botRole
	}
	return ""
}

// GeneralChannelID is the #general channel AddGuild created.
func (s *Sim) GeneralChannelID(guildID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		return g.general
	}
	return ""
}

func (s *Sim) addRoleLocked(g *guild, name string, perms int64, managed bool) string {
	id := nextID()
	g.roles[id] = &role{id: id, name: name, perms: perms, position: len(g.rorder), managed: managed}
	g.rorder = append(g.rorder, id)
	return id
}

// AddMember adds a user to a guild with the given roles (GUILD_MEMBER_ADD,
// sent only if the bot asked for the GUILD_MEMBERS intent, as on Discord).
// Calling it for an existing member replaces the member's roles.
func (s *Sim) AddMember(guildID, userID string, roleIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return
	}
	s.ensureUserLocked(userID)
	if m := g.members[userID]; m != nil {
		m.roles = slices.Clone(roleIDs)
		if g.botIn {
			s.dispatchLocked(g.id, intentGuildMembers, "GUILD_MEMBER_UPDATE", s.memberJSONLocked(g, m, true))
		}
		return
	}
	m := s.addMemberLocked(g, userID, s.now(), roleIDs...)
	if g.botIn {
		s.dispatchLocked(g.id, intentGuildMembers, "GUILD_MEMBER_ADD", s.memberJSONLocked(g, m, true))
	}
}

func (s *Sim) ensureUserLocked(id string) {
	if s.users[id] == nil {
		s.users[id] = &user{id: id, name: "user" + id[len(id)-4:]}
	}
}

func (s *Sim) addMemberLocked(g *guild, userID string, at time.Time, roleIDs ...string) *member {
	m := &member{userID: userID, roles: slices.Clone(roleIDs), joinedAt: at}
	if _, ok := g.members[userID]; !ok {
		g.morder = append(g.morder, userID)
	}
	g.members[userID] = m
	return m
}

// RemoveMember removes a user from a guild (GUILD_MEMBER_REMOVE, with the
// GUILD_MEMBERS intent).
func (s *Sim) RemoveMember(guildID, userID string) { s.removeMember(guildID, userID, true) }

// RemoveMemberQuietly removes a user from a guild with no gateway event at
// all: they left while the bot was offline. (A bot that stops with a
// normal close ends its session, and a fresh IDENTIFY replays nothing; only
// a RESUME of a dropped session gets the events it missed.) The bot finds
// out by asking, with REQUEST_GUILD_MEMBERS.
func (s *Sim) RemoveMemberQuietly(guildID, userID string) { s.removeMember(guildID, userID, false) }

func (s *Sim) removeMember(guildID, userID string, notify bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.members[userID] == nil {
		return
	}
	if userID == s.botID {
		s.removeBotLocked(guildID, notify)
		return
	}
	delete(g.members, userID)
	g.morder = slices.DeleteFunc(g.morder, func(id string) bool { return id == userID })
	if g.botIn && notify {
		s.dispatchLocked(g.id, intentGuildMembers, "GUILD_MEMBER_REMOVE", map[string]any{
			"guild_id": g.id, "user": s.userJSONLocked(userID)})
	}
}

// AddCategory creates a category channel and returns its id.
func (s *Sim) AddCategory(guildID, name string) string {
	return s.AddChannel(guildID, discordgo.ChannelTypeGuildCategory, name, "")
}

// AddChannel creates a channel of the given type (0 text, 4 category) as a
// server admin would, with CHANNEL_CREATE.
func (s *Sim) AddChannel(guildID string, typ discordgo.ChannelType, name, parentID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return ""
	}
	ch := s.newChannelLocked(g, int(typ), name, "", parentID)
	if g.botIn {
		s.dispatchLocked(g.id, intentGuilds, "CHANNEL_CREATE", s.channelJSONLocked(ch))
	}
	return ch.id
}

func (s *Sim) newChannelLocked(g *guild, typ int, name, topic, parent string) *channel {
	ch := &channel{id: nextID(), guildID: g.id, typ: typ, name: name, topic: topic, parentID: parent, position: len(g.channels)}
	s.channels[ch.id] = ch
	g.channels = append(g.channels, ch.id)
	return ch
}

// SetDMsClosed makes DMs from the bot to this user fail with 50007.
func (s *Sim) SetDMsClosed(userID string, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureUserLocked(userID)
	s.users[userID].dmsClosed = closed
}

// SetUserLocale sets the language of a user's Discord client, which
// Discord sends as "locale" on each of their interactions (default en-US).
func (s *Sim) SetUserLocale(userID, locale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureUserLocked(userID)
	s.users[userID].locale = locale
}

// SetGuildLocale sets a guild's preferred_locale (default en-US), sent in
// the guild's JSON and as guild_locale on interactions. A connected bot
// receives GUILD_UPDATE.
func (s *Sim) SetGuildLocale(guildID, locale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return
	}
	g.locale = locale
	if g.botIn {
		s.dispatchLocked(g.id, intentGuilds, "GUILD_UPDATE", s.guildJSONLocked(g))
	}
}

func orDefaultLocale(l string) string {
	if l == "" {
		return "en-US"
	}
	return l
}

// WaitFor polls cond until it is true or ctx ends.
func (s *Sim) WaitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(errors.New("discordsim: condition not met"), ctx.Err())
		case <-t.C:
		}
	}
}
