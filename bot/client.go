package bot

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordurl"
)

// newSession is the discordgo session of a bot, before any gateway
// setting: the token, the REST transport (retries and the global rate
// limit) and where api_url and gateway_url point. o has New's defaults.
func newSession(o Options) (*discordgo.Session, error) {
	dg, err := discordgo.New("Bot " + o.Token)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	// Transient failures (5xx, dropped connections) are retried in one
	// place, within each call's budget; every attempt waits its turn at
	// the global limiter. The transport bounds each attempt (no client
	// timeout: it would cut the budgets short), and does discordgo's 502
	// retries, which would otherwise multiply its own.
	var out http.RoundTripper = http.DefaultTransport
	if o.Metrics != nil {
		out = metricsTransport{next: out, m: o.Metrics}
	}
	dg.Client = &http.Client{Transport: newRetryTransport(newGlobalLimiter(out, o.GlobalRateLimit), o.Retry, o.Logger)}
	dg.MaxRestRetries = 0
	// api_url and gateway_url, both redirected in one place.
	if err := discordurl.Configure(dg, o.APIURL, o.GatewayURL); err != nil {
		return nil, fmt.Errorf("bot: api_url/gateway_url: %w", err)
	}
	dg.UserAgent = "DiscordBot (https://github.com/circlebot/circlebot, 1) circlebot"
	// The bot reads nothing from discordgo's cache: interactions carry the
	// member and permissions, and the store is the truth. With the state
	// off, discordgo keeps only READY's user and session (it needs those).
	dg.StateEnabled = false
	dg.LogLevel = discordgo.LogWarning
	return dg, nil
}

// RESTSession is a discordgo session for REST calls only, never opened:
// the token, api_url, retries and rate limit exactly as a bot's. token is
// without the "Bot " prefix; apiURL "" is Discord's. `circlebot check`
// uses it.
func RESTSession(token, apiURL string, log *slog.Logger) (*discordgo.Session, error) {
	if token == "" {
		return nil, fmt.Errorf("bot: no token")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newSession(Options{Token: token, APIURL: apiURL, Logger: log, GlobalRateLimit: defaultGlobalRateLimit})
}

// defaultGlobalRateLimit is Options.GlobalRateLimit's default: REST
// requests per second, under Discord's 50.
const defaultGlobalRateLimit = 47
