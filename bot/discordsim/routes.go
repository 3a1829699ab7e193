package discordsim

import (
	"slices"
	"strings"
	"sync"
)

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
	method string
	tmpl   string // Discord's path template, spec parameter names
	// op is the spec's operationId; deprecated is set for an operation
	// the spec marks deprecated (deprecated: true, or an operationId
	// starting "deprecated_", which is how the spec marks them today).
	// TestSpecRoutes keeps both equal to testdata/discord-routes.txt; they
	// live here so a world knows them at run time, without testdata.
	op         string
	deprecated bool
	segs       []string
	h          handlerFunc
	world      worldBy
	msgRate    bool // a per-channel message bucket (MessageLimit): creating and editing messages
	noGlob     bool // exempt from the global limit (interaction callbacks)
}

// routeTable lists every REST route the simulator serves. Literal segments
// win over parameters at the same position (e.g. /messages/pins before
// /messages/{message_id}), see match.
var routeTable = buildRoutes([]route{
	{method: "GET", tmpl: "/gateway", op: "get_gateway", h: getGateway, world: byNone},
	{method: "GET", tmpl: "/gateway/bot", op: "get_bot_gateway", h: getGatewayBot},

	{method: "GET", tmpl: "/users/@me", op: "get_my_user", h: getMe},
	{method: "GET", tmpl: "/users/@me/guilds", op: "list_my_guilds", h: getMyGuilds},
	{method: "DELETE", tmpl: "/users/@me/guilds/{guild_id}", op: "leave_guild", h: leaveGuild},
	{method: "POST", tmpl: "/users/@me/channels", op: "create_dm", h: createDM},
	{method: "GET", tmpl: "/users/{user_id}", op: "get_user", h: getUser},

	{method: "GET", tmpl: "/applications/@me", op: "get_my_application", h: getApplication},
	{method: "GET", tmpl: "/oauth2/applications/@me", op: "get_my_oauth2_application", h: getApplication},

	{method: "GET", tmpl: "/applications/{application_id}/commands", op: "list_application_commands", h: listCommands},
	{method: "POST", tmpl: "/applications/{application_id}/commands", op: "create_application_command", h: createCommand},
	{method: "PUT", tmpl: "/applications/{application_id}/commands", op: "bulk_set_application_commands", h: overwriteCommands},
	{method: "GET", tmpl: "/applications/{application_id}/commands/{command_id}", op: "get_application_command", h: getCommand},
	{method: "PATCH", tmpl: "/applications/{application_id}/commands/{command_id}", op: "update_application_command", h: editCommand},
	{method: "DELETE", tmpl: "/applications/{application_id}/commands/{command_id}", op: "delete_application_command", h: deleteCommand},
	{method: "GET", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands", op: "list_guild_application_commands", h: listCommands},
	{method: "POST", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands", op: "create_guild_application_command", h: createCommand},
	{method: "PUT", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands", op: "bulk_set_guild_application_commands", h: overwriteCommands},
	{method: "GET", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", op: "get_guild_application_command", h: getCommand},
	{method: "PATCH", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", op: "update_guild_application_command", h: editCommand},
	{method: "DELETE", tmpl: "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", op: "delete_guild_application_command", h: deleteCommand},

	{method: "POST", tmpl: "/interactions/{interaction_id}/{interaction_token}/callback", op: "create_interaction_response", h: interactionCallback, world: byInteraction, noGlob: true},

	{method: "POST", tmpl: "/webhooks/{webhook_id}/{webhook_token}", op: "execute_webhook", h: webhookExecute, world: byWebhook},
	{method: "GET", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/@original", op: "get_original_webhook_message", h: webhookGetMessage, world: byWebhook},
	{method: "PATCH", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/@original", op: "update_original_webhook_message", h: webhookEditMessage, world: byWebhook},
	{method: "DELETE", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/@original", op: "delete_original_webhook_message", h: webhookDeleteMessage, world: byWebhook},
	{method: "GET", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", op: "get_webhook_message", h: webhookGetMessage, world: byWebhook},
	{method: "PATCH", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", op: "update_webhook_message", h: webhookEditMessage, world: byWebhook},
	{method: "DELETE", tmpl: "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", op: "delete_webhook_message", h: webhookDeleteMessage, world: byWebhook},

	{method: "GET", tmpl: "/guilds/{guild_id}", op: "get_guild", h: getGuild},
	{method: "GET", tmpl: "/guilds/{guild_id}/channels", op: "list_guild_channels", h: listGuildChannels},
	{method: "POST", tmpl: "/guilds/{guild_id}/channels", op: "create_guild_channel", h: createGuildChannel},
	{method: "GET", tmpl: "/guilds/{guild_id}/roles", op: "list_guild_roles", h: listRoles},
	{method: "GET", tmpl: "/guilds/{guild_id}/members", op: "list_guild_members", h: listMembers},
	{method: "GET", tmpl: "/guilds/{guild_id}/members/{user_id}", op: "get_guild_member", h: getMember},
	{method: "GET", tmpl: "/guilds/{guild_id}/scheduled-events", op: "list_guild_scheduled_events", h: listScheduledEvents},
	{method: "POST", tmpl: "/guilds/{guild_id}/scheduled-events", op: "create_guild_scheduled_event", h: createScheduledEvent},
	{method: "GET", tmpl: "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", op: "get_guild_scheduled_event", h: getScheduledEvent},
	{method: "PATCH", tmpl: "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", op: "update_guild_scheduled_event", h: updateScheduledEvent},
	{method: "DELETE", tmpl: "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", op: "delete_guild_scheduled_event", h: deleteScheduledEvent},

	{method: "GET", tmpl: "/channels/{channel_id}", op: "get_channel", h: getChannel},
	{method: "PATCH", tmpl: "/channels/{channel_id}", op: "update_channel", h: editChannel},
	{method: "DELETE", tmpl: "/channels/{channel_id}", op: "delete_channel", h: deleteChannel},
	{method: "PUT", tmpl: "/channels/{channel_id}/permissions/{overwrite_id}", op: "set_channel_permission_overwrite", h: putOverwrite},
	{method: "DELETE", tmpl: "/channels/{channel_id}/permissions/{overwrite_id}", op: "delete_channel_permission_overwrite", h: deleteOverwrite},
	{method: "GET", tmpl: "/channels/{channel_id}/messages", op: "list_messages", h: listMessages},
	{method: "POST", tmpl: "/channels/{channel_id}/messages", op: "create_message", h: createMessage, msgRate: true},
	{method: "GET", tmpl: "/channels/{channel_id}/messages/pins", op: "list_pins", h: listPinsV2},
	{method: "PUT", tmpl: "/channels/{channel_id}/messages/pins/{message_id}", op: "create_pin", h: pinMessage},
	{method: "DELETE", tmpl: "/channels/{channel_id}/messages/pins/{message_id}", op: "delete_pin", h: unpinMessage},
	{method: "GET", tmpl: "/channels/{channel_id}/messages/{message_id}", op: "get_message", h: getMessage},
	// Edits are limited per channel like creating messages (MessageLimit).
	{method: "PATCH", tmpl: "/channels/{channel_id}/messages/{message_id}", op: "update_message", h: editMessage, msgRate: true},
	{method: "DELETE", tmpl: "/channels/{channel_id}/messages/{message_id}", op: "delete_message", h: deleteMessage},
	{method: "GET", tmpl: "/channels/{channel_id}/pins", op: "deprecated_list_pins", deprecated: true, h: listPins},
	{method: "PUT", tmpl: "/channels/{channel_id}/pins/{message_id}", op: "deprecated_create_pin", deprecated: true, h: pinMessage},
	{method: "DELETE", tmpl: "/channels/{channel_id}/pins/{message_id}", op: "deprecated_delete_pin", deprecated: true, h: unpinMessage},
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

// OperationUse is how often the process's simulators served one
// operation of Discord's spec.
type OperationUse struct {
	Operation  string // the spec's operationId, e.g. "create_message"
	Method     string
	Route      string // the path template
	Deprecated bool   // the spec marks the operation deprecated
	Count      int
}

// served counts, process-wide, the requests each route matched.
var served struct {
	mu     sync.Mutex
	counts map[*route]int
}

func noteServed(rt *route) {
	served.mu.Lock()
	defer served.mu.Unlock()
	if served.counts == nil {
		served.counts = map[*route]int{}
	}
	served.counts[rt]++
}

// OperationsServed lists every operation any world in this process has
// been asked for — every REST request that matched a route, whatever its
// outcome — sorted by operationId. It is safe for concurrent use, so a
// package's TestMain can check after m.Run that no test made the bot call
// an operation Discord has deprecated:
//
//	for _, u := range discordsim.OperationsServed() {
//		if u.Deprecated { /* fail: u.Operation, u.Method, u.Route, u.Count */ }
//	}
//
// The simulator still serves deprecated operations, as Discord does; it
// reports them here, on each Request and in Stats.Deprecated.
func OperationsServed() []OperationUse {
	served.mu.Lock()
	defer served.mu.Unlock()
	out := make([]OperationUse, 0, len(served.counts))
	for rt, n := range served.counts {
		out = append(out, OperationUse{Operation: rt.op, Method: rt.method, Route: rt.tmpl, Deprecated: rt.deprecated, Count: n})
	}
	slices.SortFunc(out, func(a, b OperationUse) int { return strings.Compare(a.Operation, b.Operation) })
	return out
}

// DeprecatedOperationsServed is the deprecated part of OperationsServed.
func DeprecatedOperationsServed() []OperationUse {
	return slices.DeleteFunc(OperationsServed(), func(u OperationUse) bool { return !u.Deprecated })
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
