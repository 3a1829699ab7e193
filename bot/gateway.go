package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway close codes no retry gets past (opcodes-and-status-codes.mdx,
// "Gateway Close Event Codes": "reconnect: false"). Each needs a person:
// a new token, an intent enabled in the Developer Portal, a newer
// circlebot.
const (
	closeAuthenticationFailed = 4004
	closeInvalidShard         = 4010
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
// bot needs more shards. Start returns it when Discord refuses the first
// connection of every shard the process runs, Wait when it has refused
// them all while running (a shard refused alone is logged, and the others
// carry on).
type GatewayError struct {
	Code   int    // Discord's close code, such as 4004
	Reason string // the text Discord sent with it ("Authentication failed.")
	Advice string // what to do about it, for whoever runs the bot
	Shard  int    // the shard refused (0 when unsharded)
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
		return "Discord requires more shards: one shard may carry at most 2,500 servers, and an unsharded bot fewer. " +
			"Set discord.shards to \"auto\" (the count Discord recommends, a shard per 1,000 servers) or to a larger number, " +
			"in every process of the bot, and start circlebot again."
	case closeInvalidShard:
		return "Discord refused the shard circlebot asked for: every ID in discord.shard_ids must be below discord.shards, " +
			"and every process of the bot must be given the same discord.shards. Fix the configuration and start circlebot again."
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

// errGatewayStopped is what a stopped bot's dialer answers discordgo,
// which would otherwise go on reconnecting forever.
var errGatewayStopped = errors.New("circlebot stopped this gateway session")

// gatewayWatch is how a shard's session stops for good once Discord
// refuses it: the shard's reconnections are the bot's own (shards.go, as
// discordgo's reconnect loop would only log a refusal), and a refused
// shard stops dialling, so that it doesn't knock on Discord's door with a
// bad token forever.
type gatewayWatch struct {
	once    sync.Once
	failed  chan struct{} // closed by fail
	err     *GatewayError // set before failed is closed
	stopped atomic.Bool   // the dialer refuses

	connMu sync.Mutex
	conn   net.Conn // the last connection dialled, for drop
}

func newGatewayWatch() *gatewayWatch {
	return &gatewayWatch{failed: make(chan struct{})}
}

// fail records the first fatal close and stops dialling.
func (w *gatewayWatch) fail(e *GatewayError) {
	w.once.Do(func() {
		w.err = e
		w.stop()
		close(w.failed)
	})
}

// stop makes the dialer refuse: discordgo's reconnect loop then fails
// without reaching Discord.
func (w *gatewayWatch) stop() { w.stopped.Store(true) }

// dialer is websocket's default dialer, refusing once the watch is stopped.
// discordgo reads Session.Dialer under the session's lock on every
// (re)connection, so it is set once, in New, and never swapped.
func (w *gatewayWatch) dialer() *websocket.Dialer {
	d := *websocket.DefaultDialer
	var nd net.Dialer
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if w.stopped.Load() {
			return nil, errGatewayStopped
		}
		c, err := nd.DialContext(ctx, network, addr)
		if err == nil {
			w.connMu.Lock()
			w.conn = c
			w.connMu.Unlock()
		}
		return c, err
	}
	return &d
}

// drop cuts the gateway's TCP connection without a close frame, for a
// quick close (see Bot.Close).
func (w *gatewayWatch) drop() {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	if w.conn != nil {
		w.conn.Close()
	}
}

// Wait blocks while the bot runs: until ctx is done (nil), or until
// Discord has refused every shard of the process for good (a
// *GatewayError, the last refusal; Close the bot then). A shard refused
// while others run is logged and left off: the others go on serving their
// servers, and the scheduler all of the process's (it needs only REST).
func (b *Bot) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-b.refused:
		return b.refusedErr
	}
}
