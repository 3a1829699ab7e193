package bot_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/metrics"
)

// newMetricsHarness is newHarness with the bot's metrics on, served on
// a free port of 127.0.0.1 at addr.
func newMetricsHarness(t *testing.T) (h *harness, addr string) {
	t.Helper()
	m := metrics.New()
	h = newHarness(t, func(o *bot.Options, _ *discordsim.Options) { o.Metrics = m })
	srv, err := metrics.Listen("127.0.0.1:0", m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return h, srv.Addr()
}

// scrape GETs /metrics as Prometheus would and returns its series, one
// "name{labels} value" line each.
func scrape(t *testing.T, addr string) []string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	var series []string
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			series = append(series, line)
		}
	}
	return series
}

var (
	labelPair = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)
	// A run of digits as long as a snowflake's (17 to 20): a user, guild,
	// channel or interaction ID in a label.
	snowflakeish = regexp.MustCompile(`\d{15,}`)
)

func TestMetricsServeTheListedSeries(t *testing.T) {
	t.Parallel()
	h, addr := newMetricsHarness(t)

	// A few interactions: commands, an autocomplete, button clicks, a
	// refusal; one of the callbacks meets a 429 first.
	h.lcSetup(24, 60) // facilitators see /circle
	h.sim.Force429(1, 20*time.Millisecond)
	h.run(h.fac, "circle create", discordsim.O("name", "Grief circle"), discordsim.O("kind", "peer"),
		discordsim.O("weekday", "Wednesday"), discordsim.O("time", "19:00"))
	if _, err := h.sim.Autocomplete(h.ctx, h.members[0], h.guild, "join", "circle", "Gri"); err != nil {
		t.Fatal(err)
	}
	for _, u := range h.members[:2] {
		r := h.run(u, "join", discordsim.O("circle", "Grief circle"))
		h.clickOn(u, r, "join", "member")
	}
	h.run(h.members[2], "leave", discordsim.O("circle", "Grief circle")) // not in it: refused

	// Reminders an hour before; one member takes no DMs.
	h.sim.SetDMsClosed(h.members[1], true)
	h.clock.Advance(5 * time.Hour) // 17:00 UTC, 18:00 in Berlin
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	// The open fails once (Discord refuses), then works a minute later.
	h.clock.Advance(time.Hour)
	h.sim.FailNext(1, http.StatusForbidden)
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.sim.ChannelByName(h.guild, "grief-circle-2026-11-25"); !ok {
		t.Fatal("the session did not open")
	}

	series := scrape(t, addr)
	text := strings.Join(series, "\n")
	for _, want := range []string{
		`circlebot_interactions_total{command="/circle create",outcome="ok"} 1`,
		`circlebot_interactions_total{command="/leave",outcome="refused"} 1`,
		`circlebot_interactions_total{command="/join",outcome="ok"} 2`,
		`circlebot_interactions_total{command="button:join",outcome="ok"} 2`,
		`circlebot_interactions_total{command="autocomplete:join#circle",outcome="ok"} 1`,
		`circlebot_interaction_duration_seconds_bucket{command="/setup",le="+Inf"} 1`,
		`circlebot_interaction_duration_seconds_count{command="button:join"} 2`,
		`circlebot_discord_requests_total{method="POST",route="/interactions/{id}/{token}/callback",status="204"}`,
		`circlebot_discord_requests_total{method="POST",route="/guilds/{id}/channels",status="201"} 1`,
		`status="403"}`,
		// Force429 hits the next request, which is the create's callback
		// unless a background call (a card or event sync) goes first.
		`circlebot_discord_rate_limited_total{route="/`,
		`",scope="user"} 1`,
		`circlebot_sessions_opened_total 1`,
		`circlebot_sessions_missed_total 0`,
		`circlebot_schedule_steps_total{step="remind"} 1`,
		`circlebot_schedule_steps_total{step="open"} 1`,
		`circlebot_schedule_step_failures_total{step="open"} 1`,
		`circlebot_dms_failed_total{reason="dms_closed"} 1`,
		`circlebot_dms_failed_total{reason="error"} 0`,
		`circlebot_scheduler_lag_seconds_count `,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("/metrics (circlebot's series):\n%s", grep(series, "circlebot_"))
	}
	// No label may carry an ID: Discord's snowflakes are 17 to 20 digits.
	for _, s := range series {
		for _, kv := range labelPair.FindAllStringSubmatch(s, -1) {
			if snowflakeish.MatchString(kv[2]) {
				t.Errorf("label %s=%q looks like an ID: %s", kv[1], kv[2], s)
			}
		}
	}
}

// TestMetricsUnknownCommandsShareOneLabel: what a client makes up (a
// custom_id the bot never made) is counted as "unknown", never as a label
// of its own.
func TestMetricsUnknownCommandsShareOneLabel(t *testing.T) {
	t.Parallel()
	h, addr := newMetricsHarness(t)
	// What a modified client could send: clicks on custom_ids the bot
	// never made, a command it doesn't have.
	member := &discordgo.Member{User: &discordgo.User{ID: h.members[0]}}
	for _, id := range []string{"made-up:1", "9999999999999999999", bot.CustomID{Action: "made-up", GuildID: h.guild}.Encode()} {
		h.handle(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: h.guild, Member: member,
			Data: discordgo.MessageComponentInteractionData{CustomID: id, ComponentType: discordgo.ButtonComponent}})
	}
	h.handle(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: h.guild, Member: member,
		Data: discordgo.ApplicationCommandInteractionData{Name: "made-up-9999999999999999999"}})
	ours := grep(scrape(t, addr), "circlebot_")
	if !strings.Contains(ours, `circlebot_interactions_total{command="unknown",outcome="refused"} 4`) {
		t.Errorf("made-up interactions are not counted as unknown:\n%s", ours)
	}
	for _, kv := range labelPair.FindAllStringSubmatch(ours, -1) {
		if strings.Contains(kv[2], "made-up") || strings.Contains(kv[2], "9999") {
			t.Errorf("what a client sent became a label value: %s=%q", kv[1], kv[2])
		}
	}
}

func grep(lines []string, prefix string) string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
