package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/time/rate"

	"github.com/circlebot/circlebot/bot/discordurl"
	"github.com/circlebot/circlebot/circles"
)

// A bot in many servers splits its gateway connection into shards: shard
// i of n carries the events of the servers with (guild_id >> 22) % n == i,
// and shard 0 the DMs too. One process may run every shard, or a part of
// them (Options.ShardIDs) while other processes run the rest over the same
// database. Each shard is a discordgo session of its own, connected,
// resumed and reconnected on its own; they share the process's one REST
// transport (retries, the global limiter, discordgo's route buckets), as
// REST belongs to no shard.

// shard is one gateway connection of the bot.
type shard struct {
	id, count  int
	gatewayURL string
	watch      *gatewayWatch // one for the shard, whatever its session
	// ready is closed by the shard's first READY.
	ready     chan struct{}
	readyOnce sync.Once
	// down is signalled by each Disconnect, in by each READY or RESUMED:
	// the supervisor reconnects, and sees whether it got back in.
	down, in chan struct{}
	// memberRequests paces REQUEST_GUILD_MEMBERS under the gateway's
	// command limit, which is per connection.
	memberRequests *rate.Limiter

	mu sync.Mutex
	dg *discordgo.Session // the current session (renew replaces it)
}

// carries reports whether the shard is the one Discord sends guildID's
// events on ("" for none, a DM's: shard 0).
func (sh *shard) carries(guildID string) bool {
	if guildID == "" {
		return sh.id == 0
	}
	return circles.ShardOf(guildID, sh.count) == sh.id
}

// session is the shard's current discordgo session.
func (sh *shard) session() *discordgo.Session {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.dg
}

