// Command circlebot is a Discord bot that hosts small, private, text-based
// peer support circles. Run `circlebot demo` to see it work against the
// built-in Discord simulator, or `circlebot run --config FILE` to serve a
// real server. It is peer support, not therapy or medical care.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	_ "time/tzdata" // schedules work on machines without a zoneinfo database

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/config"
	"github.com/circlebot/circlebot/data"
	"github.com/circlebot/circlebot/demo"
	"github.com/circlebot/circlebot/metrics"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // something went wrong while running; check: a permission is missing
	// exitUsage is bad usage or configuration, ours or Discord's: nothing
	// started, or Discord refused the gateway for good (a wrong token, a
	// privileged intent not enabled: bot.GatewayError).
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type command struct {
	name, usage, help string
	run               func(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"run", "run --config FILE", "Connect to Discord and serve: the bot token comes from the DISCORD_TOKEN environment variable.", cmdRun},
	{"check", "check --config FILE", "Log in with DISCORD_TOKEN and check, in every server the bot is in, that it has the permissions it needs.", cmdCheck},
	{"demo", "demo [--keep] [--serve]", "Start the built-in Discord simulator with a sample server and play a walkthrough (no token, no network).", cmdDemo},
	{"migrate", "migrate --config FILE", "Create the database or bring it up to date, then exit.", cmdMigrate},
	{"backup", "backup --config FILE --to PATH", "Copy the database to PATH safely, even while the bot runs.", cmdBackup},
	{"invite-url", "invite-url --config FILE", "Print the link that adds the bot to a server with the permissions it needs.", cmdInviteURL},
	{"restore", "restore --from FILE --config FILE", "Put a backup in place of the database, with the bot stopped; the old file is kept aside.", cmdRestore},
	{"version", "version", "Print the version and the source revision it was built from (also: circlebot --version).", cmdVersion},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "circlebot hosts private, text-based peer support circles on Discord.")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  circlebot %-34s %s\n", c.usage, c.help)
	}
	fmt.Fprintln(w, "\nRun `circlebot COMMAND --help` for a command's flags.")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.Usage = func() {
			fmt.Fprintf(fs.Output(), "Usage: circlebot %s\n\n%s\n", c.usage, c.help)
			if hasFlags(fs) {
				fmt.Fprintln(fs.Output(), "\nFlags:")
				printFlags(fs)
			}
		}
		return c.run(ctx, fs, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "circlebot: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parse parses flags; done is true when the caller should return code.
// Help that was asked for (-h, --help) goes to stdout; a usage error and
// the usage after it go to fs.Output(), stderr.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) (code int, done bool) {
	usage := fs.Usage
	fs.Usage = func() {} // flag calls it for help and errors alike; printed below
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, true
	}
	if err != nil {
		fs.Usage()
		return exitUsage, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "circlebot %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return 0, false
}

// parseConfig registers --config, parses args and loads the file. done is
// true when the caller should return code (help, bad usage, bad config).
func parseConfig(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (cfg config.Config, code int, done bool) {
	path := fs.String("config", "", "configuration `FILE` (TOML)")
	if code, done := parse(fs, args, stdout); done {
		return cfg, code, true
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return cfg, exitUsage, true
	}
	return cfg, exitOK, false
}

func loadConfig(path string, stderr io.Writer) (config.Config, bool) {
	if path == "" {
		fmt.Fprintln(stderr, "circlebot: --config FILE is required (start from config.example.toml)")
		return config.Config{}, false
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "circlebot: %v\n", err)
		return cfg, false
	}
	return cfg, true
}

