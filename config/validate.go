package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Validate checks every setting and returns all problems, joined, as
// *FieldError values naming c.Path and the key. The token is not checked
// here: RequireToken does that for the commands that need it.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, value any, format string, args ...any) {
		errs = append(errs, c.KeyError(key, value, format, args...))
	}
	between := func(key string, v, lo, hi int, unit string) {
		if v < lo || v > hi {
			bad(key, v, "must be between %d and %d%s", lo, hi, unit)
		}
	}

	d := c.Discord
	if d.ApplicationID != "" && !isSnowflake(d.ApplicationID) {
		bad("discord.application_id", d.ApplicationID, "must be the numeric Application ID from the Developer Portal (General Information page), or empty")
	}
	if msg := checkAPIURL(d.APIURL); msg != "" {
		bad("discord.api_url", d.APIURL, "%s", msg)
	}
	if msg := checkGatewayURL(d.GatewayURL); msg != "" {
		bad("discord.gateway_url", d.GatewayURL, "%s", msg)
	}
	for _, id := range d.GuildIDs {
		if !isSnowflake(id) {
			bad("discord.guild_ids", d.GuildIDs, "%q is not a server ID: use the numeric IDs (Discord developer mode, right-click the server, Copy Server ID), or [] to register commands globally", id)
			break
		}
	}

	if d.Shards < ShardsAuto || d.Shards > MaxShards {
		bad("discord.shards", d.Shards, "%s", shardsRange)
	}
	if ids, err := ParseShardIDs(d.ShardIDs); err != nil {
		bad("discord.shard_ids", d.ShardIDs, `%v; list the shards this process runs, like "0-3" or "0-3,8", or "" for all of them`, err)
	} else if ids != nil && d.Shards == ShardsAuto {
		bad("discord.shard_ids", d.ShardIDs, `needs discord.shards set to a number, the same in every process: processes that split the shards must agree on their count, and Discord's recommendation can change between their starts`)
	} else if len(ids) > 0 && ids[len(ids)-1] >= int(d.Shards) && d.Shards > ShardsAuto {
		bad("discord.shard_ids", d.ShardIDs, "names shard %d, but discord.shards = %d: shard IDs go from 0 to %d", ids[len(ids)-1], d.Shards, d.Shards-1)
	}
	between("discord.rest_rate", d.RESTRate, MinRESTRate, MaxRESTRate, " (requests per second; 0 takes this process's share of 47 by the shards it runs; the processes of one bot together at most 47, as the limiter adds a burst of up to 3 under Discord's 50)")

	if strings.TrimSpace(c.Data.Path) == "" {
		bad("data.path", c.Data.Path, `must name the database file, like "circlebot.db"`)
	}
	between("data.keep_ended_days", c.Data.KeepEndedDays, MinKeepEndedDays, MaxKeepEndedDays, " (days an ended membership and its consent record are kept)")

	if _, err := loadLocation(c.Defaults.Timezone); err != nil {
		bad("defaults.timezone", c.Defaults.Timezone, `%v; use an IANA time zone name like "UTC", "Europe/Berlin" or "America/New_York"`, err)
	}
	between("defaults.capacity", c.Defaults.Capacity, MinCapacity, MaxCapacity, " (members per circle)")
	between("defaults.session_minutes", c.Defaults.SessionMinutes, MinSessionMinutes, MaxSessionMinutes, " (minutes)")
	between("defaults.retention_hours", c.Defaults.RetentionHours, MinRetentionHours, MaxRetentionHours, " (hours; 0 deletes the channel when the session closes)")
	between("defaults.reminder_minutes", c.Defaults.ReminderMinutes, MinReminderMinutes, MaxReminderMinutes, " (minutes; 0 turns reminders off)")
	between("defaults.min_minutes_between_sessions", c.Defaults.MinMinutesBetweenSessions, MinSessionGapMinutes, MaxSessionGapMinutes, " (minutes between one circle's session starts)")
	between("defaults.max_sessions_per_week", c.Defaults.MaxSessionsPerWeek, MinSessionsPerWeek, MaxSessionsPerWeek, " (sessions of one circle in any seven days)")

	durationBetween := func(key string, d Duration, lo, hi time.Duration, what string) {
		if d.Duration < lo || d.Duration > hi {
			bad(key, d, "must be between %q and %q (%s)", shortDuration(lo), shortDuration(hi), what)
		}
	}
	durationBetween("schedule.late_open_grace", c.Schedule.LateOpenGrace, MinLateOpenGrace, MaxLateOpenGrace,
		"how late a session missed while the bot was down may still open")
	durationBetween("schedule.guild_purge_grace", c.Schedule.GuildPurgeGrace, MinGuildPurgeGrace, MaxGuildPurgeGrace,
		"how long a server's data is kept after it removes the bot")

	if _, ok := parseLevel(c.Log.Level); !ok {
		bad("log.level", c.Log.Level, `must be "debug", "info", "warn" or "error"`)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", c.Log.Format, `must be "text" or "json"`)
	}
	if msg := checkListen(c.Metrics.Listen); msg != "" {
		bad("metrics.listen", c.Metrics.Listen, "%s", msg)
	}
	return errors.Join(errs...)
}

// isSnowflake reports whether s is a Discord ID: a non-zero 64-bit unsigned
// integer written in decimal.
func isSnowflake(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && n != 0
}

// checkAPIURL: request paths such as "channels/1" are appended to the base,
// so it must be an absolute http(s) URL whose path ends with "/".
func checkAPIURL(s string) string {
	const example = ` (the default is "` + DefaultAPIURL + `")`
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "must be an http:// or https:// URL" + example
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "must not have a query, fragment or user name" + example
	case u.Path == "" || u.Path == "/":
		return `must include the API path, like "/api/v10/"` + example
	case !strings.HasSuffix(u.Path, "/"):
		return `must end with "/"` + example
	}
	return ""
}

// checkGatewayURL: empty means ask the API; otherwise a websocket URL.
func checkGatewayURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "wss" && u.Scheme != "ws") {
		return `must be a ws:// or wss:// URL, or "" to ask the API for it`
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "must not have a query, fragment or user name (the client adds the query)"
	}
	return ""
}

// checkListen: empty (no metrics) or host:port with a numeric port.
func checkListen(s string) string {
	if s == "" {
		return ""
	}
	const want = `must be host:port, like "127.0.0.1:9464", or "" to serve no metrics`
	host, port, err := net.SplitHostPort(s)
	if err != nil || strings.ContainsAny(host, " /") {
		return want
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return want + " (the port is a number up to 65535)"
	}
	return ""
}

// loadLocation is time.LoadLocation minus the names that do not mean one
// place: "" and "Local" would be whatever the host happens to use.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("not a time zone")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone")
	}
	return loc, nil
}

func parseLevel(s string) (slog.Level, bool) {
	switch s {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return slog.LevelInfo, false
}