// signal notes an event on a channel of one: the supervisor needs to know
// it happened, not how often.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// drain forgets a signal not yet taken.
func drain(ch chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// shardPlan is how the process shards: asked of GET /gateway/bot.
type shardPlan struct {
	count          int    // shards in all
	ids            []int  // the ones this process runs, ascending
	maxConcurrency int    // identify buckets
	gatewayURL     string // where shards connect; "" asks GET /gateway
}

// validateShards checks Options' shard settings before anything connects.
func validateShards(o Options) error {
	if o.ShardCount < 0 {
		return fmt.Errorf("bot: shard count %d: want 0 (Discord's recommendation) or more", o.ShardCount)
	}
	if o.ShardIDs == nil {
		return nil
	}
	if o.ShardCount == 0 {
		return errors.New("bot: shard IDs need a shard count: every process of the bot must agree on it, and Discord's recommendation can change between their starts")
	}
	if len(o.ShardIDs) == 0 {
		return errors.New("bot: no shard IDs")
	}
	seen := map[int]bool{}
	for _, id := range o.ShardIDs {
		if id < 0 || id >= o.ShardCount {
			return fmt.Errorf("bot: shard ID %d: want 0 to %d for %d shards", id, o.ShardCount-1, o.ShardCount)
		}
		if seen[id] {
			return fmt.Errorf("bot: shard ID %d given twice", id)
		}
		seen[id] = true
	}
	return nil
}

// planShards asks Discord how many shards it recommends (when the count
// is "auto") and how many may identify at once, and fixes the shards this
// process runs. A token Discord refuses here is left for the gateway to
// refuse, in its own words (4004), so that the advice is the same however
// the refusal comes.
func (b *Bot) planShards(ctx context.Context) (shardPlan, error) {
	p := shardPlan{count: b.opts.ShardCount, maxConcurrency: 1, gatewayURL: b.opts.GatewayURL}
	gb, err := b.dg.GatewayBot(discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized:
		p.count = max(p.count, 1)
	case err != nil:
		return p, fmt.Errorf("bot: asking Discord how to shard (GET /gateway/bot): %w", err)
	default:
		if p.count == 0 {
			p.count = max(gb.Shards, 1)
		}
		p.maxConcurrency = max(gb.SessionStartLimit.MaxConcurrency, 1)
		if p.gatewayURL == "" {
			p.gatewayURL = gb.URL
		}
	}
	p.ids = slices.Clone(b.opts.ShardIDs)
	if p.ids == nil {
		for id := range p.count {
			p.ids = append(p.ids, id)
		}
	}
	slices.Sort(p.ids)
	return p, nil
}

// applyPlan fixes what follows from the plan: the guilds this process
// owns (for the scheduler, the purge and the start-up checks) and its
// share of the REST limit.
func (b *Bot) applyPlan(p shardPlan) {
	b.owned = circles.Shards{Count: p.count, IDs: p.ids}
	b.sched.SetShards(b.owned)
	b.maxConcurrency = p.maxConcurrency
	perSecond := b.opts.GlobalRateLimit
	if perSecond == 0 {
		// Discord's 50 requests/s is per bot token, whatever the
		// processes: each takes its share by the shards it runs.
		perSecond = max(1, defaultGlobalRateLimit*len(p.ids)/p.count)
	}
	b.limiter.setRate(perSecond)
	b.log.Info("sharding", "shards", p.count, "running", p.ids, "max_concurrency", p.maxConcurrency, "rest_rate", perSecond)
}

// newShard builds shard id of count, with its first session.
func (b *Bot) newShard(id, count int, gatewayURL string) (*shard, error) {
	sh := &shard{id: id, count: count, gatewayURL: gatewayURL, watch: newGatewayWatch(), ready: make(chan struct{}),
		down: make(chan struct{}, 1), in: make(chan struct{}, 1), memberRequests: newMemberRequestPace()}
	return sh, b.renew(sh)
}

// renew gives the shard a new discordgo session: the bot's gateway
// settings, the process's REST client and route buckets, and the gateway
// URL answered without a REST call, so that nothing comes between an
// identify turn and the IDENTIFY. A new session IDENTIFYs: the supervisor
// renews a shard whose RESUME led nowhere, so that Discord's answer, a
// refusal included, comes to Open (after a failed RESUME discordgo
// identifies on its own, and a refusal then reaches only its log).
func (b *Bot) renew(sh *shard) error {
	dg, err := discordgo.New("Bot " + b.opts.Token)
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	dg.Client = b.dg.Client
	dg.Ratelimiter = b.dg.Ratelimiter
	dg.MaxRestRetries = 0
	dg.UserAgent = b.dg.UserAgent
	dg.StateEnabled = false
	dg.LogLevel = discordgo.LogWarning
	dg.ShardID, dg.ShardCount = sh.id, sh.count
	dg.Identify.Intents = Intents
	// The bot reconnects its shards itself (supervise): discordgo's loop
	// would reconnect a refused shard forever and only log why.
	dg.ShouldReconnectOnError = false
	if sh.gatewayURL != "" {
		if err := discordurl.Configure(dg, "", sh.gatewayURL); err != nil {
			return fmt.Errorf("bot: gateway_url: %w", err)
		}
	}
	dg.Dialer = sh.watch.dialer()
	for _, h := range b.handlers() {
		dg.AddHandler(h)
	}
	dg.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) { signal(sh.down) })
	dg.AddHandler(func(*discordgo.Session, *discordgo.Ready) { signal(sh.in) })
	dg.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { signal(sh.in) })
	b.sessions.Store(dg, sh)
	sh.mu.Lock()
	sh.dg = dg
	sh.mu.Unlock()
	return nil
}

// openShards connects the process's shards, each in its identify turn
// (turns are taken in shard order, so shard 0 comes first), and waits for
// their READY. A shard Discord refuses for good is logged and left off;
// Start fails only when all are refused (the last refusal), or when one
// can't connect at all (the network, not Discord).
func (b *Bot) openShards(ctx context.Context, p shardPlan) error {
	b.shards = make([]*shard, 0, len(p.ids))
	b.byID = make(map[int]*shard, len(p.ids))
	for _, id := range p.ids {
		sh, err := b.newShard(id, p.count, p.gatewayURL)
		if err != nil {
			return err
		}
		b.shards = append(b.shards, sh)
		b.byID[id] = sh
	}
	b.shardsLeft.Store(int32(len(b.shards)))
	errs := make([]error, len(b.shards))
	var wg sync.WaitGroup
	for i, sh := range b.shards {
		at := b.identify.reserve(sh.id % p.maxConcurrency)
		wg.Go(func() {
			if err := sleepUntil(ctx, at); err != nil {
				errs[i] = err
				return
			}
			errs[i] = b.openShard(ctx, sh)
		})
	}
	wg.Wait()
	var refused *GatewayError
	for i, err := range errs {
		if errors.As(err, &refused) {
			continue
		}
		if err != nil {
			return err
		}
		b.goTracked(func() { b.supervise(b.shards[i]) })
	}
	if b.shardsLeft.Load() == 0 {
		return refused
	}
	return nil
}

