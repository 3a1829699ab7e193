package discordsim

import (
	"time"
)

// Builders for Discord's JSON objects. They are maps rather than
// discordgo structs so that the wire shape follows the API spec (null vs
// absent, string-encoded permissions) independent of discordgo's tags.

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000+00:00") }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Sim) userJSONLocked(id string) map[string]any {
	u := s.users[id]
	if u == nil {
		u = &user{id: id, name: "unknown"}
	}
	m := map[string]any{
		"id": u.id, "username": u.name, "discriminator": "0", "global_name": u.name,
		"avatar": nil, "public_flags": 0, "flags": 0,
	}
	if u.bot {
		m["bot"] = true
		m["discriminator"] = "0000"
		m["global_name"] = nil
	}
	return m
}

func (s *Sim) memberJSONLocked(g *guild, m *member, withGuild bool) map[string]any {
	roles := m.roles
	if roles == nil {
		roles = []string{}
	}
	out := map[string]any{
		"user": s.userJSONLocked(m.userID), "roles": roles, "joined_at": ts(m.joinedAt),
		"nick": nil, "avatar": nil, "deaf": false, "mute": false, "flags": 0, "pending": false,
		"premium_since": nil, "communication_disabled_until": nil,
	}
	if withGuild {
		out["guild_id"] = g.id
	}
	return out
}

func roleJSON(r *role) map[string]any {
	m := map[string]any{
		"id": r.id, "name": r.name, "permissions": itoa(r.perms), "position": r.position,
		"color": 0, "hoist": false, "managed": r.managed, "mentionable": false, "flags": 0,
		"icon": nil, "unicode_emoji": nil,
	}
	return m
}

func (s *Sim) channelJSONLocked(ch *channel) map[string]any {
	if ch.guildID == "" {
		return map[string]any{
			"id": ch.id, "type": ch.typ, "last_message_id": nullable(last(ch.msgs)), "flags": 0,
			"recipients": []any{s.userJSONLocked(ch.recipient)},
		}
	}
	ows := make([]map[string]any, 0, len(ch.overwrites))
	for _, o := range ch.overwrites {
		ows = append(ows, map[string]any{"id": o.ID, "type": o.Type, "allow": itoa(o.Allow), "deny": itoa(o.Deny)})
	}
	m := map[string]any{
		"id": ch.id, "type": ch.typ, "guild_id": ch.guildID, "name": ch.name, "position": ch.position,
		"parent_id": nullable(ch.parentID), "permission_overwrites": ows, "nsfw": false, "flags": 0,
	}
	if ch.typ == 0 {
		m["topic"] = nullable(ch.topic)
		m["last_message_id"] = nullable(last(ch.msgs))
		m["rate_limit_per_user"] = 0
	}
	return m
}

func last(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

func (s *Sim) guildJSONLocked(g *guild) map[string]any {
	roles := make([]any, 0, len(g.rorder))
	for _, id := range g.rorder {
		roles = append(roles, roleJSON(g.roles[id]))
	}
	return map[string]any{
		"id": g.id, "name": g.name, "icon": nil, "splash": nil, "discovery_splash": nil,
		"owner_id": g.ownerID, "afk_channel_id": nil, "afk_timeout": 300,
		"verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
		"roles": roles, "emojis": []any{}, "stickers": []any{}, "features": []any{}, "mfa_level": 0,
		"application_id": nil, "system_channel_id": nullable(g.general), "system_channel_flags": 0,
		"rules_channel_id": nil, "vanity_url_code": nil, "description": nil, "banner": nil,
		"premium_tier": 0, "preferred_locale": orDefaultLocale(g.locale), "public_updates_channel_id": nil,
		"nsfw_level": 0, "premium_progress_bar_enabled": false, "region": "deprecated",
	}
}

// guildCreateLocked is the GUILD_CREATE payload: the guild plus the extra
// gateway-only fields. Members are sent in full for small guilds, as
// Discord does below large_threshold.
func (s *Sim) guildCreateLocked(g *guild, largeThreshold int) map[string]any {
	m := s.guildJSONLocked(g)
	chans := make([]any, 0, len(g.channels))
	for _, id := range g.channels {
		chans = append(chans, s.channelJSONLocked(s.channels[id]))
	}
	large := len(g.members) > largeThreshold
	var members []any
	for _, id := range g.morder {
		if large && id != s.botID && id != g.ownerID {
			continue
		}
		members = append(members, s.memberJSONLocked(g, g.members[id], false))
	}
	joined := g.created
	if bm := g.members[s.botID]; bm != nil {
		joined = bm.joinedAt
	}
	m["joined_at"] = ts(joined)
	m["large"] = large
	m["unavailable"] = false
	m["member_count"] = len(g.members)
	m["members"] = members
	m["channels"] = chans
	m["threads"] = []any{}
	m["presences"] = []any{}
	m["voice_states"] = []any{}
	m["stage_instances"] = []any{}
	m["guild_scheduled_events"] = []any{}
	return m
}

func (s *Sim) messageJSONLocked(m *message) map[string]any {
	atts := make([]any, 0, len(m.Attachments))
	for i, a := range m.Attachments {
		id := m.ID + itoa(int64(i))
		atts = append(atts, map[string]any{
			"id": id, "filename": a.Name, "size": len(a.Data), "content_type": a.ContentType,
			"url":       "https://cdn.discordapp.com/attachments/" + m.ChannelID + "/" + id + "/" + a.Name,
			"proxy_url": "https://media.discordapp.net/attachments/" + m.ChannelID + "/" + id + "/" + a.Name,
		})
	}
	comps := m.Components
	if comps == nil {
		comps = []Component{}
	}
	var edited any
	if !m.Edited.IsZero() {
		edited = ts(m.Edited)
	}
	out := map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "author": s.userJSONLocked(m.AuthorID),
		"content": m.Content, "timestamp": ts(m.Created), "edited_timestamp": edited,
		"tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
		"attachments": atts, "embeds": embedsOrEmpty(m.Embeds), "components": comps,
		"pinned": m.Pinned, "type": m.typ, "flags": m.Flags,
	}
	if m.GuildID != "" {
		out["guild_id"] = m.GuildID
	}
	if m.webhookID != "" {
		out["webhook_id"] = m.webhookID
		out["application_id"] = s.appID
	}
	return out
}

// messageCreateJSONLocked is the message as Create Message returns it
// and MESSAGE_CREATE carries it: with the nonce it was sent with, which
// later reads (GET, MESSAGE_UPDATE) do not echo.
func (s *Sim) messageCreateJSONLocked(m *message) map[string]any {
	out := s.messageJSONLocked(m)
	if m.nonceRaw != nil {
		out["nonce"] = m.nonceRaw
	}
	return out
}

func embedsOrEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
