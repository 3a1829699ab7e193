package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	_ "time/tzdata" // time zones must resolve on hosts without /usr/share/zoneinfo
)

// DefaultAPIURL is Discord's REST API base, ending with "/" because request
// paths are appended to it.
const DefaultAPIURL = "https://discord.com/api/v10/"

// TokenEnv is the environment variable the bot token is read from.
const TokenEnv = "DISCORD_TOKEN"

// Config is circlebot's configuration. The toml tags are the file's keys;
// the file's schema is derived from them, so a field added here is a key the
// file accepts (and config.example.toml must then list it; a test checks).
type Config struct {
	// Path is the file the configuration was loaded from ("" for Default).
	Path string `toml:"-" json:"path"`

	Discord  Discord  `toml:"discord" json:"discord"`
	Data     Data     `toml:"data" json:"data"`
	Defaults Defaults `toml:"defaults" json:"defaults"`
	Schedule Schedule `toml:"schedule" json:"schedule"`
	Log      Log      `toml:"log" json:"log"`
	Metrics  Metrics  `toml:"metrics" json:"metrics"`

	// Token is the bot token, from the DISCORD_TOKEN environment variable
	// only. It is redacted by String, GoString, LogValue and JSON.
	Token string `toml:"-" json:"-"`
}

// Discord is the [discord] section: how to reach Discord.
type Discord struct {
	// ApplicationID is the numeric Application ID from the Developer Portal;
	// needed for the invite link. Optional otherwise.
	ApplicationID string `toml:"application_id" json:"application_id"`
	// APIURL is the REST base URL, ending with "/".
	APIURL string `toml:"api_url" json:"api_url"`
	// GatewayURL overrides the gateway address; "" asks the API for it.
	GatewayURL string `toml:"gateway_url" json:"gateway_url"`
	// GuildIDs, when set, registers commands per guild (instant updates)
	// instead of globally.
	GuildIDs []string `toml:"guild_ids" json:"guild_ids"`
	// Shards is how many shards the gateway is split into; ShardsAuto is
	// the count Discord recommends.
	Shards ShardCount `toml:"shards" json:"shards"`
	// ShardIDs are the shards this process runs, like "0-3" or "0-3,8"
	// (ShardList); "" runs them all.
	ShardIDs string `toml:"shard_ids" json:"shard_ids"`
	// RESTRate is the REST requests per second this process allows
	// itself; 0 takes its share of 47 by the shards it runs.
	RESTRate int `toml:"rest_rate" json:"rest_rate"`
}

// Data is the [data] section: where the SQLite database lives, and how
// long what is no longer needed is kept.
type Data struct {
	Path string `toml:"path" json:"path"`
	// KeepEndedDays: memberships that ended (left, removed) are deleted
	// with their consent events this many days after they ended, but for
	// the bare marker of a removal.
	KeepEndedDays int `toml:"keep_ended_days" json:"keep_ended_days"`
}

// Metrics is the [metrics] section: Prometheus metrics, off by default.
type Metrics struct {
	// Listen is the host:port /metrics is served on; "" serves nothing.
	Listen string `toml:"listen" json:"listen"`
}

// Defaults is the [defaults] section: values a server starts with until its
// admins change them with /setup or /circle create.
type Defaults struct {
	Timezone        string `toml:"timezone" json:"timezone"`
	Capacity        int    `toml:"capacity" json:"capacity"`
	SessionMinutes  int    `toml:"session_minutes" json:"session_minutes"`
	RetentionHours  int    `toml:"retention_hours" json:"retention_hours"`   // 0: delete the channel at close
	ReminderMinutes int    `toml:"reminder_minutes" json:"reminder_minutes"` // 0: no reminders
	// MinMinutesBetweenSessions and MaxSessionsPerWeek bound how often one
	// circle may meet, so that no schedule fills the session category.
	MinMinutesBetweenSessions int `toml:"min_minutes_between_sessions" json:"min_minutes_between_sessions"`
	MaxSessionsPerWeek        int `toml:"max_sessions_per_week" json:"max_sessions_per_week"`
}

// Schedule is the [schedule] section.
type Schedule struct {
	// LateOpenGrace: a session missed while the bot was down is still opened
	// if the bot is at most this late.
	LateOpenGrace Duration `toml:"late_open_grace" json:"late_open_grace"`
	// GuildPurgeGrace: data of a server that removed the bot is purged this
	// long after the removal.
	GuildPurgeGrace Duration `toml:"guild_purge_grace" json:"guild_purge_grace"`
}

// Log is the [log] section.
type Log struct {
	Level  string `toml:"level" json:"level"`   // debug, info, warn or error
	Format string `toml:"format" json:"format"` // text or json
}

// Limits of the numeric settings, shared by Validate and its messages.
const (
	MinCapacity, MaxCapacity                   = 2, 25
	MinSessionMinutes, MaxSessionMinutes       = 15, 480
	MinRetentionHours, MaxRetentionHours       = 0, 720
	MinReminderMinutes, MaxReminderMinutes     = 0, 10080
	MinSessionGapMinutes, MaxSessionGapMinutes = 15, 10080
	MinSessionsPerWeek, MaxSessionsPerWeek     = 1, 50
	MinLateOpenGrace, MaxLateOpenGrace         = time.Minute, 24 * time.Hour
	MinGuildPurgeGrace, MaxGuildPurgeGrace     = time.Hour, 8760 * time.Hour // a year
	MinRESTRate, MaxRESTRate                   = 0, 47                       // with the burst, under Discord's 50
	MinKeepEndedDays, MaxKeepEndedDays         = 1, 3650
)

