package discordsim

import (
	"slices"

	"github.com/bwmarrin/discordgo"
)

// PermissionPinMessages is PIN_MESSAGES (1 << 51), which discordgo v0.29.0
// has no constant for. Since 23 February 2026 pinning and unpinning need it;
// MANAGE_MESSAGES alone no longer does (Discord change log, "Permission
// Changes Going into Effect February 2026").
const PermissionPinMessages int64 = 1 << 51

// allPermissions is every permission bit Discord defines today (bits 0–52,
// up to BYPASS_SLOWMODE), what the owner and administrators get.
// discordgo.PermissionAll stops at bit 30 and lacks PIN_MESSAGES, threads,
// application commands and more.
const allPermissions int64 = 1<<53 - 1

// EveryonePermissions is what @everyone gets in a new server, exactly as
// Discord returns it today: "2248473465835073" (0x7FCF98637CE41). Discord
// documents no default; this is the value its API reports for @everyone
// (GET /guilds/{id}/roles, GUILD_CREATE) in freshly created servers —
// observed identically for servers created on 2024-01-08, 2025-06-06 and
// 2026-06-01, the last after the February 2026 permission split. It matches
// what the client shows a new server's @everyone: Create Invite, Add
// Reactions, Video (STREAM), View Channels, Send Messages, Embed Links,
// Attach Files, Read Message History, Mention @everyone, External Emojis,
// Connect, Speak, Voice Activity, Change Nickname, Use Application
// Commands, Request to Speak, Create Public and Private Threads, External
// Stickers, Send Messages in Threads, Activities, Soundboard, Create
// Expressions, Create Events, External Sounds, Voice Messages, Set Voice
// Channel Status, Polls, External Apps, and bit 47 (undocumented, set by
// Discord). Not Manage Messages, Pin Messages, Manage Channels, Manage
// Roles or Administrator.
const EveryonePermissions int64 = discordgo.PermissionCreateInstantInvite |
	discordgo.PermissionAddReactions |
	discordgo.PermissionVoiceStreamVideo |
	discordgo.PermissionViewChannel |
	discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles |
	discordgo.PermissionReadMessageHistory |
	discordgo.PermissionMentionEveryone |
	discordgo.PermissionUseExternalEmojis |
	discordgo.PermissionVoiceConnect |
	discordgo.PermissionVoiceSpeak |
	discordgo.PermissionVoiceUseVAD |
	discordgo.PermissionChangeNickname |
	discordgo.PermissionUseApplicationCommands |
	discordgo.PermissionVoiceRequestToSpeak |
	discordgo.PermissionCreatePublicThreads |
	discordgo.PermissionCreatePrivateThreads |
	discordgo.PermissionUseExternalStickers |
	discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionUseActivities |
	discordgo.PermissionUseSoundboard |
	discordgo.PermissionCreateGuildExpressions |
	discordgo.PermissionCreateEvents |
	discordgo.PermissionUseExternalSounds |
	discordgo.PermissionSendVoiceMessages |
	1<<47 |
	1<<48 | // SET_VOICE_CHANNEL_STATUS
	discordgo.PermissionSendPolls |
	discordgo.PermissionUseExternalApps

// implicitlyDeniedWithoutSend are the permissions that a text channel
// ignores without SEND_MESSAGES (permissions.mdx, "Implicit Permissions":
// "Denying SEND_MESSAGES implicitly denies MENTION_EVERYONE,
// SEND_TTS_MESSAGES, ATTACH_FILES, and EMBED_LINKS").
const implicitlyDeniedWithoutSend = discordgo.PermissionMentionEveryone | discordgo.PermissionSendTTSMessages |
	discordgo.PermissionAttachFiles | discordgo.PermissionEmbedLinks

// isTextChannel reports whether a channel type is one the permission
// table marks T (GUILD_TEXT, GUILD_ANNOUNCEMENT, GUILD_FORUM, GUILD_MEDIA).
func isTextChannel(typ int) bool {
	switch discordgo.ChannelType(typ) {
	case discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews, discordgo.ChannelTypeGuildForum, discordgo.ChannelTypeGuildMedia:
		return true
	}
	return false
}

// basePermsLocked is a member's guild-level permissions, as
// compute_base_permissions in permissions.mdx: the owner gets everything;
// otherwise @everyone plus their roles, and ADMINISTRATOR means everything.
func (s *Sim) basePermsLocked(g *guild, userID string) int64 {
	if g == nil {
		return 0
	}
	m := g.members[userID]
	if m == nil {
		return 0
	}
	if userID == g.ownerID {
		return allPermissions
	}
	perms := g.roles[g.id].perms
	for _, r := range m.roles {
		if role := g.roles[r]; role != nil {
			perms |= role.perms
		}
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return allPermissions
	}
	return perms
}

