package bot

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

func (b *Bot) onGuildCreate(_ *discordgo.Session, g *discordgo.GuildCreate) {
	if g.Unavailable {
		return
	}
	// READY comes first: it names the application (for registration), and
	// its removal check must not undo what this GUILD_CREATE records.
	select {
	case <-b.ready:
	case <-b.ctx.Done():
		return
	}
	ctx := b.ctx
	isNew, err := b.store.GuildSeen(ctx, g.ID, g.OwnerID, b.defaultGuildSettings(g.ID), b.clock.Now())
	if err != nil {
		b.log.Error("recording guild", "guild", g.ID, "err", err)
		return
	}
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
		_ = b.dm(g.OwnerID, &discordgo.MessageSend{Content: fmt.Sprintf(
			"👋 Thanks for adding circlebot to **%s**.\n\n"+
				"circlebot hosts small, private, text-based peer support circles. To get started, run **/setup** in your server to choose:\n"+
				"• the role whose members may facilitate circles,\n"+
				"• the category where session channels are created,\n"+
				"• the crisis resources /helpnow shows, and how long closed sessions are kept.\n\n"+
				"Then facilitators can use **/circle create**. circlebot never stores what people write in a circle.",
			g.Name)})
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
	results, err := b.store.LeaveGuild(b.ctx, m.GuildID, m.User.ID, b.clock.Now())
	if err != nil {
		b.log.Error("withdrawing memberships of a member who left", "guild", m.GuildID, "err", err)
		return
	}
	for _, res := range results {
		b.afterLeave(b.ctx, res)
	}
	if len(results) > 0 {
		b.log.Info("member left the server; memberships withdrawn", "guild", m.GuildID, "circles", len(results))
	}
}

// PurgeRemovedGuilds deletes the data of guilds that removed the bot more
// than the grace period ago.
func (b *Bot) PurgeRemovedGuilds(ctx context.Context) error {
	ids, err := b.store.GuildsRemovedBefore(ctx, b.clock.Now().Add(-b.opts.GuildPurgeGrace))
	if err != nil {
		return err
	}
	for _, id := range ids {
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
