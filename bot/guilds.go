package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/time/rate"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// maxRequestUserIDs is how many user IDs one REQUEST_GUILD_MEMBERS may name.
const maxRequestUserIDs = 100

// Discord closes the gateway (4008) when a connection sends more than 120
// commands in 60 s, and discordgo doesn't pace what it sends. At start-up
// every server asks about its members at once, so member requests share
// one pace: a burst of 5, then one per 600 ms, at most 105 in any minute,
// leaving room for heartbeats.
const (
	memberRequestInterval = 600 * time.Millisecond
	memberRequestBurst    = 5
)

func newMemberRequestPace() *rate.Limiter {
	return rate.NewLimiter(rate.Every(memberRequestInterval), memberRequestBurst)
}

func (b *Bot) onGuildCreate(s *discordgo.Session, g *discordgo.GuildCreate) {
	sh := b.sessionShard(s)
	if g.Unavailable || sh == nil {
		return
	}
	// The shard's READY comes first: it names the application (for
	// registration), and its removal check must not undo what this
	// GUILD_CREATE records.
	select {
	case <-sh.ready:
	case <-b.ctx.Done():
		return
	}
	ctx := b.ctx
	isNew, err := b.store.GuildSeen(ctx, g.ID, g.OwnerID, b.defaultGuildSettings(g.ID), b.clock.Now())
	if err != nil {
		b.log.Error("recording guild", "guild", g.ID, "err", err)
		return
	}
	// Last, as it waits on the gateway: who left while the bot was away.
	defer b.checkMembers(g.ID)
	b.findLostChannels(ctx, g)
	listed := len(b.opts.GuildIDs) == 0 || contains(b.opts.GuildIDs, g.ID)
	if listed && len(b.opts.GuildIDs) > 0 {
		// A listed guild the bot has just joined (or that Start skipped).
		if err := b.registerGuildCommands(g.ID); err != nil {
			b.log.Error("registering commands in a listed server", "guild", g.ID, "err", err)
		}
	}
	if !isNew {
		return
	}
	b.log.Info("joined a new server", "guild", g.ID)
	if !listed {
		// Commands exist only in the guilds of guild_ids: a welcome
		// pointing at /setup would point at nothing.
		b.log.Warn("joined a server not listed in guild_ids; it has no commands, so its owner is not welcomed", "guild", g.ID)
		return
	}
	if g.OwnerID != "" {
		// The same check /setup ends with, for the server as a whole:
		// there is no session category yet.
		// The owner has used no command here yet: the server's language.
		_ = b.dmIn(g.ID, g.OwnerID, func(l i18n.Locale) *discordgo.MessageSend {
			return &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{b.permissionCheckEmbed(ctx, l, g.ID, "")}, Content: l.T("guild.welcome", i18n.Args{"Server": circles.EscapeMarkdown(g.Name)})}
		})
	}
}

func (b *Bot) onGuildDelete(_ *discordgo.Session, g *discordgo.GuildDelete) {
	if g.Unavailable {
		return // an outage, not a removal
	}
	b.forgetGuildCommands(g.ID)
	if err := b.store.GuildRemoved(b.ctx, g.ID, b.clock.Now()); err != nil {
		b.log.Error("recording guild removal", "guild", g.ID, "err", err)
		return
	}
	b.log.Info("removed from a server; its data will be purged after the grace period", "guild", g.ID, "grace", b.opts.GuildPurgeGrace)
}

func (b *Bot) onGuildMemberRemove(_ *discordgo.Session, m *discordgo.GuildMemberRemove) {
	if m.User == nil {
		return
	}
	b.memberLeft(m.GuildID, m.User.ID)
}

// memberLeft acts on someone leaving a server, seen live
// (GUILD_MEMBER_REMOVE) or found on connecting (checkMembers): their
// memberships end with consent withdrawn, waitlists move up and channel
// access follows. A circle they facilitate keeps them, with a warning in
// the log: a circle must keep a facilitator, and choosing the next one is
// for its people (/circle edit), not for the bot.
func (b *Bot) memberLeft(guildID, userID string) {
	results, err := b.store.LeaveGuild(b.ctx, guildID, userID, b.clock.Now())
	if err != nil {
		b.log.Error("withdrawing memberships of a member who left", "guild", guildID, "err", err)
		return
	}
	for _, res := range results {
		b.afterLeave(b.ctx, res)
	}
	if len(results) > 0 {
		b.log.Info("member left the server; memberships withdrawn", "guild", guildID, "circles", len(results))
	}
	facilitated, err := b.store.Circles(b.ctx, guildID, circles.CircleFilter{FacilitatedBy: userID})
	if err != nil {
		b.log.Error("looking for the circles of a facilitator who left", "guild", guildID, "err", err)
		return
	}
	for _, c := range facilitated {
		b.log.Warn("a facilitator left the server; they stay the circle's facilitator until /circle edit remove_facilitator changes it", "guild", guildID, "circle", c.ID)
	}
}

