package bot

import (
	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/i18n"
)

// The facilitator role chosen in /setup can be deleted in Discord at any
// time. The bot then forgets it (a configured server with no facilitator
// role: only admins may run /circle), tells the server's owner, and says so
// wherever it matters — /setup shows the role as missing, and facilitators
// who are refused are told why.

func (b *Bot) onGuildRoleDelete(_ *discordgo.Session, e *discordgo.GuildRoleDelete) {
	ctx := b.ctx
	g, err := b.store.GuildSettings(ctx, e.GuildID)
	if err != nil || !g.Configured || g.FacilitatorRoleID == "" || g.FacilitatorRoleID != e.RoleID {
		return
	}
	g.FacilitatorRoleID = ""
	if err := b.store.SaveGuildSettings(ctx, g); err != nil {
		b.log.Error("forgetting the deleted facilitator role", "guild", e.GuildID, "err", err)
		return
	}
	b.log.Warn("the facilitator role was deleted; only server admins can run /circle until /setup chooses another", "guild", e.GuildID, "role", e.RoleID)
	if g.OwnerID == "" {
		return
	}
	_ = b.dmIn(e.GuildID, g.OwnerID, func(l i18n.Locale) *discordgo.MessageSend {
		return &discordgo.MessageSend{Content: l.T("roles.deleted_dm")}
	})
}

// The refusal of a configured server without a facilitator role is the
// catalog's roles.deleted (auth.go).