func cmdRun(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	cfg, code, done := parseConfig(fs, args, stdout, stderr)
	if done {
		return code
	}
	if err := cfg.RequireToken(); err != nil {
		fmt.Fprintf(stderr, "circlebot: %v\n", err)
		return exitUsage
	}
	log := cfg.NewLogger(stderr)
	defer bot.LogDiscordgo(log)()
	clock := circles.SystemClock{}
	store, code, err := openStore(ctx, cfg, data.WithClock(clock))
	if code == exitUsage {
		fmt.Fprintf(stderr, "circlebot: %v\n", err)
		return code
	}
	if err != nil {
		log.Error("opening the database", "path", cfg.Data.Path, "err", err)
		return code
	}
	defer store.Close()
	m, stopMetrics, err := serveMetrics(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "circlebot: %v\n", err)
		return exitUsage
	}
	defer stopMetrics()
	b, err := bot.New(bot.Options{
		Token:           cfg.Token,
		ApplicationID:   cfg.Discord.ApplicationID,
		APIURL:          cfg.Discord.APIURL,
		GatewayURL:      cfg.Discord.GatewayURL,
		GuildIDs:        cfg.Discord.GuildIDs,
		Store:           store,
		Clock:           clock,
		Logger:          log,
		Defaults:        botDefaults(cfg),
		LateOpenGrace:   cfg.Schedule.LateOpenGrace.Duration,
		GuildPurgeGrace: cfg.Schedule.GuildPurgeGrace.Duration,
		KeepEnded:       time.Duration(cfg.Data.KeepEndedDays) * 24 * time.Hour,
		Metrics:         m,
		RunScheduler:    true,

		ShardCount:      int(cfg.Discord.Shards),
		ShardIDs:        cfg.Discord.ShardList(),
		GlobalRateLimit: cfg.Discord.RESTRate,
		// The processes that share the database take turns to IDENTIFY
		// through a file beside it.
		IdentifyLockFile: cfg.Data.Path + "-identify",
	})
	if err != nil {
		log.Error("starting the bot", "err", err)
		return exitFailure
	}
	if err := b.Start(ctx); err != nil {
		_ = b.Close()
		if ctx.Err() != nil {
			log.Info("stopped while starting")
			return exitOK // Ctrl+C during start-up is a clean stop
		}
		return botFailed(cfg, log, stderr, "starting the bot", err)
	}
	log.Info("circlebot is running; press Ctrl+C to stop", "database", cfg.Data.Path)
	refused := b.Wait(ctx)
	if refused == nil {
		log.Info("shutting down")
	}
	if err := b.Close(); err != nil {
		log.Warn("closing the gateway", "err", err)
	}
	if refused != nil {
		return botFailed(cfg, log, stderr, "running the bot", refused)
	}
	return exitOK
}

// serveMetrics starts the Prometheus endpoint when [metrics] listen is
// set; without it there are no metrics (nil) and nothing to stop. An
// address that can't be bound is a configuration error.
func serveMetrics(cfg config.Config, log *slog.Logger) (*metrics.Metrics, func(), error) {
	if cfg.Metrics.Listen == "" {
		return nil, func() {}, nil
	}
	m := metrics.New()
	srv, err := metrics.Listen(cfg.Metrics.Listen, m, log)
	if err != nil {
		return nil, nil, cfg.KeyError("metrics.listen", cfg.Metrics.Listen, "can't listen there: %v", err)
	}
	log.Info("serving Prometheus metrics", "address", "http://"+srv.Addr()+"/metrics")
	return m, func() { _ = srv.Close() }, nil
}

// botFailed reports why the bot can't start or go on. Discord refusing the
// gateway for good is said in plain words, what to do included, on stderr
// and through the log (only the log when it is JSON, so that every line
// stays JSON), and exits 2: it needs a person, not a restart. Anything
// else is logged and exits 1.
func botFailed(cfg config.Config, log *slog.Logger, stderr io.Writer, doing string, err error) int {
	var refused *bot.GatewayError
	if !errors.As(err, &refused) {
		log.Error(doing, "err", err)
		return exitFailure
	}
	log.Error("Discord refused the gateway connection; circlebot stops", "code", refused.Code, "reason", refused.Reason, "advice", refused.Advice)
	if cfg.Log.Format != "json" {
		fmt.Fprintf(stderr, "circlebot: Discord closed the gateway with code %d: %s\n", refused.Code, refused.Advice)
	}
	return exitUsage
}

// openStore opens the database at data.path, with the exit code of
// dataError when it can't.
func openStore(ctx context.Context, cfg config.Config, opts ...data.Option) (*data.Store, int, error) {
	store, err := data.Open(ctx, cfg.Data.Path, opts...)
	if err != nil {
		code, err := dataError(cfg, err)
		return nil, code, err
	}
	return store, exitOK, nil
}

