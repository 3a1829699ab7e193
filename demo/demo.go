// Package demo runs circlebot against the in-repo Discord simulator with a
// sample server and a scripted walkthrough, so anyone can see the bot work
// without a Discord application or token.
//
// Everything is real except Discord and the clock: the real bot on a real
// discordgo session talks to bot/discordsim over loopback, with a real
// SQLite file in a temporary directory, and the walkthrough moves a manual
// clock to reach reminder, opening and closing times in seconds. The
// walkthrough prints what each user does and what the bot answered; it
// runs to the end whatever the bot answers, then fails (a non-zero exit)
// if any step's effect did not happen, naming them.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// Options configure the demo.
type Options struct {
	Out  io.Writer
	Keep bool // keep the database for inspection
	// Log receives the bot's log (debug level); nil discards it unless the
	// environment variable CIRCLEBOT_DEMO_LOG is set, which logs to stderr.
	Log io.Writer
	// Serve keeps the simulated server and the bot running after the
	// walkthrough until ctx ends (Ctrl+C, SIGTERM), as a service would: a
	// container or a systemd unit can run the demo as its process.
	Serve bool
	// TempDir is where the demo makes its temporary directory; empty is
	// the system's (os.TempDir).
	TempDir string
}

// timeout bounds the whole walkthrough; it normally takes a few seconds.
const timeout = 45 * time.Second

// Europe/Berlin is the sample circle's zone; the demo starts on Tuesday
// 1 December 2026 at 17:00 there, two hours before the circle's first
// session.
const zone = "Europe/Berlin"

// demo is the sample world and what the walkthrough has printed so far.
type demo struct {
	ctx   context.Context
	out   io.Writer
	start time.Time // wall clock, for the summary

	sim   *discordsim.Sim
	store *data.Store
	bot   *bot.Bot
	clock *circles.ManualClock
	loc   *time.Location
	dir   string
	db    string

	guild, category, facRole string
	ada, fran, femi          string
	members                  []string          // a dozen members, by id
	names                    map[string]string // user id → display name
	labels                   map[string]string // role/channel id → "@Facilitators", "#Circles"

	seenTimes map[int64]bool    // <t:…> moments already shown with their raw tag
	seenDMs   map[string]int    // user id → DMs already printed
	seenMsgs  map[string]int    // channel id → messages already printed
	brief     bool              // print bot messages by their first line (see briefly)
	failed    []string          // effects a step expected that did not happen
	answered  int               // interactions the bot answered
	facts     map[string]string // milestones for the summary

	circleName string
	channelID  string // the session channel, once opened
	sessionID  int64
}

// Run plays the walkthrough.
func Run(parent context.Context, o Options) error {
	if o.Out == nil {
		o.Out = io.Discard
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	d, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	defer d.tearDown(o.Keep)

	steps := []struct {
		title string
		fn    func()
	}{
		{"A server with circlebot in it", d.stepServer},
		{"Anyone can find crisis resources", d.stepHelpNow},
		{"The admin sets circlebot up", d.stepSetup},
		{"A facilitator creates a circle", d.stepCreate},
		{"The facilitator writes the session prompts", d.stepPrompts},
		{"A member browses the circles", d.stepBrowse},
		{"Three members read the guidelines and join", d.stepJoin},
		{"Someone joins as a listener", d.stepListener},
		{"The circle is full: the next person is waitlisted", d.stepWaitlist},
		{"A member checks their circles and RSVPs", d.stepMyCircles},
		{"An hour before: reminders", d.stepReminders},
		{"19:00: the session opens", d.stepOpen},
		{"A member flags a message to the facilitators", d.stepFlag},
		{"During the session: prompts and a five-minute warning", d.stepDuring},
		{"20:00: the session closes", d.stepClose},
		{"A day later: the channel is deleted", d.stepRetention},
		{"A member leaves; the waitlist moves up", d.stepLeave},
		{"A member asks what circlebot holds about them", d.stepPrivacy},
		{"The next morning: newcomers, and the facilitator's roster", d.stepRoster},
		{"Only a circle's facilitators may change it", d.stepRefusals},
		{"The facilitator adds a seat: the waitlist moves up", d.stepEdit},
		{"The facilitator revises the guidelines", d.stepGuidelines},
		{"An extra session: members agree again and are let in", d.stepOpenNow},
		{"The facilitator runs a round with a timer", d.stepRound},
		{"A circle card: a newcomer joins from its button", d.stepCard},
		{"The facilitator ends the session early", d.stepCloseNow},
		{"The facilitator moves the circle to Thursdays", d.stepSchedule},
		{"The facilitator skips the next session", d.stepSkip},
		{"A member plans ahead and mutes reminders", d.stepPlanAhead},
		{"The facilitator removes someone, then lifts it", d.stepRemove},
		{"A member leaves the Discord server", d.stepMemberLeft},
		{"A member erases their data", d.stepErase},
		{"The admin writes the server's own crisis resources", d.stepCrisis},
		{"The facilitator archives the circle", d.stepArchive},
		{"A fortnightly circle in the Events tab and in calendars", d.stepEvents},
		{"The bot is removed from the server", d.stepRemoved},
	}
	d.printf("circlebot demo — a simulated Discord server, the real bot, a temporary database.\n")
	d.printf("Nothing here talks to Discord; the clock is moved by hand to reach session times.\n")
	for i, s := range steps {
		if ctx.Err() != nil {
			break
		}
		d.header(i+1, s.title)
		s.fn()
	}
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("the walkthrough did not finish within %v", timeout)
		}
		return ctx.Err()
	}
	if n := d.sim.Stats().Deprecated; n > 0 {
		d.missing(fmt.Sprintf("the bot made %d calls Discord's spec marks deprecated", n))
	}
	d.summary()
	if len(d.failed) > 0 {
		return fmt.Errorf("%d step(s) of the walkthrough did not work: %s", len(d.failed), strings.Join(d.failed, "; "))
	}
	if o.Serve {
		d.serve(parent)
	}
	return nil
}

