// Package discordsim is an in-process fake of Discord that the real
// discordgo client cannot tell apart from the real service: it serves the
// REST routes circlebot uses (shapes from Discord's OpenAPI spec, listed
// with their operationIds in testdata/discord-routes.txt) and the gateway
// websocket (HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats, RESUME,
// INTERACTION_CREATE, and REQUEST_GUILD_MEMBERS answered with
// GUILD_MEMBERS_CHUNK or RATE_LIMITED …) on a loopback listener, with
// Discord-shaped errors and close codes, rate-limit headers and 429s,
// Discord's size limits, and Discord's permission rules as they stand
// today (Pin Messages, 50001 vs 50013, overwrite limits; see perms.go).
// It is strict by default: there is nothing to opt into.
//
// The gateway shards as Discord does: an IDENTIFY with shard [id, count]
// gets the events of its guilds only ((guild_id >> 22) % count), shard 0
// those of no guild (DMs) too; 4010 for a shard the count doesn't have,
// 4011 for an unsharded bot in 2,500 guilds or a shard of more than 2,500;
// an IDENTIFY within 5 s of the last in its bucket (shard_id %
// max_concurrency, Options.MaxConcurrency) is answered INVALID_SESSION;
// GET /gateway/bot recommends a shard per 1,000 guilds and gives the
// session start limit. Guilds made one after another get IDs that go
// round the shards.
//
// discordgo keeps its endpoint URLs in process globals, so every simulator
// in a process shares one listener and one base URL (see
// bot/discordurl.Redirect). Each New call creates an isolated "world" with
// its own bot token, application and bot user; requests find their world by
// the bot token, interaction and webhook routes by the globally unique
// interaction token. That lets parallel tests each own a world.
//
// Tests drive a world through the Go API: build guilds, roles, members and
// channels; act as a user (RunCommand, Click, SubmitModal, Autocomplete,
// MessageCommand, PostUserMessage); read what the bot did (Channels,
// Messages, Pins, DMs, Commands, Requests); and inject faults (FailNext,
// SetFailureRate, LoseNext and SetLossRate — carried out, response lost —,
// Force429, SetLatency, DropGateway, DropShard, RefuseShard, InvalidateSession,
// IgnoreMemberRequests), random ones reproducible by seed
// (Options.FaultSeed). Calls of operations the spec deprecates are served
// but reported (Request.Deprecated, Stats.Deprecated, OperationsServed).
// RemoveMemberQuietly is a member who left while the bot was offline: no
// event, only a REQUEST_GUILD_MEMBERS finds it out.
package discordsim
