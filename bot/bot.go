package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/metrics"
	"github.com/circlebot/circlebot/schedule"
)

// Intents the bot asks for. Guilds: servers, channels and roles, and
// GUILD_DELETE when removed. GuildMembers (privileged): GUILD_MEMBER_REMOVE,
// so a member who leaves the server has their memberships withdrawn and
// loses access to session channels. (Those who left while the bot was
// offline are found at GUILD_CREATE by asking for them by user ID, which
// needs no intent: checkMembers.) Nothing reads message content.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMembers

// Defaults are the values new guilds and circles start with (from config).
type Defaults struct {
	TimeZone        string
	Capacity        int
	SessionMinutes  int
	RetentionHours  int
	ReminderMinutes int
	// How often one circle may meet (schedule.Frequency); zero values take
	// schedule's defaults.
	MinMinutesBetweenSessions int
	MaxSessionsPerWeek        int
}

// frequency is how often one circle may meet.
func (d Defaults) frequency() schedule.Frequency {
	return schedule.Frequency{MinGap: time.Duration(d.MinMinutesBetweenSessions) * time.Minute, PerWeek: d.MaxSessionsPerWeek}
}

// Options configure a Bot.
type Options struct {
	Token         string // without the "Bot " prefix
	ApplicationID string
	// APIURL redirects discordgo's REST calls (a simulator, a REST proxy);
	// "" keeps Discord's. GatewayURL overrides the gateway the API names.
	APIURL     string
	GatewayURL string
	// GuildIDs, when set, registers commands in these guilds only (and
	// clears the global set); else globally. A listed guild the bot is not
	// in yet gets its commands when the bot joins it.
	GuildIDs []string

	Store    circles.Store
	Clock    circles.Clock
	Logger   *slog.Logger
	Defaults Defaults

	LateOpenGrace   time.Duration // default 15m
	GuildPurgeGrace time.Duration // default 7 days
	// GlobalRateLimit is the REST requests per second this process allows
	// itself. Discord's global limit, 50, is per bot token, however many
	// processes share it: by default a process takes its share of 47 (the
	// rate plus the limiter's burst stay under 50) by the shards it runs,
	// all 47 when it runs them all.
	GlobalRateLimit int
	// ShardCount is how many shards the gateway is split into; 0 takes
	// the count Discord recommends (GET /gateway/bot, a shard per 1,000
	// servers). ShardIDs are the shards this process runs, nil for all;
	// they need ShardCount, which every process of the bot must share.
	ShardCount int
	ShardIDs   []int
	// IdentifyLockFile, when set, is the file through which the processes
	// of the bot on one host take turns to IDENTIFY (identify.go); ""
	// paces this process's shards only. main puts it beside the database,
	// which those processes share anyway.
	IdentifyLockFile string
	// IdentifyInterval is how long an identify bucket stays taken:
	// Discord's 5s by default. Tests shorten it, with the simulator's.
	IdentifyInterval time.Duration
	// Retry tunes the retries of transient REST failures (retry.go);
	// the zero value is production's.
	Retry RetryOptions
	// DeferAfter: see Router.DeferAfter.
	DeferAfter time.Duration
	// MemberCheckTimeout is how long the start-up check of who is still in
	// a server waits for the gateway's answer (checkMembers). Default 30s.
	MemberCheckTimeout time.Duration
	// EditInterval is how often one of the bot's live messages (a round,
	// a circle card) is edited at most; changes in between are folded
	// into one edit. Default 2s.
	EditInterval time.Duration
	// RunScheduler starts the scheduler's timer loop on Start. Tests and the
	// demo leave it off and drive Scheduler().RunDue on a manual clock.
	RunScheduler bool
	// Metrics, when set, counts interactions, REST calls, sessions and
	// failed DMs (metrics.go); nil, the default, costs nothing.
	Metrics *metrics.Metrics
	// KeepEnded is how long memberships that ended are kept before the
	// daily sweep deletes them (retention.go). Default 180 days.
	KeepEnded time.Duration
	// QuickClose makes Close cut the gateway's connection instead of
	// closing it politely, which in discordgo v0.29.0 waits a second after
	// the close frame (CloseWithCode). For tests against the simulator:
	// Discord would see a dropped connection, and keep the bot's session
	// resumable for a while.
	QuickClose bool
}

