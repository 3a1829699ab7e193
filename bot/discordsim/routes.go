package discordsim

import "strings"

// handlerFunc serves one route with the world locked. It returns the
// status and JSON body, or a Discord error.
type handlerFunc func(s *Sim, c *reqCtx) (int, any, *apiError)

// worldBy says how a route finds its world.
type worldBy int

const (
	byToken       worldBy = iota // Authorization: Bot <token>
	byInteraction                // interaction id in the path (callback; no auth)
	byWebhook                    // interaction token in the path (webhooks; no auth)
	byNone                       // no world needed (GET /gateway)
)

type route struct {
	method  string
	tmpl    string // Discord's path template, spec parameter names
	segs    []string
	h       handlerFunc
	world   worldBy
	msgRate bool // message-creation bucket (MessageLimit)
	noGlob  bool // exempt from the global limit (interaction callbacks)
}

// routeTable lists every REST route the simulator serves. Literal segments
// win over parameters at the same position (e.g. /messages/pins before
// /messages/{message_id}), see match.
var routeTable = buildRoutes([]route{
	{method: "GET", tmpl: "/gateway", h: getGateway, world: byNone},
	{method: "GET", tmpl: "/gateway/bot", h: getGatewayBot},

	{method: "GET", tmpl: "/users/@me", h: getMe},
	{method: "GET", tmpl: "/users/@me/guilds", h: getMyGuilds},
	{method: "DELETE", tmpl: "/users/@me/guilds/{guild_id}", h: leaveGuild},
	{method: "POST", tmpl: "/users/@me/channels", h: createDM},
	{method: "GET", tmpl: "/users/{user_id}", h: getUser},

	{method: "GET", tmpl: "/applications/@me", h: getApplication},
	{method: "GET", tmpl: "/oauth2/applications/@me", h: getApplication},

	{method: "GET", tmpl: "/applications/{application_id}/commands", h: listCommands},
	{method: "POST", tmpl: "/applications/{application_id}/commands", h: createCommand},
	{method: "PUT", tmpl: "/applications/{application_id}/commands", h: overwriteCommands},
	{method: "GET", tmpl: "/applications/{application_id}/commands/{command_id}", h: getCommand},
	{method: "PATCH", tmpl: "/applications/{application_id}/commands/{command_id}", h: editCommand},
	{method: "DELETE", tmpl: "/applications/{application_id}/commands/{command_id}", h: deleteCommand},
	{method: "GET", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands", h: listCommands},
	{method: "POST", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands", h: createCommand},
	{method: "PUT", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands", h: overwriteCommands},
	{method: "GET", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", h: getCommand},
	{method: "PATCH", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", h: editCommand},
	{method: "DELETE", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", h: deleteCommand},

	{method: "POST", tmpl: "/interactions/{interaction_id}/{interaction_token}/callback", h: interactionCallback, world: byInteraction, noGlob: true},

	{method: "POST", tmpl: "/webhooks/{webhook_id}/{webhook_token}", h: webhookExecute, world: byWebhook},
	{method: "GET", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/@original", h: webhookGetMessage, world: byWebhook},
	{method: "PATCH", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/@original", h: webhookEditMessage, world: byWebhook},
	{method: "DELETE", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/@original", h: webhookDeleteMessage, world: byWebhook},
	{method: "GET", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", h: webhookGetMessage, world: byWebhook},
	{method: "PATCH", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", h: webhookEditMessage, world: byWebhook},
	{method: "DELETE", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", h: webhookDeleteMessage, world: byWebhook},

	{method: "GET", tmpl: "/guilds/{guild_id}", h: getGuild},
	{method: "GET", tmpl: "/guilds/{guild_id}/channels", h: listGuildChannels},
	{method: "POST", tmpl: "/guilds/{guild_id}/channels", h: createGuildChannel},
	{method: "GET", tmpl: "/guilds/{guild_id}/roles", h: listRoles},
	{method: "GET", tmpl: "/guilds/{guild_id}/members", h: listMembers},
	{method: "GET", tmpl: "/guilds/{guild_id}/members/{user_id}", h: getMember},

	{method: "GET", tmpl: "/channels/{channel_id}", h: getChannel},
	{method: "PATCH", tmpl: "/channels/{channel_id}", h: editChannel},
	{method: "DELETE", tmpl: "/channels/{channel_id}", h: deleteChannel},
	{method: "PUT", tmpl: "/channels/{channel_id}/permissions/{overwrite_id}", h: putOverwrite},
	{method: "DELETE", tmpl: "/channels/{channel_id}/permissions/{overwrite_id}", h: deleteOverwrite},
	{method: "GET", tmpl: "/channels/{channel_id}/messages", h: listMessages},
	{method: "POST", tmpl: "/channels/{channel_id}/messages", h: createMessage, msgRate: true},
	{method: "GET", tmpl: "/channels/{channel_id}/messages/pins", h: listPinsV2},
	{method: "PUT", tmpl: "/channels/{channel_id}/messages/pins/{message_id}", h: pinMessage},
	{method: "DELETE", tmpl: "/channels/{channel_id}/messages/pins/{message_id}", h: unpinMessage},
	{method: "GET", tmpl: "/channels/{channel_id}/messages/{message_id}", h: getMessage},
	{method: "PATCH", tmpl: "/channels/{channel_id}/messages/{message_id}", h: editMessage},
	{method: "DELETE", tmpl: "/channels/{channel_id}/messages/{message_id}", h: deleteMessage},
	{method: "GET", tmpl: "/channels/{channel_id}/pins", h: listPins},
	{method: "PUT", tmpl: "/channels/{channel_id}/pins/{message_id}", h: pinMessage},
	{method: "DELETE", tmpl: "/channels/{channel_id}/pins/{message_id}", h: unpinMessage},
})

func buildRoutes(rs []route) []route {
	for i := range rs {
		rs[i].segs = strings.Split(strings.Trim(rs[i].tmpl, "/"), "/")
	}
	return rs
}

// Routes lists the served routes as "METHOD /template" lines, for the
// spec check and for documentation.
func Routes() []string {
	out := make([]string, len(routeTable))
	for i, r := range routeTable {
		out[i] = r.method + " " + r.tmpl
	}
	return out
}

// match finds the route for method and path. A literal segment beats a
// parameter, so the most specific template wins regardless of table order.
// methodOK reports whether the path matched with some other method.
func match(method, path string) (r *route, params map[string]string, pathOK bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	bestScore := -1
	for i := range routeTable {
		rt := &routeTable[i]
		if len(rt.segs) != len(segs) {
			continue
		}
		score, ok := 0, true
		for j, s := range rt.segs {
			if isParam(s) {
				if segs[j] == "" {
					ok = false
					break
				}
				continue
			}
			if s != segs[j] {
				ok = false
				break
			}
			score += 1 << (len(segs) - j) // earlier literals weigh more
		}
		if !ok {
			continue
		}
		pathOK = true
		if rt.method != method || score <= bestScore {
			continue
		}
		bestScore, r = score, rt
	}
	if r == nil {
		return nil, nil, pathOK
	}
	params = map[string]string{}
	for j, s := range r.segs {
		if isParam(s) {
			params[strings.Trim(s, "{}")] = segs[j]
		}
	}
	return r, params, true
}

func isParam(s string) bool { return strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") }

// bucketKey is the route plus its major parameter, as Discord buckets.
func (r *route) bucketKey(p map[string]string) string {
	switch {
	case p["channel_id"] != "":
		return r.method + " " + r.tmpl + " " + p["channel_id"]
	case p["guild_id"] != "":
		return r.method + " " + r.tmpl + " " + p["guild_id"]
	case p["webhook_token"] != "":
		return r.method + " " + r.tmpl + " " + p["webhook_id"] + "/" + p["webhook_token"]
	case p["interaction_token"] != "":
		return r.method + " " + r.tmpl + " " + p["interaction_id"] + "/" + p["interaction_token"]
	}
	return r.method + " " + r.tmpl
}