// checkMembers finds who left a server while the bot was offline, which no
// GUILD_MEMBER_REMOVE will ever tell: it asks the gateway which of the
// users the store ties to the guild's circles are still members
// (REQUEST_GUILD_MEMBERS by user ID, 100 at a time), and treats each one
// Discord does not find as a departure seen live (memberLeft). A request
// left unanswered changes nothing: silence is no proof of leaving.
func (b *Bot) checkMembers(guildID string) {
	ids, err := b.store.GuildMemberUserIDs(b.ctx, guildID)
	if b.ctx.Err() != nil {
		return // shutting down
	}
	if err != nil {
		b.log.Error("listing the members to check are still in the server", "guild", guildID, "err", err)
		return
	}
	if len(ids) == 0 {
		return // nobody to ask about
	}
	var gone []string
	for batch := range slices.Chunk(ids, maxRequestUserIDs) {
		notFound, err := b.requestMembers(guildID, batch)
		if b.ctx.Err() != nil {
			return
		}
		if err != nil {
			b.log.Warn("could not check that members are still in the server; those who left while the bot was offline keep their places until the next start", "guild", guildID, "users", len(batch), "err", err)
			continue
		}
		gone = append(gone, notFound...)
	}
	for _, id := range gone {
		b.memberLeft(guildID, id)
	}
	b.log.Info("checked that members are still in the server", "guild", guildID, "checked", len(ids), "left", len(gone))
}

// requestMembers asks the gateway which of userIDs (at most 100) are in the
// guild and returns the ones it did not find (not_found). It asks on the
// guild's shard (Discord answers there only), in its turn among that
// connection's member requests (newMemberRequestPace).
func (b *Bot) requestMembers(guildID string, userIDs []string) ([]string, error) {
	sh := b.shardOf(guildID)
	if sh == nil {
		return nil, fmt.Errorf("guild %s is on shard %d, which another process runs", guildID, circles.ShardOf(guildID, b.owned.Count))
	}
	nonce := "members-" + strconv.FormatInt(b.nonces.Add(1), 10)
	chunks := make(chan *discordgo.GuildMembersChunk, 2)
	b.chunkMu.Lock()
	b.chunkWaiters[nonce] = chunks
	b.chunkMu.Unlock()
	defer func() {
		b.chunkMu.Lock()
		delete(b.chunkWaiters, nonce)
		b.chunkMu.Unlock()
	}()
	if err := sh.memberRequests.Wait(b.ctx); err != nil {
		return nil, err
	}
	if err := sh.session().RequestGuildMembersList(guildID, userIDs, len(userIDs), nonce, false); err != nil {
		return nil, err
	}
	timeout := time.NewTimer(b.opts.MemberCheckTimeout)
	defer timeout.Stop()
	var notFound []string
	for seen := 0; ; {
		select {
		case c := <-chunks:
			notFound = append(notFound, c.NotFound...)
			if seen++; seen >= c.ChunkCount {
				return notFound, nil
			}
		case <-timeout.C:
			return nil, fmt.Errorf("no GUILD_MEMBERS_CHUNK within %s", b.opts.MemberCheckTimeout)
		case <-b.ctx.Done():
			return nil, b.ctx.Err()
		}
	}
}

// onGuildMembersChunk hands a chunk to the requestMembers awaiting its
// nonce; one nobody awaits (any more) is dropped.
func (b *Bot) onGuildMembersChunk(_ *discordgo.Session, c *discordgo.GuildMembersChunk) {
	b.chunkMu.Lock()
	chunks := b.chunkWaiters[c.Nonce]
	b.chunkMu.Unlock()
	if chunks == nil {
		return
	}
	select {
	case chunks <- c:
	default:
	}
}

// PurgeRemovedGuilds deletes the data of this process's guilds that
// removed the bot more than the grace period ago (the others' processes
// purge theirs).
func (b *Bot) PurgeRemovedGuilds(ctx context.Context) error {
	ids, err := b.store.GuildsRemovedBefore(ctx, b.clock.Now().Add(-b.opts.GuildPurgeGrace))
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !b.owned.Owns(id) {
			continue
		}
		b.forgetGuildSessions(ctx, id)
		if err := b.store.PurgeGuild(ctx, id); err != nil {
			return err
		}
		b.log.Info("purged the data of a server that removed the bot", "guild", id)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
