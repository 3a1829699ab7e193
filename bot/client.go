package bot

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordurl"
)

// newSession is the discordgo session of a bot's REST calls, never opened
// (its shards have sessions of their own, which share its REST client):
// the token, the REST transport (retries and the global rate limit, whose
// limiter it returns; Options.GlobalRateLimit, or Discord's whole budget
// until the process knows its share) and where api_url and gateway_url
// point. o has New's defaults.
func newSession(o Options) (*discordgo.Session, *globalLimiter, error) {
	dg, err := discordgo.New("Bot " + o.Token)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: %w", err)
	}
	// Transient failures (5xx, dropped connections) are retried in one
	// place, within each call's budget; every attempt waits its turn at
	// the global limiter. The transport bounds each attempt (no client
	// timeout: it would cut the budgets short), and does discordgo's 502
	// retries, which would otherwise multiply its own.
	perSecond := o.GlobalRateLimit
	if perSecond == 0 {
		perSecond = defaultGlobalRateLimit
	}
	// Metrics count what reaches Discord: below the limiter, each attempt.
	var out http.RoundTripper = http.DefaultTransport
	if o.Metrics != nil {
		out = metricsTransport{next: out, m: o.Metrics}
	}
	limiter := newGlobalLimiter(out, perSecond)
	dg.Client = &http.Client{Transport: newRetryTransport(limiter, o.Retry, o.Logger)}
	dg.MaxRestRetries = 0
	// api_url and gateway_url, both redirected in one place.
	if err := discordurl.Configure(dg, o.APIURL, o.GatewayURL); err != nil {
		return nil, nil, fmt.Errorf("bot: api_url/gateway_url: %w", err)
	}
	dg.UserAgent = "DiscordBot (https://github.com/circlebot/circlebot, 1) circlebot"
	// The bot reads nothing from discordgo's cache: interactions carry the
	// member and permissions, and the store is the truth. With the state
	// off, discordgo keeps only READY's user and session (it needs those).
	dg.StateEnabled = false
	dg.LogLevel = discordgo.LogWarning
	return dg, limiter, nil
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
	dg, _, err := newSession(Options{Token: token, APIURL: apiURL, Logger: log, GlobalRateLimit: defaultGlobalRateLimit})
	return dg, err
}

// defaultGlobalRateLimit is the REST requests per second a bot allows
// itself in all its processes: with the limiter's burst of 3, no second
// sees more than Discord's 50. Each process takes its share by the shards
// it runs (Options.GlobalRateLimit).
const defaultGlobalRateLimit = 47