// Bot is circlebot's Discord adapter: a gateway session per shard it runs
// (shards.go), one REST client, the command router, guild lifecycle, and
// the session channel work the scheduler asks for.
type Bot struct {
	opts   Options
	dg     *discordgo.Session // REST only; shards share its client
	router *Router
	sched  *schedule.Scheduler
	store  circles.Store
	clock  circles.Clock
	log    *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	// wg counts background work Close waits for: the scheduler loops and
	// every gateway handler (track).
	wg      sync.WaitGroup
	closeMu sync.Mutex
	closing bool

	// The shards this process runs (Start fixes them), by ID too; owned
	// are their guilds. identify paces their IDENTIFYs, in buckets of
	// maxConcurrency; limiter is the REST transport's global limiter.
	shards   []*shard
	byID     map[int]*shard
	sessions sync.Map // *discordgo.Session → its *shard

	owned          circles.Shards
	identify       *identifyQueue
	maxConcurrency int
	limiter        *globalLimiter
	// shardsLeft counts the shards Discord has not refused; refused is
	// closed, with refusedErr, when it reaches 0 (Wait).
	shardsLeft  atomic.Int32
	refused     chan struct{}
	refusedOnce sync.Once
	refusedErr  *GatewayError

	// identityMu guards the first READY's writing of botUserID (and of
	// the application ID, when not configured): every shard's READY says
	// the same.
	identityMu sync.Mutex
	botUserID  string

	// regMu serialises command registration; registered holds the guilds
	// (guild_ids mode) whose commands this process has written.
	regMu      sync.Mutex
	registered map[string]bool

	// sessionLocks serialises channel work per session between the
	// scheduler and interactions (consent given mid-session, /circle close).
	sessionLocks sync.Map // int64 → *sync.Mutex
	// problemsTold: the problems facilitators were told about, per session
	// (firstTelling).
	problemsTold sync.Map // problemKey → true
	// eventLocks: one scheduled-event sync per circle at a time (events.go).
	eventLocks sync.Map // int64 → *sync.Mutex
	// eventsPending: circles whose last events sync failed (events.go).
	eventsPending sync.Map // int64 → true
	// proposals: schedule changes waiting for Save (recurrence.go).
	proposals proposals
	// alerts: when each trouble of a circle was last told (alert).
	alertMu sync.Mutex
	alerts  map[alertKey]*alertState

	// chunkWaiters: the member requests awaiting GUILD_MEMBERS_CHUNK, by
	// nonce (checkMembers); nonces counts them.
	chunkMu      sync.Mutex
	chunkWaiters map[string]chan *discordgo.GuildMembersChunk
	nonces       atomic.Int64

	locales locales // servers' preferred locales, members' last noted (locale.go)
	// The facilitator room (round.go, card.go): live rounds, in memory
	// only; bootID tells this process's round buttons from an earlier
	// one's; edits coalesces the edits of live messages.
	rounds *roundRegistry
	bootID int
	edits  *coalescer

	// lastSweep is when ended memberships were last swept (retention.go).
	sweepMu   sync.Mutex
	lastSweep time.Time
}