// isAdminLocked reports whether the user bypasses every permission check
// in the guild: the owner or a holder of ADMINISTRATOR.
func (s *Sim) isAdminLocked(g *guild, userID string) bool {
	return g != nil && g.members[userID] != nil && s.basePermsLocked(g, userID) == allPermissions
}

// channelPermsLocked is compute_overwrites in permissions.mdx: owner and
// ADMINISTRATOR bypass overwrites; otherwise the @everyone overwrite, then
// all of the member's role overwrites together, then the member's own.
// Then the implicit rules: without VIEW_CHANNEL a member has no permission
// in the channel at all ("Denying a user or a role VIEW_CHANNEL on a
// channel implicitly denies other permissions on the channel"), and in a
// text channel without SEND_MESSAGES the permissions that go with sending
// (implicitlyDeniedWithoutSend) are ignored.
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
	if base == allPermissions {
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
	if perms&discordgo.PermissionViewChannel == 0 {
		return 0
	}
	if isTextChannel(ch.typ) && perms&discordgo.PermissionSendMessages == 0 {
		perms &^= implicitlyDeniedWithoutSend
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

// Permissions returns the user's computed permissions in a channel, the
// implicit denials applied.
func (s *Sim) Permissions(userID, channelID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelPermsLocked(s.channels[channelID], userID)
}

// BasePermissions returns the user's guild-level permissions (@everyone
// and their roles; everything for the owner and administrators).
func (s *Sim) BasePermissions(guildID, userID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.basePermsLocked(s.guilds[guildID], userID)
}

func (s *Sim) hasPerm(userID, channelID string, p int64) bool {
	return s.Permissions(userID, channelID)&p == p
}

// SetEveryonePermissions sets the guild's @everyone permissions, as an
// admin would in Server Settings (GUILD_ROLE_UPDATE). It is
// SetRolePermissions with the guild id as the role.
func (s *Sim) SetEveryonePermissions(guildID string, perms int64) {
	s.SetRolePermissions(guildID, guildID, perms)
}

// SetChannelOverwrites replaces a guild channel's permission overwrites, as
// an admin editing the channel or category by hand would: the bot gets
// CHANNEL_UPDATE. Editing a category also updates the children synced to
// it — those whose overwrites were the category's — each with its own
// CHANNEL_UPDATE (permissions.mdx, "Permission Syncing"). It reports
// whether the channel exists.
func (s *Sim) SetChannelOverwrites(channelID string, overwrites []Overwrite) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil || ch.guildID == "" {
		return false
	}
	s.setOverwritesLocked(ch, slices.Clone(overwrites))
	return true
}

// setOverwritesLocked replaces ch's overwrites, carries the change to
// children synced to a category, and dispatches CHANNEL_UPDATE for each
// channel that changed.
func (s *Sim) setOverwritesLocked(ch *channel, ows []Overwrite) {
	old := ch.overwrites
	ch.overwrites = ows
	if ch.typ == int(discordgo.ChannelTypeGuildCategory) {
		if g := s.guilds[ch.guildID]; g != nil {
			for _, id := range g.channels {
				if child := s.channels[id]; child.parentID == ch.id && sameOverwrites(child.overwrites, old) {
					child.overwrites = slices.Clone(ows)
					s.dispatchChannelUpdateLocked(child)
				}
			}
		}
	}
	s.dispatchChannelUpdateLocked(ch)
}

func (s *Sim) dispatchChannelUpdateLocked(ch *channel) {
	if g := s.guilds[ch.guildID]; g != nil && g.botIn {
		s.dispatchLocked(g.id, intentGuilds, "CHANNEL_UPDATE", s.channelJSONLocked(ch))
	}
}

// sameOverwrites compares two overwrite lists as sets: a channel whose
// overwrites equal its category's is synced to it.
func sameOverwrites(a, b []Overwrite) bool {
	if len(a) != len(b) {
		return false
	}
	for _, o := range a {
		if !slices.Contains(b, o) {
			return false
		}
	}
	return true
}

// DeleteChannel deletes a guild channel as a person would by hand: the bot
// gets CHANNEL_DELETE, the channel's messages are gone, and a category's
// children lose their parent (a CHANNEL_UPDATE each), as Delete/Close
// Channel describes. It reports whether the channel existed.
func (s *Sim) DeleteChannel(channelID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil || ch.guildID == "" {
		return false
	}
	s.deleteChannelLocked(ch)
	return true
}

func contains(list []string, v string) bool {
	return slices.Contains(list, v)
}
