package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeConfig writes content to config.toml in a fresh temporary directory
// and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadFile loads a written file with a fixed environment, so tests never
// depend on the real DISCORD_TOKEN.
func loadFile(t *testing.T, content string) (Config, string, error) {
	t.Helper()
	path := writeConfig(t, content)
	c, err := load(path, func(string) string { return "" })
	return c, path, err
}

func problemKeys(err error) []string {
	var keys []string
	for _, p := range Problems(err) {
		keys = append(keys, p.Key)
	}
	return keys
}

// TestRules has a case for each rule, on each side of it: every "bad" case
// must be reported against exactly the listed keys, every "ok" case must
// load. Removing or loosening a rule fails its bad case; tightening it fails
// its ok case.
func TestRules(t *testing.T) {
	cases := []struct {
		name string
		toml string
		bad  []string // keys reported; nil means the file loads
		msg  string   // part of the message for the first key
	}{
		{name: "empty file", toml: ``},

		// discord.application_id: a snowflake when set.
		{name: "application_id snowflake", toml: "[discord]\napplication_id = \"1098765432109876543\""},
		{name: "application_id letters", toml: "[discord]\napplication_id = \"my-bot\"", bad: []string{"discord.application_id"}, msg: "numeric Application ID"},
		{name: "application_id zero", toml: "[discord]\napplication_id = \"0\"", bad: []string{"discord.application_id"}},
		{name: "application_id over 64 bits", toml: "[discord]\napplication_id = \"99999999999999999999999\"", bad: []string{"discord.application_id"}},
		{name: "application_id signed", toml: "[discord]\napplication_id = \"-5\"", bad: []string{"discord.application_id"}},
		{name: "application_id integer", toml: "[discord]\napplication_id = 1098765432109876543", bad: []string{"discord.application_id"}, msg: "must be a string"},

		// discord.api_url: http(s), with a path ending in "/".
		{name: "api_url https", toml: "[discord]\napi_url = \"https://discord.com/api/v10/\""},
		{name: "api_url http loopback", toml: "[discord]\napi_url = \"http://127.0.0.1:8080/api/v10/\""},
		{name: "api_url ftp", toml: "[discord]\napi_url = \"ftp://discord.com/api/v10/\"", bad: []string{"discord.api_url"}, msg: "http:// or https://"},
		{name: "api_url relative", toml: "[discord]\napi_url = \"/api/v10/\"", bad: []string{"discord.api_url"}, msg: "http:// or https://"},
		{name: "api_url no path", toml: "[discord]\napi_url = \"https://discord.com\"", bad: []string{"discord.api_url"}, msg: "API path"},
		{name: "api_url root path", toml: "[discord]\napi_url = \"https://discord.com/\"", bad: []string{"discord.api_url"}, msg: "API path"},
		{name: "api_url no trailing slash", toml: "[discord]\napi_url = \"https://discord.com/api/v10\"", bad: []string{"discord.api_url"}, msg: `end with "/"`},
		{name: "api_url query", toml: "[discord]\napi_url = \"https://discord.com/api/v10/?x=1\"", bad: []string{"discord.api_url"}, msg: "query"},
		{name: "api_url empty", toml: "[discord]\napi_url = \"\"", bad: []string{"discord.api_url"}},

		// discord.gateway_url: empty, or ws(s).
		{name: "gateway_url empty", toml: "[discord]\ngateway_url = \"\""},
		{name: "gateway_url wss", toml: "[discord]\ngateway_url = \"wss://gateway.discord.gg\""},
		{name: "gateway_url ws loopback", toml: "[discord]\ngateway_url = \"ws://127.0.0.1:9000/gateway\""},
		{name: "gateway_url https", toml: "[discord]\ngateway_url = \"https://gateway.discord.gg\"", bad: []string{"discord.gateway_url"}, msg: "ws://"},
		{name: "gateway_url query", toml: "[discord]\ngateway_url = \"wss://gateway.discord.gg/?v=10\"", bad: []string{"discord.gateway_url"}, msg: "query"},

		// discord.guild_ids: a list of snowflakes.
		{name: "guild_ids", toml: "[discord]\nguild_ids = [\"111\", \"222\"]"},
		{name: "guild_ids empty list", toml: "[discord]\nguild_ids = []"},
		{name: "guild_ids not ids", toml: "[discord]\nguild_ids = [\"111\", \"my server\"]", bad: []string{"discord.guild_ids"}, msg: `"my server" is not a server ID`},
		{name: "guild_ids integers", toml: "[discord]\nguild_ids = [111]", bad: []string{"discord.guild_ids"}, msg: "list of strings"},
		{name: "guild_ids string", toml: "[discord]\nguild_ids = \"111\"", bad: []string{"discord.guild_ids"}, msg: "list of strings"},

		// discord.shards: "auto" or a number; shard_ids: IDs and ranges
		// below it; rest_rate: 0–47.
		{name: "shards auto", toml: "[discord]\nshards = \"auto\""},
		{name: "shards number", toml: "[discord]\nshards = 16"},
		{name: "shards number in quotes", toml: "[discord]\nshards = \"16\""},
		{name: "shards zero", toml: "[discord]\nshards = 0", bad: []string{"discord.shards"}, msg: `must be "auto"`},
		{name: "shards too many", toml: "[discord]\nshards = 40000", bad: []string{"discord.shards"}, msg: "from 1 to 4096"},
		{name: "shards word", toml: "[discord]\nshards = \"many\"", bad: []string{"discord.shards"}, msg: `must be "auto" or a whole number`},
		{name: "shards list", toml: "[discord]\nshards = [4]", bad: []string{"discord.shards"}, msg: `must be "auto" or a whole number`},
		{name: "shard_ids range", toml: "[discord]\nshards = 16\nshard_ids = \"0-3\""},
		{name: "shard_ids ranges and ids", toml: "[discord]\nshards = 16\nshard_ids = \"0-3, 8,10-15\""},
		{name: "shard_ids without a count", toml: "[discord]\nshard_ids = \"0-3\"", bad: []string{"discord.shard_ids"}, msg: "needs discord.shards set to a number"},
		{name: "shard_ids past the count", toml: "[discord]\nshards = 4\nshard_ids = \"2-4\"", bad: []string{"discord.shard_ids"}, msg: "names shard 4, but discord.shards = 4: shard IDs go from 0 to 3"},
		{name: "shard_ids twice", toml: "[discord]\nshards = 8\nshard_ids = \"0-3,2\"", bad: []string{"discord.shard_ids"}, msg: "shard 2 is named twice"},
		{name: "shard_ids backwards", toml: "[discord]\nshards = 8\nshard_ids = \"3-0\"", bad: []string{"discord.shard_ids"}, msg: "low to high"},
		{name: "shard_ids words", toml: "[discord]\nshards = 8\nshard_ids = \"first half\"", bad: []string{"discord.shard_ids"}, msg: `like "0-3" or "0-3,8"`},
		{name: "shard_ids negative", toml: "[discord]\nshards = 8\nshard_ids = \"-1\"", bad: []string{"discord.shard_ids"}},
		{name: "shard_ids integer", toml: "[discord]\nshards = 8\nshard_ids = 3", bad: []string{"discord.shard_ids"}, msg: "must be a string"},
		{name: "rest_rate", toml: "[discord]\nrest_rate = 22"},
		{name: "rest_rate above", toml: "[discord]\nrest_rate = 48", bad: []string{"discord.rest_rate"}, msg: "must be between 0 and 47"},

		// data.path
		{name: "data path", toml: "[data]\npath = \"/var/lib/circlebot/circlebot.db\""},
		{name: "data path empty", toml: "[data]\npath = \"\"", bad: []string{"data.path"}},

		// defaults.timezone: an IANA zone.
		{name: "timezone", toml: "[defaults]\ntimezone = \"America/New_York\""},
		{name: "timezone unknown", toml: "[defaults]\ntimezone = \"Mars/Olympus_Mons\"", bad: []string{"defaults.timezone"}, msg: "unknown time zone"},
		{name: "timezone empty", toml: "[defaults]\ntimezone = \"\"", bad: []string{"defaults.timezone"}},
		{name: "timezone Local", toml: "[defaults]\ntimezone = \"Local\"", bad: []string{"defaults.timezone"}},

		// defaults.* ranges, both ends.
		{name: "capacity min", toml: "[defaults]\ncapacity = 2"},
		{name: "capacity max", toml: "[defaults]\ncapacity = 25"},
		{name: "capacity below", toml: "[defaults]\ncapacity = 1", bad: []string{"defaults.capacity"}, msg: "must be between 2 and 25"},
		{name: "capacity above", toml: "[defaults]\ncapacity = 26", bad: []string{"defaults.capacity"}, msg: "must be between 2 and 25"},
		{name: "capacity string", toml: "[defaults]\ncapacity = \"10\"", bad: []string{"defaults.capacity"}, msg: "whole number"},
		{name: "capacity float", toml: "[defaults]\ncapacity = 10.5", bad: []string{"defaults.capacity"}, msg: "whole number"},
		{name: "session_minutes min", toml: "[defaults]\nsession_minutes = 15"},
		{name: "session_minutes max", toml: "[defaults]\nsession_minutes = 480"},
		{name: "session_minutes below", toml: "[defaults]\nsession_minutes = 14", bad: []string{"defaults.session_minutes"}, msg: "between 15 and 480"},
		{name: "session_minutes above", toml: "[defaults]\nsession_minutes = 481", bad: []string{"defaults.session_minutes"}},
		{name: "retention_hours zero", toml: "[defaults]\nretention_hours = 0"},
		{name: "retention_hours max", toml: "[defaults]\nretention_hours = 720"},
		{name: "retention_hours negative", toml: "[defaults]\nretention_hours = -1", bad: []string{"defaults.retention_hours"}, msg: "between 0 and 720"},
		{name: "retention_hours above", toml: "[defaults]\nretention_hours = 721", bad: []string{"defaults.retention_hours"}},
		{name: "reminder_minutes zero", toml: "[defaults]\nreminder_minutes = 0"},
		{name: "reminder_minutes max", toml: "[defaults]\nreminder_minutes = 10080"},
		{name: "reminder_minutes negative", toml: "[defaults]\nreminder_minutes = -1", bad: []string{"defaults.reminder_minutes"}, msg: "between 0 and 10080"},
		{name: "reminder_minutes above", toml: "[defaults]\nreminder_minutes = 10081", bad: []string{"defaults.reminder_minutes"}},
		{name: "session gap below", toml: "[defaults]\nmin_minutes_between_sessions = 5", bad: []string{"defaults.min_minutes_between_sessions"}, msg: "between 15 and 10080"},
		{name: "sessions per week above", toml: "[defaults]\nmax_sessions_per_week = 200", bad: []string{"defaults.max_sessions_per_week"}, msg: "between 1 and 50"},

		// schedule.*: durations within a range, both ends; "0s" is not a
		// way to turn them off.
		{name: "durations min", toml: "[schedule]\nlate_open_grace = \"1m\"\nguild_purge_grace = \"1h\""},
		{name: "durations max", toml: "[schedule]\nlate_open_grace = \"24h\"\nguild_purge_grace = \"8760h\""},
		{name: "late_open_grace zero", toml: "[schedule]\nlate_open_grace = \"0s\"", bad: []string{"schedule.late_open_grace"}, msg: `must be between "1m" and "24h"`},
		{name: "late_open_grace below", toml: "[schedule]\nlate_open_grace = \"59s\"", bad: []string{"schedule.late_open_grace"}, msg: `must be between "1m" and "24h"`},
		{name: "late_open_grace above", toml: "[schedule]\nlate_open_grace = \"24h1s\"", bad: []string{"schedule.late_open_grace"}, msg: `must be between "1m" and "24h"`},
		{name: "late_open_grace negative", toml: "[schedule]\nlate_open_grace = \"-1m\"", bad: []string{"schedule.late_open_grace"}, msg: `must be between "1m" and "24h"`},
		{name: "late_open_grace no unit", toml: "[schedule]\nlate_open_grace = \"15\"", bad: []string{"schedule.late_open_grace"}, msg: "not a duration"},
		{name: "late_open_grace integer", toml: "[schedule]\nlate_open_grace = 15", bad: []string{"schedule.late_open_grace"}, msg: "duration in quotes"},
		{name: "guild_purge_grace zero", toml: "[schedule]\nguild_purge_grace = \"0s\"", bad: []string{"schedule.guild_purge_grace"}, msg: `must be between "1h" and "8760h"`},
		{name: "guild_purge_grace below", toml: "[schedule]\nguild_purge_grace = \"59m\"", bad: []string{"schedule.guild_purge_grace"}, msg: `must be between "1h" and "8760h"`},
		{name: "guild_purge_grace above", toml: "[schedule]\nguild_purge_grace = \"8761h\"", bad: []string{"schedule.guild_purge_grace"}, msg: `must be between "1h" and "8760h"`},
		{name: "guild_purge_grace negative", toml: "[schedule]\nguild_purge_grace = \"-168h\"", bad: []string{"schedule.guild_purge_grace"}, msg: `must be between "1h" and "8760h"`},
		{name: "guild_purge_grace words", toml: "[schedule]\nguild_purge_grace = \"one week\"", bad: []string{"schedule.guild_purge_grace"}, msg: "not a duration"},

		// log.*
		{name: "log debug json", toml: "[log]\nlevel = \"debug\"\nformat = \"json\""},
		{name: "log warn", toml: "[log]\nlevel = \"warn\""},
		{name: "log error", toml: "[log]\nlevel = \"error\""},
		{name: "log level unknown", toml: "[log]\nlevel = \"verbose\"", bad: []string{"log.level"}, msg: `"debug", "info", "warn" or "error"`},
		{name: "log level upper case", toml: "[log]\nlevel = \"INFO\"", bad: []string{"log.level"}},
		{name: "log format unknown", toml: "[log]\nformat = \"xml\"", bad: []string{"log.format"}, msg: `"text" or "json"`},

		// Unknown keys, at every level, and wrong case.
		{name: "unknown top-level key", toml: "verbose = true", bad: []string{"verbose"}, msg: "not a circlebot setting"},
		{name: "unknown section", toml: "[telemetry]\nport = 9000", bad: []string{"telemetry"}, msg: "[discord], [data], [defaults], [schedule], [log], [metrics]"},
		{name: "unknown nested section", toml: "[telemetry.http]\nport = 9000", bad: []string{"telemetry"}},
		{name: "unknown metrics key", toml: "[metrics]\nport = 9000", bad: []string{"metrics.port"}, msg: "[metrics] takes listen"},
		{name: "metrics listen without a port", toml: "[metrics]\nlisten = \"127.0.0.1\"", bad: []string{"metrics.listen"}, msg: "host:port"},
		{name: "metrics listen with a bad port", toml: "[metrics]\nlisten = \"127.0.0.1:http\"", bad: []string{"metrics.listen"}, msg: "the port is a number"},
		{name: "metrics listen out of range", toml: "[metrics]\nlisten = \":70000\"", bad: []string{"metrics.listen"}, msg: "65535"},
		{name: "keep_ended_days zero", toml: "[data]\nkeep_ended_days = 0", bad: []string{"data.keep_ended_days"}, msg: "between 1 and 3650"},
		{name: "keep_ended_days too long", toml: "[data]\nkeep_ended_days = 3651", bad: []string{"data.keep_ended_days"}, msg: "between 1 and 3650"},
		{name: "unknown key in section", toml: "[defaults]\nseats = 12", bad: []string{"defaults.seats"}, msg: "[defaults] takes timezone, capacity, session_minutes, retention_hours, reminder_minutes"},
		{name: "misspelt key", toml: "[defaults]\ncapactiy = 12", bad: []string{"defaults.capactiy"}, msg: "did you mean defaults.capacity?"},
		{name: "misspelt key, one letter off", toml: "[log]\nformats = \"json\"", bad: []string{"log.formats"}, msg: "did you mean log.format?"},
		{name: "key in the wrong section", toml: "[data]\ntimezone = \"UTC\"", bad: []string{"data.timezone"}, msg: "did you mean defaults.timezone (under [defaults])?"},
		{name: "key outside its section", toml: "capacity = 12", bad: []string{"capacity"}, msg: "did you mean defaults.capacity"},
		{name: "misspelt section", toml: "[default]\ncapacity = 12", bad: []string{"default"}, msg: "did you mean [defaults]?"},
		{name: "unknown table in section", toml: "[discord.proxy]\nurl = \"x\"", bad: []string{"discord.proxy"}},
		{name: "key in wrong case", toml: "[defaults]\nCapacity = 12", bad: []string{"defaults.Capacity"}, msg: "did you mean defaults.capacity?"},
		{name: "section in wrong case", toml: "[Defaults]\ncapacity = 12", bad: []string{"Defaults"}, msg: "did you mean [defaults]?"},
		{name: "dotted keys", toml: "defaults.capacity = 12\nlog.level = \"debug\""},
		{name: "section not a table", toml: "discord = \"https://discord.com\"", bad: []string{"discord"}, msg: "[discord] section"},
		{name: "section array of tables", toml: "[[log]]\nlevel = \"info\"", bad: []string{"log"}, msg: "must be a table"},
		{name: "known key as table", toml: "[defaults.capacity]\nmax = 3", bad: []string{"defaults.capacity"}, msg: "whole number"},

		// The token never comes from the file.
		{name: "token top-level", toml: "token = \"MTA.hunter2.value\"", bad: []string{"token"}, msg: "DISCORD_TOKEN"},
		{name: "token in discord", toml: "[discord]\ntoken = \"MTA.hunter2.value\"", bad: []string{"discord.token"}, msg: "DISCORD_TOKEN"},
		{name: "bot_token", toml: "[discord]\nbot_token = \"MTA.hunter2.value\"", bad: []string{"discord.bot_token"}},
		{name: "TOKEN upper case", toml: "TOKEN = \"MTA.hunter2.value\"", bad: []string{"TOKEN"}},
		{name: "token section", toml: "[token]\nvalue = \"MTA.hunter2.value\"", bad: []string{"token"}},
		{name: "token in unknown section", toml: "[secrets]\ndiscord_token = \"MTA.hunter2.value\"", bad: []string{"secrets", "secrets.discord_token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, path, err := loadFile(t, tc.toml)
			if tc.bad == nil {
				if err != nil {
					t.Fatalf("want no error, got:\n%v", err)
				}
				if c.Path != path {
					t.Errorf("Path = %q, want %q", c.Path, path)
				}
				return
			}
			if err == nil {
				t.Fatalf("want errors for %v, got none (config %v)", tc.bad, c)
			}
			if got := problemKeys(err); !slices.Equal(got, tc.bad) {
				t.Fatalf("problem keys = %q, want %q; error:\n%v", got, tc.bad, err)
			}
			first := Problems(err)[0]
			if !strings.HasPrefix(first.Error(), path+": "+tc.bad[0]) {
				t.Errorf("error %q does not start with the file and the key", first)
			}
			if !strings.Contains(first.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", first.Msg, tc.msg)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a token-like value: %v", err)
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("a failed load returned a config: %v", c)
			}
		})
	}
}

