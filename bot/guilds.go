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
	ctx := b.ctx
	isNew, err := b.store.GuildSeen(ctx, g.ID, g.OwnerID, b.defaultGuildSettings(g.ID), b.clock.Now())
	if err != nil {
		b.log.Error("recording guild", "guild", g.ID, "err", err)
		return
	}
	if !isNew {
		return
	}
	b.log.Info("joined a new server", "guild", g.ID)
	if len(b.opts.GuildIDs) > 0 && contains(b.opts.GuildIDs, g.ID) {
		if _, err := b.dg.ApplicationCommandBulkOverwrite(b.opts.ApplicationID, g.ID, Commands()); err != nil {
			b.log.Error("registering commands in new guild", "guild", g.ID, "err", err)
		}
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
