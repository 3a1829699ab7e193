package discordsim

import "github.com/bwmarrin/discordgo"

// basePermsLocked is a member's guild-level permissions: @everyone plus
// their roles; the owner and ADMINISTRATOR get everything.
func (s *Sim) basePermsLocked(g *guild, userID string) int64 {
	if g == nil {
		return 0
	}
	m := g.members[userID]
	if m == nil {
		return 0
	}
	if userID == g.ownerID {
		return discordgo.PermissionAll
	}
	perms := g.roles[g.id].perms
	for _, r := range m.roles {
		if role := g.roles[r]; role != nil {
			perms |= role.perms
		}
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return discordgo.PermissionAll
	}
	return perms
}

// channelPermsLocked applies the channel's overwrites in Discord's order:
// @everyone, then all of the member's roles together, then the member.
func (s *Sim) channelPermsLocked(ch *channel, userID string) int64 {
	if ch == nil {
		return 0
	}
	if ch.guildID == "" {
		if userID == ch.recipient || userID == s.botID {
			return discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionReadMessageHistory
		}
		return 0
	}
	g := s.guilds[ch.guildID]
	base := s.basePermsLocked(g, userID)
	if base == discordgo.PermissionAll {
		return base
	}
	perms := base
	m := g.members[userID]
	for _, o := range ch.overwrites {
		if o.ID == g.id {
			perms &^= o.Deny
			perms |= o.Allow
		}
	}
	var allow, deny int64
	for _, o := range ch.overwrites {
		if o.Type == int(discordgo.PermissionOverwriteTypeRole) && o.ID != g.id && m != nil && contains(m.roles, o.ID) {
			allow |= o.Allow
			deny |= o.Deny
		}
	}
	perms &^= deny
	perms |= allow
	for _, o := range ch.overwrites {
		if o.Type == int(discordgo.PermissionOverwriteTypeMember) && o.ID == userID {
			perms &^= o.Deny
			perms |= o.Allow
		}
	}
	// Without VIEW_CHANNEL a member has no permissions in the channel at all.
	if perms&discordgo.PermissionViewChannel == 0 {
		return 0
	}
	return perms
}

// CanView reports whether the user can see the channel.
func (s *Sim) CanView(userID, channelID string) bool {
	return s.hasPerm(userID, channelID, discordgo.PermissionViewChannel)
}

// CanSend reports whether the user can see the channel and send to it.
func (s *Sim) CanSend(userID, channelID string) bool {
	return s.hasPerm(userID, channelID, discordgo.PermissionViewChannel|discordgo.PermissionSendMessages)
}

// Permissions returns the user's computed permissions in a channel.
func (s *Sim) Permissions(userID, channelID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelPermsLocked(s.channels[channelID], userID)
}

func (s *Sim) hasPerm(userID, channelID string, p int64) bool {
	return s.Permissions(userID, channelID)&p == p
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