// serve keeps the simulator and the bot connected to it until ctx ends.
func (d *demo) serve(ctx context.Context) {
	d.printf("\nServing: the simulated server and the bot keep running (simulator at %s). Stop with Ctrl+C or SIGTERM.\n", d.sim.APIURL())
	<-ctx.Done()
	d.printf("Stopping.\n")
}

// setUp starts the simulator with the sample server, a database and the bot.
func setUp(ctx context.Context, o Options) (_ *demo, err error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("loading time zone %s: %w", zone, err)
	}
	d := &demo{
		ctx: ctx, out: o.Out, start: time.Now(), loc: loc,
		clock:     circles.NewManualClock(time.Date(2026, 12, 1, 17, 0, 0, 0, loc)),
		names:     map[string]string{},
		labels:    map[string]string{},
		seenTimes: map[int64]bool{},
		seenDMs:   map[string]int{},
		seenMsgs:  map[string]int{},
		facts:     map[string]string{},
	}
	defer func() {
		if err != nil {
			d.tearDown(false)
		}
	}()

	d.sim, err = discordsim.New(discordsim.Options{HeartbeatInterval: 500 * time.Millisecond, Now: discordsim.FollowClock(d.clock.Now)})
	if err != nil {
		return nil, fmt.Errorf("starting the Discord simulator: %w", err)
	}
	d.buildServer()

	d.dir, err = os.MkdirTemp(o.TempDir, "circlebot-demo-")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	d.db = filepath.Join(d.dir, "circlebot.db")
	d.store, err = data.Open(ctx, d.db, data.WithClock(d.clock))
	if err != nil {
		return nil, fmt.Errorf("opening the demo database: %w", err)
	}

	d.bot, err = bot.New(bot.Options{
		Token:         d.sim.Token(),
		ApplicationID: d.sim.ApplicationID(),
		APIURL:        d.sim.APIURL(),
		Store:         d.store,
		Clock:         d.clock,
		Logger:        logger(o.Log),
		Defaults:      bot.Defaults{TimeZone: zone, Capacity: 10, SessionMinutes: 60, RetentionHours: 24, ReminderMinutes: 60},
		EditInterval:  50 * time.Millisecond, // the walkthrough waits for each edit
	})
	if err != nil {
		return nil, fmt.Errorf("creating the bot: %w", err)
	}
	if err := d.bot.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting the bot against the simulator: %w", err)
	}
	return d, nil
}