func TestParseAppliesEveryKey(t *testing.T) {
	const doc = `
[discord]
application_id = "1098765432109876543"
api_url = "http://127.0.0.1:7000/api/v10/"
gateway_url = "ws://127.0.0.1:7000/gateway"
guild_ids = ["111", "222"]
shards = 8
shard_ids = "0-3"
rest_rate = 20
[data]
path = "/tmp/x.db"
keep_ended_days = 30
[defaults]
timezone = "Europe/Berlin"
capacity = 8
session_minutes = 90
retention_hours = 0
reminder_minutes = 1440
min_minutes_between_sessions = 120
max_sessions_per_week = 3
[schedule]
late_open_grace = "5m"
guild_purge_grace = "24h"
[log]
level = "debug"
format = "json"
[metrics]
listen = "127.0.0.1:9464"
`
	got, err := Parse("custom.toml", []byte(doc), func(k string) string {
		if k == "DISCORD_TOKEN" {
			return "tok"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Path: "custom.toml",
		Discord: Discord{ApplicationID: "1098765432109876543", APIURL: "http://127.0.0.1:7000/api/v10/", GatewayURL: "ws://127.0.0.1:7000/gateway", GuildIDs: []string{"111", "222"},
			Shards: 8, ShardIDs: "0-3", RESTRate: 20},
		Data:     Data{Path: "/tmp/x.db", KeepEndedDays: 30},
		Defaults: Defaults{Timezone: "Europe/Berlin", Capacity: 8, SessionMinutes: 90, RetentionHours: 0, ReminderMinutes: 1440, MinMinutesBetweenSessions: 120, MaxSessionsPerWeek: 3},
		Schedule: Schedule{LateOpenGrace: Duration{5 * time.Minute}, GuildPurgeGrace: Duration{24 * time.Hour}},
		Log:      Log{Level: "debug", Format: "json"},
		Metrics:  Metrics{Listen: "127.0.0.1:9464"},
		Token:    "tok",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	// The test above must cover every key, or a new key could go untested.
	_, keys := schema()
	for _, k := range keys {
		if !strings.Contains(doc, "\n"+k.name+" = ") {
			t.Errorf("key %s is not in this test's document", k)
		}
	}
}

func TestParseKeepsDefaultsForMissingKeys(t *testing.T) {
	got, err := Parse("c.toml", []byte("[defaults]\ncapacity = 12\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Path = "c.toml"
	want.Defaults.Capacity = 12
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

func TestDefaultValues(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default does not validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"api_url", c.Discord.APIURL, "https://discord.com/api/v10/"},
		{"gateway_url", c.Discord.GatewayURL, ""},
		{"guild_ids", len(c.Discord.GuildIDs), 0},
		{"shards", c.Discord.Shards, ShardsAuto},
		{"shard_ids", c.Discord.ShardIDs, ""},
		{"rest_rate", c.Discord.RESTRate, 0},
		{"data.path", c.Data.Path, "circlebot.db"},
		{"timezone", c.Defaults.Timezone, "UTC"},
		{"capacity", c.Defaults.Capacity, 10},
		{"session_minutes", c.Defaults.SessionMinutes, 60},
		{"retention_hours", c.Defaults.RetentionHours, 24},
		{"reminder_minutes", c.Defaults.ReminderMinutes, 60},
		{"late_open_grace", c.Schedule.LateOpenGrace.Duration, 15 * time.Minute},
		{"guild_purge_grace", c.Schedule.GuildPurgeGrace.Duration, 168 * time.Hour},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	const doc = `
token = "x"
[discord]
application_id = "abc"
[defaults]
capacity = 40
timezone = "Nowhere/Land"
colour = "blue"
[schedule]
late_open_grace = "soon"
[log]
level = "loud"
`
	_, err := Parse("config.toml", []byte(doc), nil)
	want := []string{
		// Keys in file order, then the value checks of Validate in
		// declaration order.
		"token", "defaults.colour", "schedule.late_open_grace",
		"discord.application_id", "defaults.timezone", "defaults.capacity", "log.level",
	}
	if got := problemKeys(err); !slices.Equal(got, want) {
		t.Fatalf("problem keys = %q\nwant %q\nerror:\n%v", got, want, err)
	}
	if !strings.Contains(err.Error(), "config.toml: defaults.capacity = 40: must be between 2 and 25") {
		t.Errorf("error does not read as documented:\n%v", err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("error has %d lines, want one per problem (%d):\n%v", n, len(want), err)
	}
}

func TestValidateNamesPathAndJoins(t *testing.T) {
	c := Default()
	c.Path = "/etc/circlebot.toml"
	c.Defaults.Capacity = 0
	c.Log.Format = "yaml"
	err := c.Validate()
	if got, want := problemKeys(err), []string{"defaults.capacity", "log.format"}; !slices.Equal(got, want) {
		t.Fatalf("problem keys = %q, want %q", got, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != "/etc/circlebot.toml" || fe.Value != "0" {
		t.Errorf("first problem = %+v, want file /etc/circlebot.toml and value 0", fe)
	}

	c = Default()
	c.Defaults.Capacity = 0
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "config: defaults.capacity") {
		t.Errorf("without a path, errors should say \"config\": %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	_, path, err := loadFile(t, "[defaults]\ncapacity = = 3\n")
	if err == nil {
		t.Fatal("want a syntax error")
	}
	if !strings.HasPrefix(err.Error(), path+":2:") || !strings.Contains(err.Error(), "invalid TOML") {
		t.Errorf("syntax error should name the file and line: %v", err)
	}
}

func TestLoad(t *testing.T) {
	path := writeConfig(t, "[defaults]\ncapacity = 12\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path || c.Defaults.Capacity != 12 {
		t.Errorf("Load = %v", c)
	}

	missing := filepath.Join(t.TempDir(), "nope.toml")
	_, err = Load(missing)
	if err == nil || !strings.HasPrefix(err.Error(), missing+": ") || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "config.example.toml") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestTokenFromEnvironmentOnly(t *testing.T) {
	var asked []string
	c, err := Parse("c.toml", nil, func(k string) string {
		asked = append(asked, k)
		return "  abc.def.ghi\n"
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "abc.def.ghi" {
		t.Errorf("Token = %q, want it trimmed", c.Token)
	}
	if !slices.Equal(asked, []string{"DISCORD_TOKEN"}) {
		t.Errorf("looked up %q, want only DISCORD_TOKEN", asked)
	}
	c, err = Parse("c.toml", nil, nil)
	if err != nil || c.Token != "" {
		t.Errorf("nil getenv: Token %q, err %v", c.Token, err)
	}
}

func TestRequireToken(t *testing.T) {
	c := Default()
	c.Path = "prod.toml"
	err := c.RequireToken()
	if err == nil {
		t.Fatal("want an error without a token")
	}
	for _, want := range []string{"DISCORD_TOKEN is not set", "https://discord.com/developers/applications", "circlebot run --config prod.toml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not contain %q", err, want)
		}
	}
	c.Token = "abc"
	if err := c.RequireToken(); err != nil {
		t.Errorf("with a token: %v", err)
	}
}

func TestTokenIsNeverPrinted(t *testing.T) {
	const secret = "MTIzNDU2Nzg5.s3cr3t-t0k3n"
	c := Default()
	c.Path = "c.toml"
	c.Token = secret

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("loaded", "config", c)
	marshalled, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":  c.String(),
		"%v":      fmt.Sprintf("%v", c),
		"%+v":     fmt.Sprintf("%+v", c),
		"%s":      fmt.Sprintf("%s", c),
		"%#v":     fmt.Sprintf("%#v", c),
		"&%v":     fmt.Sprintf("%v", &c),
		"slog":    text.String(),
		"json":    js.String(),
		"marshal": string(marshalled),
	}
	for name, out := range outputs {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%s prints the token: %s", name, out)
		}
		if !strings.Contains(out, "c.toml") {
			t.Errorf("%s does not print the configuration: %s", name, out)
		}
	}
	if !strings.Contains(c.String(), redacted) {
		t.Errorf("String should show that a token is set: %s", c)
	}
	if !strings.Contains(text.String(), "config.token=set") {
		t.Errorf("slog should say the token is set: %s", text.String())
	}
	if c.Token != secret {
		t.Error("printing changed the token")
	}
}

func TestLocation(t *testing.T) {
	c := Default()
	c.Defaults.Timezone = "Asia/Kolkata"
	if got := c.Location().String(); got != "Asia/Kolkata" {
		t.Errorf("Location = %s", got)
	}
	c.Defaults.Timezone = "Nowhere/Land"
	if got := c.Location(); got != time.UTC {
		t.Errorf("bad zone: Location = %s, want UTC", got)
	}
}

// Zones must load where the host has no zoneinfo (scratch containers,
// Windows); that is what the time/tzdata import is for.
func TestEmbedsTimeZoneData(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "config.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "time/tzdata" {
			return
		}
	}
	t.Error(`config.go must import _ "time/tzdata"`)
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	c := Default() // info, text
	log := c.NewLogger(&buf)
	log.Debug("hidden")
	log.Info("shown", "guild", "1")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "msg=shown guild=1") {
		t.Errorf("info/text logger wrote %q", out)
	}

	buf.Reset()
	c.Log = Log{Level: "debug", Format: "json"}
	c.NewLogger(&buf).Debug("visible")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "visible" {
		t.Errorf("debug/json logger wrote %q (%v)", buf.String(), err)
	}

	for level, enabled := range map[string][2]bool{"warn": {false, true}, "error": {false, false}} {
		buf.Reset()
		c.Log = Log{Level: level, Format: "text"}
		l := c.NewLogger(&buf)
		l.Info("info")
		l.Warn("warn")
		if got := [2]bool{strings.Contains(buf.String(), "msg=info"), strings.Contains(buf.String(), "msg=warn")}; got != enabled {
			t.Errorf("level %s: info/warn written = %v, want %v", level, got, enabled)
		}
	}
}

func TestDurationUnmarshalText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("90s")); err != nil || d.Duration != 90*time.Second {
		t.Errorf("90s: %v, %v", d, err)
	}
	err := d.UnmarshalText([]byte("ten minutes"))
	if err == nil || !strings.Contains(err.Error(), `"ten minutes"`) {
		t.Errorf("error should name the value: %v", err)
	}
	if b, _ := (Duration{15 * time.Minute}).MarshalText(); string(b) != "15m0s" {
		t.Errorf("MarshalText = %s", b)
	}
}