// Default returns the configuration used for every key the file leaves out.
func Default() Config {
	var c Config
	c.Discord.APIURL = DefaultAPIURL
	c.Data.Path = "circlebot.db"
	c.Data.KeepEndedDays = 180
	c.Defaults.Timezone = "UTC"
	c.Defaults.Capacity = 10
	c.Defaults.SessionMinutes = 60
	c.Defaults.RetentionHours = 24
	c.Defaults.ReminderMinutes = 60
	c.Defaults.MinMinutesBetweenSessions = 60
	c.Defaults.MaxSessionsPerWeek = 14
	c.Schedule.LateOpenGrace = Duration{15 * time.Minute}
	c.Schedule.GuildPurgeGrace = Duration{168 * time.Hour}
	c.Log.Level = "info"
	c.Log.Format = "text"
	return c
}

// Load reads the file at path, applies it over Default, validates the result
// and takes the token from the DISCORD_TOKEN environment variable.
func Load(path string) (Config, error) {
	return load(path, os.Getenv)
}

func load(path string, getenv func(string) string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		hint := ""
		if errors.Is(err, os.ErrNotExist) {
			hint = " (copy config.example.toml to start one)"
		}
		return Config{}, fmt.Errorf("%s: cannot read the configuration file: %w%s", fileLabel(path), err, hint)
	}
	return Parse(path, data, getenv)
}

// Parse is Load without the file system: data is the file's content, path
// only names it in errors, and getenv (os.Getenv in production) supplies
// DISCORD_TOKEN. A syntax error is returned alone; otherwise every problem
// found is returned, joined, as *FieldError values.
func Parse(path string, data []byte, getenv func(string) string) (Config, error) {
	c := Default()
	c.Path = path
	if getenv != nil {
		c.Token = strings.TrimSpace(getenv(TokenEnv))
	}
	problems, err := decode(&c, path, data)
	if err != nil {
		return Config{}, err
	}
	failed := make(map[string]bool, len(problems))
	for _, p := range problems {
		failed[p.Key] = true
	}
	// A key that failed to decode kept its default, which validates; the
	// check is only to never report one key twice.
	for _, p := range Problems(c.Validate()) {
		if !failed[p.Key] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// Location is Defaults.Timezone as a *time.Location (UTC if it does not
// load, which Validate rules out).
func (c Config) Location() *time.Location {
	loc, err := loadLocation(c.Defaults.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// NewLogger returns a slog logger writing to w in the configured format at
// the configured level.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// RequireToken reports, with the steps to fix it, that DISCORD_TOKEN is not
// set. Commands that talk to the real Discord call it; demo does not.
func (c Config) RequireToken() error {
	if c.Token != "" {
		return nil
	}
	file := c.Path
	if file == "" {
		file = "FILE"
	}
	return fmt.Errorf("%s is not set: create a bot at https://discord.com/developers/applications, copy its token, and run %s=… circlebot run --config %s", TokenEnv, TokenEnv, file)
}

// redacted is what the token prints as.
const redacted = "[REDACTED]"

// plain is Config without its methods, for printing a redacted copy.
type plain Config

func (c Config) redacted() plain {
	if c.Token != "" {
		c.Token = redacted
	}
	return plain(c)
}

// String prints the configuration with the token redacted (fmt's %v, %+v
// and %s use it).
func (c Config) String() string {
	return fmt.Sprintf("%+v", c.redacted())
}

// GoString is String for %#v, which would otherwise print the token.
func (c Config) GoString() string {
	return strings.Replace(fmt.Sprintf("%#v", c.redacted()), "config.plain{", "config.Config{", 1)
}

// LogValue lets a Config be logged with slog; the token is only said to be
// set or not.
func (c Config) LogValue() slog.Value {
	token := "unset"
	if c.Token != "" {
		token = "set"
	}
	return slog.GroupValue(
		slog.String("path", c.Path),
		slog.Group("discord",
			slog.String("application_id", c.Discord.ApplicationID),
			slog.String("api_url", c.Discord.APIURL),
			slog.String("gateway_url", c.Discord.GatewayURL),
			slog.Any("guild_ids", c.Discord.GuildIDs),
			slog.String("shards", strings.Trim(c.Discord.Shards.String(), `"`)),
			slog.String("shard_ids", c.Discord.ShardIDs),
			slog.Int("rest_rate", c.Discord.RESTRate),
		),
		slog.Group("data", slog.String("path", c.Data.Path), slog.Int("keep_ended_days", c.Data.KeepEndedDays)),
		slog.Group("defaults",
			slog.String("timezone", c.Defaults.Timezone),
			slog.Int("capacity", c.Defaults.Capacity),
			slog.Int("session_minutes", c.Defaults.SessionMinutes),
			slog.Int("retention_hours", c.Defaults.RetentionHours),
			slog.Int("reminder_minutes", c.Defaults.ReminderMinutes),
		),
		slog.Group("schedule",
			slog.Duration("late_open_grace", c.Schedule.LateOpenGrace.Duration),
			slog.Duration("guild_purge_grace", c.Schedule.GuildPurgeGrace.Duration),
		),
		slog.Group("log", slog.String("level", c.Log.Level), slog.String("format", c.Log.Format)),
		slog.Group("metrics", slog.String("listen", c.Metrics.Listen)),
		slog.String("token", token),
	)
}