// openShard connects one shard and waits for its READY.
func (b *Bot) openShard(ctx context.Context, sh *shard) error {
	if err := sh.session().Open(); err != nil {
		if e := gatewayErrorIn(err); e != nil {
			return b.refusedShard(sh, e)
		}
		return fmt.Errorf("bot: connecting shard %d to Discord: %w", sh.id, err)
	}
	select {
	case <-sh.ready:
		return nil
	case <-sh.watch.failed:
		return sh.watch.err
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return fmt.Errorf("bot: no READY on shard %d within 30s", sh.id)
	}
}

// supervise reconnects a shard each time it disconnects — at once,
// RESUMEing when Discord still has its session, which discordgo decides —
// until Discord refuses it for good or the bot closes. An attempt that
// doesn't get the shard back in (no READY or RESUMED before the next
// Disconnect) is tried again later, twice as late each time up to 10
// minutes, on a new session (renew) in its identify turn.
func (b *Bot) supervise(sh *shard) {
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-sh.down:
		}
		if !b.reconnect(sh) {
			return
		}
	}
}

// reconnect gets a shard back in: true once it is, false when it is
// refused for good or the bot closes.
func (b *Bot) reconnect(sh *shard) bool {
	wait := time.Second
	for fresh := false; ; fresh = true {
		if fresh {
			b.log.Warn("reconnecting to the gateway failed; trying again", "shard", sh.id, "retry_in", wait)
			if sleepUntil(b.ctx, time.Now().Add(wait)) != nil {
				return false
			}
			wait = min(2*wait, 10*time.Minute)
			if err := b.renew(sh); err != nil {
				b.log.Error("renewing a shard's session", "shard", sh.id, "err", err)
				continue
			}
		}
		if !fresh {
			b.identify.takeIfFree(sh.id % b.maxConcurrency) // a RESUME: see takeIfFree
		} else if err := b.identify.wait(b.ctx, sh.id%b.maxConcurrency); err != nil {
			return false // closing
		}
		drain(sh.in)
		drain(sh.down)
		err := sh.session().Open()
		if errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return true
		}
		if e := gatewayErrorIn(err); e != nil {
			b.refusedShard(sh, e)
			return false
		}
		if b.ctx.Err() != nil {
			return false
		}
		if err != nil {
			b.log.Warn("reconnecting to the gateway", "shard", sh.id, "err", err)
			continue
		}
		select {
		case <-sh.in:
			return true
		case <-sh.down:
		case <-b.ctx.Done():
			return false
		case <-time.After(30 * time.Second):
			_ = sh.session().Close() // no READY: start over
		}
	}
}

// refusedShard stops a shard Discord refused for good and says so; when
// it was the last one running, Wait returns the refusal.
func (b *Bot) refusedShard(sh *shard, e *GatewayError) *GatewayError {
	e.Shard = sh.id
	sh.watch.fail(e)
	left := b.shardsLeft.Add(-1)
	b.log.Error("Discord refused a shard of the gateway for good; it stays off", "shard", sh.id, "code", e.Code,
		"reason", e.Reason, "advice", e.Advice, "shards_left", left)
	if left == 0 {
		b.refusedOnce.Do(func() {
			b.refusedErr = e
			close(b.refused)
		})
	}
	return e
}

// shardOf is the shard of this process that carries guildID's events;
// nil when another process runs it.
func (b *Bot) shardOf(guildID string) *shard {
	return b.byID[circles.ShardOf(guildID, b.owned.Count)]
}

// sessionShard is the shard whose session (current or earlier) s is; nil
// for another session (the REST session, in tests).
func (b *Bot) sessionShard(s *discordgo.Session) *shard {
	if sh, ok := b.sessions.Load(s); ok {
		return sh.(*shard)
	}
	return nil
}

// Shards reports the shards this process runs, once Start has fixed them.
func (b *Bot) Shards() circles.Shards { return b.owned }