// dataError reports an error of the data package. A problem with the path
// (the database can't be created or written there, the file isn't
// circlebot's) is a configuration problem, reported against the key and the
// file with exitUsage; anything else is exitFailure.
func dataError(cfg config.Config, err error) (int, error) {
	var pe *data.PathError
	if errors.As(err, &pe) {
		return exitUsage, cfg.KeyError("data.path", cfg.Data.Path, "%s", pe.Problem())
	}
	return exitFailure, err
}

func botDefaults(cfg config.Config) bot.Defaults {
	return bot.Defaults{
		TimeZone:        cfg.Defaults.Timezone,
		Capacity:        cfg.Defaults.Capacity,
		SessionMinutes:  cfg.Defaults.SessionMinutes,
		RetentionHours:  cfg.Defaults.RetentionHours,
		ReminderMinutes: cfg.Defaults.ReminderMinutes,

		MinMinutesBetweenSessions: cfg.Defaults.MinMinutesBetweenSessions,
		MaxSessionsPerWeek:        cfg.Defaults.MaxSessionsPerWeek,
	}
}

func cmdDemo(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	keep := fs.Bool("keep", false, "keep the demo's database and print where it is")
	serve := fs.Bool("serve", false, "after the walkthrough, keep the simulated server and the bot running until stopped (Ctrl+C, SIGTERM), as in a container or a systemd unit")
	if code, done := parse(fs, args, stdout); done {
		return code
	}
	defer bot.LogDiscordgo(demoLibraryLog(stderr))()
	if err := demo.Run(ctx, demo.Options{Out: stdout, Keep: *keep, Serve: *serve}); err != nil {
		fmt.Fprintf(stderr, "circlebot demo: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// demoLibraryLog is where discordgo's log goes during the demo: nowhere,
// as the bot's own, unless CIRCLEBOT_DEMO_LOG asks for both on stderr.
func demoLibraryLog(stderr io.Writer) *slog.Logger {
	if os.Getenv("CIRCLEBOT_DEMO_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func cmdMigrate(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	cfg, code, done := parseConfig(fs, args, stdout, stderr)
	if done {
		return code
	}
	store, code, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "circlebot migrate: %v\n", err)
		return code
	}
	defer store.Close()
	v, err := store.Version()
	if err != nil {
		fmt.Fprintf(stderr, "circlebot migrate: %v\n", err)
		return exitFailure
	}
	abs, _ := filepath.Abs(cfg.Data.Path)
	fmt.Fprintf(stdout, "database %s is at schema version %d\n", abs, v)
	return exitOK
}

func cmdBackup(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	to := fs.String("to", "", "where to write the copy (`PATH`; must not exist)")
	cfg, code, done := parseConfig(fs, args, stdout, stderr)
	if done {
		return code
	}
	if missing(stderr, fs, "to", *to) {
		return exitUsage
	}
	if _, err := os.Stat(cfg.Data.Path); err != nil {
		fmt.Fprintf(stderr, "circlebot backup: %v\n", cfg.KeyError("data.path", cfg.Data.Path, "there is no database there to back up"))
		return exitUsage
	}
	// Read only: a backup never migrates the database, whatever its version.
	if err := data.BackupFile(ctx, cfg.Data.Path, *to); err != nil {
		code, err := dataError(cfg, err)
		fmt.Fprintf(stderr, "circlebot backup: %v\n", err)
		return code
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", cfg.Data.Path, *to)
	return exitOK
}

func cmdInviteURL(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	cfg, code, done := parseConfig(fs, args, stdout, stderr)
	if done {
		return code
	}
	if cfg.Discord.ApplicationID == "" {
		fmt.Fprintf(stderr, "circlebot invite-url: %s: discord.application_id is empty: copy the Application ID from the Developer Portal (your app → General Information)\n", cfg.Path)
		return exitUsage
	}
	fmt.Fprintln(stdout, bot.InviteURL(cfg.Discord.ApplicationID))
	return exitOK
}

// cmdCheck checks, without the gateway, that the bot holds what it needs
// in every server it is in: the permission table of each (the session
// category too, once /setup chose one). Exit 0 when nothing is missing,
// 1 when something is, 2 when it can't check (no token, bad config, a
// token Discord refuses).
func cmdCheck(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	cfg, code, done := parseConfig(fs, args, stdout, stderr)
	if done {
		return code
	}
	if err := cfg.RequireToken(); err != nil {
		fmt.Fprintf(stderr, "circlebot check: %v\n", err)
		return exitUsage
	}
	log := cfg.NewLogger(stderr)
	defer bot.LogDiscordgo(log)()
	categories, code, err := openCategories(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "circlebot check: %v\n", err)
		return code
	}
	defer categories.close()
	dg, err := bot.RESTSession(cfg.Token, cfg.Discord.APIURL, log)
	if err != nil {
		fmt.Fprintf(stderr, "circlebot check: %v\n", err)
		return exitUsage
	}
	me, err := dg.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return checkFailed(stderr, "logging in", err)
	}
	guilds, err := bot.ListGuilds(ctx, dg)
	if err != nil {
		return checkFailed(stderr, "listing the servers the bot is in", err)
	}
	fmt.Fprintf(stdout, "Logged in as %s (%s), in %s.\n", me.Username, me.ID, servers(len(guilds)))
	if categories.store == nil {
		fmt.Fprintf(stdout, "No database at %s yet, so no server has a session category.\n", cfg.Data.Path)
	}
	need := 0
	for _, g := range guilds {
		fmt.Fprintln(stdout)
		if !checkGuild(ctx, stdout, dg, me.ID, g, categories) {
			need++
		}
	}
	return checkSummary(stdout, need, len(guilds))
}

// categories answers which session category each server chose with
// /setup, from the database at data.path; with no database there yet,
// none has.
type categories struct {
	store *data.Store
}

// openCategories opens the database if there is one: check creates none.
func openCategories(ctx context.Context, cfg config.Config) (categories, int, error) {
	if _, err := os.Stat(cfg.Data.Path); errors.Is(err, os.ErrNotExist) {
		return categories{}, exitOK, nil
	}
	store, code, err := openStore(ctx, cfg)
	return categories{store: store}, code, err
}

func (c categories) close() {
	if c.store != nil {
		c.store.Close()
	}
}

// of is the server's session category; "" when it has none yet.
func (c categories) of(ctx context.Context, guildID string) (string, error) {
	if c.store == nil {
		return "", nil
	}
	g, err := c.store.GuildSettings(ctx, guildID)
	if circles.ErrorCode(err) == circles.ENotFound {
		return "", nil
	}
	return g.CategoryID, err
}

// checkGuild prints one server's permission table and reports whether
// the bot has everything there.
func checkGuild(ctx context.Context, w io.Writer, dg *discordgo.Session, botID string, g *discordgo.UserGuild, cats categories) bool {
	category, err := cats.of(ctx, g.ID)
	if err != nil {
		fmt.Fprintf(w, "%s (%s): could not read its settings from the database: %v\n", g.Name, g.ID, err)
		return false
	}
	check, err := bot.CheckPermissions(ctx, dg, botID, g.ID, category)
	if err != nil {
		fmt.Fprintf(w, "%s (%s): could not check: %v\n", g.Name, g.ID, err)
		return false
	}
	fmt.Fprint(w, check.Text())
	return check.OK()
}

// checkSummary ends the check with how many servers need attention.
func checkSummary(w io.Writer, need, total int) int {
	switch {
	case total == 0:
		fmt.Fprintln(w, "circlebot is not in any server yet: add it with the link `circlebot invite-url` prints.")
		return exitOK
	case need == 0:
		fmt.Fprintf(w, "\nAll good: circlebot has every permission it needs in the %s it is in.\n", servers(total))
		return exitOK
	}
	fmt.Fprintf(w, "\nNeeds attention: %d of %s. Fix what is MISSING above (each says how), then run circlebot check again.\n", need, servers(total))
	return exitFailure
}

// servers counts servers in words: "1 server", "2 servers".
func servers(n int) string {
	if n == 1 {
		return "1 server"
	}
	return fmt.Sprintf("%d servers", n)
}

// checkFailed reports a REST call of check that failed: a token Discord
// refuses is a configuration problem (exit 2); anything else, exit 1.
func checkFailed(stderr io.Writer, doing string, err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusUnauthorized {
		fmt.Fprintf(stderr, "circlebot check: %s: %s\n", doing, bot.TokenAdvice)
		return exitUsage
	}
	fmt.Fprintf(stderr, "circlebot check: %s: %v\n", doing, err)
	return exitFailure
}
