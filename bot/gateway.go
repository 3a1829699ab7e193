package bot

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway close codes no retry gets past (opcodes-and-status-codes.mdx,
// "Gateway Close Event Codes": "reconnect: false"). Each needs a person:
// a new token, an intent enabled in the Developer Portal, a newer
// circlebot.
const (
	closeAuthenticationFailed = 4004
	closeShardingRequired     = 4011
	closeInvalidAPIVersion    = 4012
	closeInvalidIntents       = 4013
	closeDisallowedIntents    = 4014
)

// portal is where a bot's token and intents are managed.
const portal = "https://discord.com/developers/applications"

// TokenAdvice says how to get the bot token right; `circlebot check` gives
// it too when Discord answers a REST call with 401.
const TokenAdvice = "Discord did not accept the bot token. Get the right one in the Developer Portal (" + portal +
	" → your application → Bot → Reset Token), set DISCORD_TOKEN to it, and start circlebot again."

// GatewayError is Discord closing the gateway with a code retrying can't
// get past: the token is wrong, a privileged intent is not enabled, the
// bot needs sharding. Start returns it when Discord refuses the first
// connection.
type GatewayError struct {
	Code   int    // Discord's close code, such as 4004
	Reason string // the text Discord sent with it ("Authentication failed.")
	Advice string // what to do about it, for whoever runs the bot
	err    error
}

func (e *GatewayError) Error() string {
	reason := strings.TrimSuffix(e.Reason, ".")
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Sprintf("bot: Discord closed the gateway with %d (%s)", e.Code, reason)
}

func (e *GatewayError) Unwrap() error { return e.err }

// gatewayErrorIn finds a fatal gateway close in err: nil when err is no
// websocket close, or one discordgo is right to reconnect after.
func gatewayErrorIn(err error) *GatewayError {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return nil
	}
	advice := closeAdvice(ce.Code)
	if advice == "" {
		return nil
	}
	return &GatewayError{Code: ce.Code, Reason: ce.Text, Advice: advice, err: err}
}

// closeAdvice says in plain words what a fatal close code means and what
// to do; "" for a code that is not fatal.
func closeAdvice(code int) string {
	switch code {
	case closeAuthenticationFailed:
		return TokenAdvice
	case closeDisallowedIntents:
		return "Discord refused a privileged intent circlebot asks for: enable the " + privilegedIntentNames(Intents) +
			" in the Developer Portal (" + portal + " → your application → Bot → Privileged Gateway Intents), save, and start circlebot again."
	case closeInvalidIntents:
		return "Discord says the gateway intents circlebot asks for are invalid. That is a bug in circlebot, not in your setup: " +
			"please report it at https://github.com/circlebot/circlebot/issues with the output of `circlebot version`."
	case closeInvalidAPIVersion:
		return "Discord does not accept the gateway API version this circlebot speaks: " +
			"this circlebot is too old (or too new) for Discord's gateway. Upgrade circlebot to its latest release; " +
			"if discord.api_url names a version (/api/vN/), make it /api/v10/."
	case closeShardingRequired:
		return "Discord requires sharding: the bot is in 2,500 servers or more, and a bot that size must split its gateway " +
			"connection into shards, which this version of circlebot does not do yet."
	}
	return ""
}

// privilegedIntents are the intents Discord makes an application enable in
// the Developer Portal, by the names the portal gives them.
var privilegedIntents = []struct {
	bit  discordgo.Intent
	name string
}{
	{discordgo.IntentsGuildMembers, "Server Members Intent"},
	{discordgo.IntentsGuildPresences, "Presence Intent"},
	{discordgo.IntentsMessageContent, "Message Content Intent"},
}

// privilegedIntentNames names the privileged intents among intents, as the
// portal does: "Server Members Intent", or "A and B".
func privilegedIntentNames(intents discordgo.Intent) string {
	var names []string
	for _, p := range privilegedIntents {
		if intents&p.bit != 0 {
			names = append(names, p.name)
		}
	}
	switch len(names) {
	case 0:
		return "privileged intents"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