// New builds a bot; Start connects it.
func New(o Options) (*Bot, error) {
	if o.Token == "" {
		return nil, errors.New("bot: no token")
	}
	if o.Store == nil {
		return nil, errors.New("bot: no store")
	}
	if o.Clock == nil {
		o.Clock = circles.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LateOpenGrace == 0 {
		o.LateOpenGrace = 15 * time.Minute
	}
	if o.GuildPurgeGrace == 0 {
		o.GuildPurgeGrace = 7 * 24 * time.Hour
	}
	if o.KeepEnded == 0 {
		o.KeepEnded = DefaultKeepEnded
	}
	if o.MemberCheckTimeout == 0 {
		o.MemberCheckTimeout = 30 * time.Second
	}
	if err := validateShards(o); err != nil {
		return nil, err
	}
	if o.Defaults.TimeZone == "" {
		o.Defaults.TimeZone = "UTC"
	}
	if o.Defaults.Capacity == 0 {
		o.Defaults.Capacity = circles.DefaultCapacity
	}
	if o.Defaults.SessionMinutes == 0 {
		o.Defaults.SessionMinutes = int(circles.DefaultSessionLength.Minutes())
	}
	dg, limiter, err := newSession(o)
	if err != nil {
		return nil, err
	}

	b := &Bot{
		opts:     o,
		dg:       dg,
		store:    o.Store,
		clock:    o.Clock,
		log:      o.Logger,
		identify: newIdentifyQueue(o.IdentifyInterval, o.IdentifyLockFile, o.Logger),
		limiter:  limiter,
		refused:  make(chan struct{}),

		registered:   map[string]bool{},
		chunkWaiters: map[string]chan *discordgo.GuildMembersChunk{},
		rounds:       newRoundRegistry(),
		bootID:       newBootID(),
	}
	b.edits = newCoalescer(o.EditInterval, func(f func()) bool {
		ok := b.track()
		if ok {
			go func() {
				defer b.wg.Done()
				f()
			}()
		}
		return ok
	})
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.router = NewRouter(o.Logger, o.Clock.Now)
	b.router.metrics = o.Metrics
	if o.DeferAfter > 0 {
		b.router.DeferAfter = o.DeferAfter
	}
	b.sched = schedule.New(schedule.Options{
		Store:           o.Store,
		Actions:         b,
		Clock:           o.Clock,
		Logger:          o.Logger,
		LateOpenGrace:   o.LateOpenGrace,
		DefaultSettings: b.defaultGuildSettings(""),
		Observer:        observer(o.Metrics),
	})
	b.routes()
	return b, nil
}

// handlers are the gateway event handlers of every shard's session, each
// through tracked.
func (b *Bot) handlers() []any {
	return []any{
		tracked(b, b.onReady),
		tracked(b, b.onGuildCreate),
		tracked(b, b.onGuildLocale),
		tracked(b, b.onGuildLocaleUpdate),
		tracked(b, b.onGuildDelete),
		tracked(b, b.onGuildMemberRemove),
		tracked(b, b.onGuildMembersChunk),
		tracked(b, b.onChannelDelete),
		tracked(b, b.onGuildRoleDelete),
		tracked(b, b.onInteraction),
	}
}

// tracked wraps a gateway event handler so that Close waits for it:
// discordgo runs each event in a goroutine of its own, and one still at
// work when the store is closed after Close would write to a closed
// database. An event that arrives once Close has begun is dropped.
func tracked[E any](b *Bot, f func(*discordgo.Session, E)) func(*discordgo.Session, E) {
	return func(s *discordgo.Session, e E) {
		if !b.track() {
			return
		}
		defer b.wg.Done()
		f(s, e)
	}
}

// onInteraction answers an interaction; Router.Handle returns only when
// its handler has. The locale is noted first, so that whoever sees the
// answer sees the store as it is after it (it is written only when it
// changed: once per person and locale).
func (b *Bot) onInteraction(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	// Discord delivers an interaction on its guild's shard only (a DM's
	// on shard 0). One that comes on another shard would also come to
	// the process that runs the right one, and must not be handled twice.
	if sh := b.sessionShard(s); sh != nil && !sh.carries(ic.GuildID) {
		b.log.Warn("an interaction came on a shard that is not its server's; left to that shard", "shard", sh.id, "guild", ic.GuildID)
		return
	}
	b.noteLocale(b.ctx, ic.Interaction, interactionUser(ic.Interaction), false)
	b.router.Handle(b.ctx, b.dg, ic.Interaction)
}

// Scheduler returns the bot's scheduler (tests and the demo drive it).
func (b *Bot) Scheduler() *schedule.Scheduler { return b.sched }

// Session returns the discordgo session of the bot's REST calls (its
// client is the one every shard's session shares).
func (b *Bot) Session() *discordgo.Session { return b.dg }

// Router returns the interaction router.
func (b *Bot) Router() *Router { return b.router }

func (b *Bot) defaultGuildSettings(guildID string) circles.GuildSettings {
	return circles.GuildSettings{
		GuildID:         guildID,
		RetentionHours:  b.opts.Defaults.RetentionHours,
		ReminderMinutes: b.opts.Defaults.ReminderMinutes,
	}
}

// Start asks Discord how to shard (unless Options fix it), connects the
// process's shards in their identify turns and waits for their READY,
// registers the commands (once, in the process that runs shard 0),
// reconciles the sessions of its guilds from the store, and (if asked)
// starts the scheduler. When Discord refuses every shard for good (a
// wrong token, a privileged intent not enabled…) the error is a
// *GatewayError saying what to do; a shard refused while others connect
// is logged, and the others run.
func (b *Bot) Start(ctx context.Context) error {
	plan, err := b.planShards(ctx)
	if err != nil {
		return err
	}
	b.applyPlan(plan)
	if err := b.openShards(ctx, plan); err != nil {
		return err
	}
	if err := b.registerCommands(); err != nil {
		return err
	}
	if err := b.sched.Reconcile(ctx); err != nil {
		b.log.Error("reconciling sessions; carrying on, the scheduler retries what failed", "err", err)
	}
	if n, err := b.ResyncEvents(ctx); err != nil {
		b.log.Error("resyncing scheduled events; the next change of each circle syncs them", "err", err)
	} else if n > 0 {
		b.log.Info("resynced scheduled events", "circles", n)
	}
	if err := b.PurgeRemovedGuilds(ctx); err != nil {
		b.log.Error("purging removed guilds", "err", err)
	}
	if _, err := b.SweepEnded(ctx); err != nil {
		b.log.Error("retention: sweeping ended memberships", "err", err)
	}
	// Rounds are in memory: those a restart lost are reset in the background.
	b.goTracked(func() { b.resetRounds(withRetryBudget(b.ctx, budgetFollowup)) })
	if b.opts.RunScheduler {
		b.goTracked(func() { _ = b.sched.Run(b.ctx) })
		b.goTracked(b.purgeLoop)
		b.goTracked(func() { b.every(time.Second, b.CheckRoundTimers) })
	}
	return nil
}

// Close disconnects every shard and stops background work, waiting for it
// to end.
func (b *Bot) Close() error {
	b.closeMu.Lock()
	b.closing = true
	b.closeMu.Unlock()
	b.cancel()
	errs := make([]error, len(b.shards))
	var wg sync.WaitGroup
	for i, sh := range b.shards {
		sh.watch.stop()
		if b.opts.QuickClose {
			// Cut, not closed: the shard's session doesn't reconnect
			// (the bot does, and not once its context is done), and
			// the stopped watch dials no more.
			sh.watch.drop()
			continue
		}
		// discordgo waits a second for the close handshake: the shards
		// wait together.
		wg.Go(func() { errs[i] = sh.session().Close() })
	}
	wg.Wait()
	b.wg.Wait()
	return errors.Join(errs...)
}

// track counts work in wg, so that Close waits for it (the store must
// outlive it); false once Close has begun. The caller calls wg.Done when
// the work ends. Use tracked for gateway handlers, goTracked for loops.
func (b *Bot) track() bool {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	if b.closing {
		return false
	}
	b.wg.Add(1)
	return true
}

// goTracked runs f in a goroutine Close waits for; not at all once Close
// has begun.
func (b *Bot) goTracked(f func()) {
	if !b.track() {
		return
	}
	go func() {
		defer b.wg.Done()
		f()
	}()
}

// registerCommands writes the command set, once per start of the process
// that runs shard 0, not once per shard: commands belong to the
// application, not to a connection. Bulk overwrite replaces the whole set
// of a scope, so restarts and renames never pile up stale commands. With
// guild_ids the global set is overwritten with nothing, so switching from
// global registration leaves no duplicates; each listed guild gets its
// commands from the process that runs its shard, and a listed guild the
// bot is not in (50001 Missing Access) is skipped until GUILD_CREATE.
func (b *Bot) registerCommands() error {
	if !b.owned.Has(0) {
		b.log.Info("commands are registered by the process that runs shard 0")
		return b.registerListedGuilds()
	}
	if len(b.opts.GuildIDs) == 0 {
		cmds := Commands()
		if _, err := b.dg.ApplicationCommandBulkOverwrite(b.opts.ApplicationID, "", cmds); err != nil {
			return fmt.Errorf("bot: registering commands: %w", err)
		}
		b.log.Info("commands registered", "scope", "global", "count", len(cmds))
		return nil
	}
	if _, err := b.dg.ApplicationCommandBulkOverwrite(b.opts.ApplicationID, "", []*discordgo.ApplicationCommand{}); err != nil {
		return fmt.Errorf("bot: clearing global commands (guild_ids is set): %w", err)
	}
	return b.registerListedGuilds()
}

// registerListedGuilds writes the command set in the guilds of guild_ids
// that this process runs.
func (b *Bot) registerListedGuilds() error {
	for _, g := range b.opts.GuildIDs {
		if !b.owned.Owns(g) {
			continue
		}
		err := b.registerGuildCommands(g)
		var re *discordgo.RESTError
		if errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeMissingAccess {
			b.log.Warn("not in a server listed in guild_ids; its commands will be registered when the bot is added", "guild", g)
			continue
		}
		if err != nil {
			return fmt.Errorf("bot: registering commands (guild %s): %w", g, err)
		}
	}
	return nil
}

// registerGuildCommands writes the command set in one listed guild, once
// per process (Start and GUILD_CREATE may both ask).
func (b *Bot) registerGuildCommands(guildID string) error {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	if b.registered[guildID] {
		return nil
	}
	cmds := Commands()
	if _, err := b.dg.ApplicationCommandBulkOverwrite(b.opts.ApplicationID, guildID, cmds); err != nil {
		return err
	}
	b.registered[guildID] = true
	b.log.Info("commands registered", "scope", "guild", "guild", guildID, "count", len(cmds))
	return nil
}

// forgetGuildCommands makes the next GUILD_CREATE register again (the bot
// was removed from the guild).
func (b *Bot) forgetGuildCommands(guildID string) {
	b.regMu.Lock()
	defer b.regMu.Unlock()
	delete(b.registered, guildID)
}

func (b *Bot) onReady(s *discordgo.Session, r *discordgo.Ready) {
	sh := b.sessionShard(s)
	if sh == nil {
		return
	}
	b.identityMu.Lock()
	if b.botUserID == "" {
		b.botUserID = r.User.ID
		if b.opts.ApplicationID == "" && r.Application != nil {
			b.opts.ApplicationID = r.Application.ID
		}
	}
	b.identityMu.Unlock()
	b.log.Info("connected to the gateway", "shard", sh.id, "bot_user", r.User.ID, "guilds", len(r.Guilds))
	b.noteRemovedWhileAway(sh.id, r.Guilds)
	sh.readyOnce.Do(func() { close(sh.ready) })
}

// noteRemovedWhileAway marks removed the guilds of a shard that the store
// thinks the bot is in but the shard's READY doesn't list: it was removed
// while offline and never saw GUILD_DELETE, so their data would otherwise
// never be purged. (Other shards' guilds are in their own READY.) Guilds
// that READY lists clear a pending removal when their GUILD_CREATE
// arrives.
func (b *Bot) noteRemovedWhileAway(shardID int, in []*discordgo.Guild) {
	known, err := b.store.GuildIDs(b.ctx)
	if err != nil {
		b.log.Error("listing known servers", "err", err)
		return
	}
	present := make(map[string]bool, len(in))
	for _, g := range in {
		present[g.ID] = true
	}
	for _, id := range known {
		if present[id] || circles.ShardOf(id, b.owned.Count) != shardID {
			continue
		}
		if err := b.store.GuildRemoved(b.ctx, id, b.clock.Now()); err != nil {
			b.log.Error("recording a removal while offline", "guild", id, "err", err)
			continue
		}
		b.log.Info("removed from a server while offline; its data will be purged after the grace period", "guild", id, "grace", b.opts.GuildPurgeGrace)
	}
}

func (b *Bot) purgeLoop() {
	b.every(time.Hour, func() {
		if err := b.Housekeeping(b.ctx); err != nil {
			b.log.Error("housekeeping: purging removed guilds, sweeping ended memberships", "err", err)
		}
	})
}

// every runs f every d until the bot closes.
func (b *Bot) every(d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// lockSession takes the lock of session id's channel work and reads its row
// again under it: the row is the truth, not a caller's copy, which may be
// stale by the time the lock is held (the session finished opening or
// began closing meanwhile). unlock releases the lock; on error it is
// already released.
func (b *Bot) lockSession(ctx context.Context, id int64) (s circles.Session, unlock func(), err error) {
	lock := b.sessionLock(id)
	lock.Lock()
	if s, err = b.store.Session(ctx, id); err != nil {
		lock.Unlock()
		return s, func() {}, err
	}
	return s, lock.Unlock, nil
}

// sessionLock returns the mutex that serialises channel work on a session.
func (b *Bot) sessionLock(id int64) *sync.Mutex {
	m, _ := b.sessionLocks.LoadOrStore(id, &sync.Mutex{})
	return m.(*sync.Mutex)
}
