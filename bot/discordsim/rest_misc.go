package discordsim

import (
	"net/http"
	"slices"
	"strconv"
)

func getGateway(s *Sim, c *reqCtx) (int, any, *apiError) {
	return http.StatusOK, map[string]any{"url": s.GatewayURL()}, nil
}

// getGatewayBot recommends a shard per 1,000 guilds, as Discord does, and
// gives the session start limit: IDENTIFYs left today and the
// max_concurrency the world has (Options.MaxConcurrency).
func getGatewayBot(s *Sim, c *reqCtx) (int, any, *apiError) {
	n := 0
	for _, g := range s.guilds {
		if g.botIn {
			n++
		}
	}
	return http.StatusOK, map[string]any{
		"url": s.GatewayURL(), "shards": max(1, (n+999)/1000), "session_start_limit": s.sessionStartLimitLocked(),
	}, nil
}

func getMe(s *Sim, c *reqCtx) (int, any, *apiError) {
	u := s.userJSONLocked(s.botID)
	u["verified"] = true
	u["mfa_enabled"] = false
	return http.StatusOK, u, nil
}

func getUser(s *Sim, c *reqCtx) (int, any, *apiError) {
	id := c.params["user_id"]
	if s.users[id] == nil {
		return 0, nil, errUnknownUser()
	}
	return http.StatusOK, s.userJSONLocked(id), nil
}

func getMyGuilds(s *Sim, c *reqCtx) (int, any, *apiError) {
	out := []any{}
	for _, id := range s.gorder {
		g := s.guilds[id]
		if !g.botIn {
			continue
		}
		out = append(out, map[string]any{"id": g.id, "name": g.name, "icon": nil, "owner": false,
			"permissions": itoa(s.basePermsLocked(g, s.botID)), "features": []any{}})
	}
	return http.StatusOK, out, nil
}

func leaveGuild(s *Sim, c *reqCtx) (int, any, *apiError) {
	if !s.removeBotLocked(c.params["guild_id"], true) {
		return 0, nil, errUnknownGuild()
	}
	return http.StatusNoContent, nil, nil
}

func getApplication(s *Sim, c *reqCtx) (int, any, *apiError) {
	return http.StatusOK, map[string]any{
		"id": s.appID, "name": s.opts.BotName, "icon": nil, "description": "",
		"bot_public": true, "bot_require_code_grant": false, "verify_key": randomHex(32),
		"flags": s.appFlagsLocked(), "bot": s.userJSONLocked(s.botID), "owner": map[string]any{"id": s.appID, "username": "owner", "discriminator": "0"},
		"team": nil, "summary": "", "hook": true, "approximate_guild_count": len(s.gorder),
	}, nil
}

// botGuildLocked finds a guild the bot is in: 10004 Unknown Guild when
// there is none, 50001 Missing Access when the bot is not in it.
func (s *Sim) botGuildLocked(id string) (*guild, *apiError) {
	g := s.guilds[id]
	if g == nil {
		return nil, errUnknownGuild()
	}
	if !g.botIn {
		return nil, errMissingAccess()
	}
	return g, nil
}

func getGuild(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	out := s.guildJSONLocked(g)
	if c.query.Get("with_counts") == "true" {
		out["approximate_member_count"] = len(g.members)
		out["approximate_presence_count"] = 0
	}
	return http.StatusOK, out, nil
}

func listRoles(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, id := range g.rorder {
		out = append(out, roleJSON(g.roles[id]))
	}
	return http.StatusOK, out, nil
}

func getMember(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	m := g.members[c.params["user_id"]]
	if m == nil {
		if s.users[c.params["user_id"]] == nil {
			return 0, nil, errUnknownUser()
		}
		return 0, nil, errUnknownMember()
	}
	return http.StatusOK, s.memberJSONLocked(g, m, false), nil
}

// listMembers pages by user id like Discord: limit 1–1000 (default 1),
// members with id > after, in id order.
func listMembers(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	limit := 1
	if l := c.query.Get("limit"); l != "" {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 1 || n > 1000 {
			var fe formErrors
			fe.add("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 1000.")
			return 0, nil, fe.err()
		}
		limit = n
	}
	after := uint64(0)
	if a := c.query.Get("after"); a != "" {
		after, _ = strconv.ParseUint(a, 10, 64)
	}
	ids := make([]uint64, 0, len(g.members))
	for id := range g.members {
		n, _ := strconv.ParseUint(id, 10, 64)
		if n > after {
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	out := []any{}
	for _, n := range ids {
		if len(out) == limit {
			break
		}
		out = append(out, s.memberJSONLocked(g, g.members[strconv.FormatUint(n, 10)], false))
	}
	return http.StatusOK, out, nil
}

func createDM(s *Sim, c *reqCtx) (int, any, *apiError) {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	u := s.users[body.RecipientID]
	if u == nil || u.bot {
		return 0, nil, errUnknownUser()
	}
	if u.dmChannel == "" {
		ch := &channel{id: nextID(), typ: 1, recipient: u.id}
		s.channels[ch.id] = ch
		u.dmChannel = ch.id
	}
	return http.StatusOK, s.channelJSONLocked(s.channels[u.dmChannel]), nil
}