func logger(w io.Writer) *slog.Logger {
	if w == nil && os.Getenv("CIRCLEBOT_DEMO_LOG") != "" {
		w = os.Stderr
	}
	if w == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// buildServer creates "Harbour Community": Ada owns it, Fran and Femi have
// the Facilitators role, a dozen members, and a "Circles" category.
func (d *demo) buildServer() {
	s := d.sim
	d.ada = d.user("Ada")
	d.guild = s.AddGuild("Harbour Community", d.ada)
	// /circle is shown to members with Manage Channels (its default
	// permission); on a real server an admin can instead allow the
	// Facilitators role in Server Settings → Integrations. The bot itself
	// authorises by the role /setup names.
	d.facRole = s.AddRole(d.guild, "Facilitators", int64(manageChannels))
	d.labels[d.facRole] = "@Facilitators"
	d.category = s.AddCategory(d.guild, "Circles")
	d.labels[d.category] = "#Circles"
	d.labels[s.GeneralChannelID(d.guild)] = "#general"
	d.fran = d.user("Fran")
	d.femi = d.user("Femi")
	s.AddMember(d.guild, d.fran, d.facRole)
	s.AddMember(d.guild, d.femi, d.facRole)
	for _, n := range []string{"Ben", "Chloé", "Dev", "Elif", "Gus", "Hana", "Ivo", "Jas", "Kofi", "Lena", "Maya", "Noor"} {
		id := d.user(n)
		s.AddMember(d.guild, id)
		d.members = append(d.members, id)
	}
	// Dev's Discord is set to German (issue 13): circlebot answers Dev, and
	// DMs Dev, in German, while the circle and everyone else speak English.
	s.SetUserLocale(d.members[2], "de")
}

func (d *demo) user(name string) string {
	id := d.sim.AddUser(name)
	d.names[id] = name
	d.labels[id] = "@" + name
	return id
}

func (d *demo) name(id string) string {
	if n, ok := d.names[id]; ok {
		return n
	}
	if id == d.sim.BotUserID() {
		return "circlebot"
	}
	return "someone"
}

// member returns the i-th sample member (Ben, Chloé, Dev, Elif, Gus, Hana…).
func (d *demo) member(i int) string { return d.members[i] }

// tearDown stops the bot, the store and the simulator, and removes the
// database unless it is kept.
func (d *demo) tearDown(keep bool) {
	if d.bot != nil {
		_ = d.bot.Close()
	}
	if d.store != nil {
		_ = d.store.Close()
	}
	if d.sim != nil {
		d.sim.Close()
	}
	if d.dir == "" {
		return
	}
	if !keep {
		_ = os.RemoveAll(d.dir)
		return
	}
	d.printf("\nThe demo's database is kept at\n  %s\n", d.db)
	if _, err := exec.LookPath("sqlite3"); err == nil {
		d.printf("Look inside with\n  sqlite3 %s .tables\n  sqlite3 %s 'SELECT * FROM consent_events'\n", d.db, d.db)
	} else {
		d.printf("Open it with any SQLite browser (or install the sqlite3 shell: sqlite3 %s .tables).\n", d.db)
	}
	d.printf("Remove it with\n  rm -r %s\n", d.dir)
}

func (d *demo) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

// header starts a step with its number, title and the simulated time.
func (d *demo) header(n int, title string) {
	line := fmt.Sprintf("━━ %d. %s ", n, title)
	if pad := 72 - len([]rune(line)); pad > 0 {
		line += strings.Repeat("━", pad)
	}
	d.printf("\n%s\n", line)
	d.printf("   🕒 %s\n\n", d.clock.Now().In(d.loc).Format("Mon 2 Jan 2006, 15:04 MST"))
}

// note prints narration.
func (d *demo) note(format string, args ...any) {
	d.block("   ", fmt.Sprintf(format, args...))
}

// missing records and prints an effect the step expected that did not
// happen; Run fails at the end if there are any.
func (d *demo) missing(what string) {
	d.failed = append(d.failed, what)
	d.printf("    ✗ expected, but it did not happen: %s\n", what)
}

func (d *demo) summary() {
	d.printf("\n%s\n", strings.Repeat("━", 72))
	d.printf("Demo finished in %.1fs: %d interactions answered by the bot", time.Since(d.start).Seconds(), d.answered)
	if len(d.facts) > 0 {
		var parts []string
		for _, k := range []string{"setup", "circle", "joined", "waitlisted", "opened", "closed", "deleted",
			"reconsent", "removed", "erased", "archived", "purged"} {
			if v, ok := d.facts[k]; ok {
				parts = append(parts, v)
			}
		}
		if len(parts) > 0 {
			d.printf("; %s", strings.Join(parts, ", "))
		}
	}
	d.printf(".\n")
	d.printf("Next: read README.md (\"Running on a real server\") to run circlebot on Discord.\n")
}
