package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/bot/discordurl"
	"github.com/circlebot/circlebot/circles"
)

// How fast people get an answer: INTERACTION_CREATE → callback, as the
// simulator sees it (Sim.CallbackLatency), for the bot and for a bare
// discordgo bot on the same world that answers every interaction with a
// fixed ephemeral message. The ratio of their medians is what the bot
// itself costs; the goals are in answerGoals. Results and commands:
// docs/BENCHMARKS.md.

// answerSamples is how many answers each bot's median is taken over, after
// answerWarmup answers that are not counted.
const (
	answerSamples = 200
	answerWarmup  = 20
)

// Goals: the bot's median over the bare bot's, at most.
const (
	circlesGoal   = 3.0
	joinClickGoal = 2.0
)

// bareBot connects a discordgo session to the world with the bot's token,
// registers the bot's commands and answers every interaction with the same
// ephemeral message (one button, so that there is something to click) and
// nothing else. It returns a function that disconnects it.
func bareBot(tb testing.TB, sim *discordsim.Sim) func() {
	tb.Helper()
	dg, err := discordgo.New("Bot " + sim.Token())
	if err != nil {
		tb.Fatal(err)
	}
	if err := discordurl.Configure(dg, sim.APIURL(), ""); err != nil {
		tb.Fatal(err)
	}
	dg.Identify.Intents = discordgo.IntentsGuilds
	dg.StateEnabled = false
	dg.LogLevel = discordgo.LogError
	answer := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "ok", Flags: discordgo.MessageFlagsEphemeral,
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.Button{Label: "ok", Style: discordgo.SecondaryButton, CustomID: "bare"},
			}}}},
	}
	dg.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		_ = s.InteractionRespond(i.Interaction, answer)
	})
	ready := make(chan struct{}, 1)
	dg.AddHandler(func(*discordgo.Session, *discordgo.Ready) { ready <- struct{}{} })
	if err := dg.Open(); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		tb.Fatal("bare bot: no READY")
	}
	if _, err := dg.ApplicationCommandBulkOverwrite(sim.ApplicationID(), "", bot.Commands()); err != nil {
		tb.Fatal(err)
	}
	return func() { _ = dg.Close() }
}

// latencies collects CallbackLatency of the answers interact returns,
// answerWarmup first that are not kept, then answerSamples.
func latencies(tb testing.TB, sim *discordsim.Sim, interact func(i int) *discordsim.Response) []time.Duration {
	tb.Helper()
	out := make([]time.Duration, 0, answerSamples)
	for i := range answerWarmup + answerSamples {
		r := interact(i)
		d, ok := sim.CallbackLatency(r.InteractionID)
		if !ok {
			tb.Fatalf("interaction %s: no callback latency", r.InteractionID)
		}
		if i >= answerWarmup {
			out = append(out, d)
		}
	}
	return out
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

// compareWithBare reports the medians of the bot and the bare bot and
// their ratio, and fails when the ratio is over goal.
func compareWithBare(b *testing.B, what string, botTimes, bareTimes []time.Duration, goal float64) {
	b.Helper()
	bot50, bare50 := quantile(botTimes, 0.5), quantile(bareTimes, 0.5)
	ratio := float64(bot50) / float64(bare50)
	b.ReportMetric(float64(bot50.Microseconds())/1000, "ms-p50-bot")
	b.ReportMetric(float64(quantile(botTimes, 0.9).Microseconds())/1000, "ms-p90-bot")
	b.ReportMetric(float64(bare50.Microseconds())/1000, "ms-p50-bare")
	b.ReportMetric(float64(quantile(bareTimes, 0.9).Microseconds())/1000, "ms-p90-bare")
	b.ReportMetric(ratio, "x-bare")
	if ratio > goal {
		b.Fatalf("%s: the bot answers in %v (p50 of %d), the bare bot in %v: %.2f×; the goal is at most %.0f×",
			what, bot50, len(botTimes), bare50, ratio, goal)
	}
}

// answerWorld is a configured guild with 50 circles (3 members each, next
// sessions planned) and a user who is in none of them.
func answerWorld(b *testing.B) (w *lcWorld, g, user string, list []circles.Circle) {
	b.Helper()
	w = newLCWorld(b, 1, 3)
	g = w.guilds[0]
	w.circles(g, 50)
	user = w.sim.AddUser("newcomer")
	w.sim.AddMember(g, user)
	list, err := w.store.Circles(w.ctx, g, circles.CircleFilter{})
	if err != nil || len(list) != 50 {
		b.Fatalf("circles: %d, %v", len(list), err)
	}
	return w, g, user, list
}

// BenchmarkAnswerCircles: /circles in a guild of 50 circles (the answer
// lists the first 10), the bot against the bare bot. Fails over
// circlesGoal.
func BenchmarkAnswerCircles(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		w, g, user, _ := answerWorld(b)
		run := func(int) *discordsim.Response {
			r, err := w.sim.RunCommand(w.ctx, user, g, "circles")
			if err != nil {
				b.Fatal(err)
			}
			return r
		}
		botTimes := latencies(b, w.sim, run)
		w.stopBot()
		stop := bareBot(b, w.sim)
		bareTimes := latencies(b, w.sim, run)
		stop()
		compareWithBare(b, "/circles with 50 circles", botTimes, bareTimes, circlesGoal)
		b.StartTimer()
	}
}

// BenchmarkAnswerJoinClick: clicking "I agree — join" on the /join screen
// (a join as a member, with a seat free; the membership is ended through
// the store afterwards, outside the measurement), the bot against the
// bare bot clicking the same screens. Fails over joinClickGoal.
func BenchmarkAnswerJoinClick(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		w, g, user, list := answerWorld(b)
		joinScreen := func(c circles.Circle) *discordsim.Response {
			r, err := w.sim.RunCommand(w.ctx, user, g, "join", discordsim.O("circle", c.Name))
			if err != nil {
				b.Fatal(err)
			}
			return r
		}
		click := func(r *discordsim.Response) *discordsim.Response {
			for _, btn := range r.Buttons() {
				if id, err := bot.DecodeCustomID(btn.CustomID); err == nil && id.Action == "join" && id.Arg == string(circles.ModeMember) {
					got, err := w.sim.Click(w.ctx, user, r.ChannelID, r.MessageID, btn.CustomID)
					if err != nil {
						b.Fatal(err)
					}
					return got
				}
			}
			b.Fatalf("no join button in %q", r.Content)
			return nil
		}
		// The bare bot clicks the same screens the bot showed, kept
		// unclicked: the same INTERACTION_CREATE, message included.
		kept := make([]*discordsim.Response, 0, answerWarmup+answerSamples)
		botTimes := latencies(b, w.sim, func(i int) *discordsim.Response {
			c := list[i%len(list)]
			kept = append(kept, joinScreen(c))
			r := click(joinScreen(c))
			if i == 0 && !strings.Contains(r.Content, "Welcome to") {
				b.Fatalf("the click did not join: %q", r.Content)
			}
			if _, err := w.store.Leave(w.ctx, g, c.ID, user, w.clock.Now()); err != nil {
				b.Fatal(err)
			}
			return r
		})
		w.stopBot()
		stop := bareBot(b, w.sim)
		bareTimes := latencies(b, w.sim, func(i int) *discordsim.Response { return click(kept[i]) })
		stop()
		compareWithBare(b, fmt.Sprintf("a /join click (%d circles)", len(list)), botTimes, bareTimes, joinClickGoal)
		b.StartTimer()
	}
}
