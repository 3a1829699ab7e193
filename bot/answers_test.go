package bot_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

var updateAnswers = flag.Bool("update-answers", false, "rewrite testdata/member-answers.golden from what the bot answers now")

// answerLog collects answers, whole, with every snowflake replaced by a
// name: what a user sees, to the byte, in a form that doesn't change from
// run to run.
type answerLog struct {
	h     *harness
	names map[string]string // snowflake (decimal) → name
	sb    strings.Builder
}

func newAnswerLog(h *harness) *answerLog {
	l := &answerLog{h: h, names: map[string]string{h.guild: "GUILD", h.admin: "ADMIN", h.fac: "FAC", h.fac2: "FAC2", h.facRole: "FACROLE", h.category: "CATEGORY"}}
	for i, m := range h.members {
		l.names[m] = "MEMBER" + strconv.Itoa(i)
	}
	return l
}

var (
	snowflakeRe = regexp.MustCompile(`\d{17,20}`)
	customIDRe  = regexp.MustCompile(`"custom_id": "([^"]*)"`)
)

func (l *answerLog) name(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := l.names[id]; ok {
		return n
	}
	n := fmt.Sprintf("ID%d", len(l.names))
	l.names[id] = n
	return n
}

// add records an answer under a label.
func (l *answerLog) add(label string, r *discordsim.Response) {
	l.h.t.Helper()
	b, err := json.MarshalIndent(struct {
		Type       int
		Ephemeral  bool
		Flags      int
		Content    string
		Embeds     any
		Components any
	}{r.Type, r.Ephemeral, r.Flags, r.Content, r.Embeds, r.Components}, "", "  ")
	if err != nil {
		l.h.t.Fatal(err)
	}
	text := customIDRe.ReplaceAllStringFunc(string(b), func(m string) string {
		raw := customIDRe.FindStringSubmatch(m)[1]
		id, err := bot.DecodeCustomID(raw)
		if err != nil {
			return m
		}
		return fmt.Sprintf(`"custom_id": "%s guild=%s circle=%d session=%d version=%d user=%s arg=%s"`,
			id.Action, l.name(id.GuildID), id.CircleID, id.SessionID, id.Version, l.name(id.UserID), id.Arg)
	})
	text = snowflakeRe.ReplaceAllStringFunc(text, l.name)
	fmt.Fprintf(&l.sb, "== %s ==\n%s\n\n", label, text)
}

// TestMemberAnswersUnchanged is the guard of refactors that must not change
// what members see: /circles, /mycircles (its pages and a circle's
// sessions), /join screens and the answers to join clicks, in circles that
// are full, have a waitlist and listeners, an open session, a skipped
// session, a session that began but hasn't opened, changed guidelines, a
// cron schedule or markdown in their names, compared to the byte with
// testdata/member-answers.golden. After an intended change of wording, run
//
//	go test ./bot -run TestMemberAnswersUnchanged -update-answers
//
// and review the diff of the golden file.
func TestMemberAnswersUnchanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.memberSetup()
	log := newAnswerLog(h)
	m := h.members
	store := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// A circle whose session began at 11:30 UTC and hasn't opened yet,
	// whose schedule then moved to 12:15 UTC: its next session is not
	// today's 12:15, which would start while the other still runs.
	h.clock.Set(t0.Add(-time.Hour))
	busy := circles.NewCircle(h.guild, "Busy circle", circles.KindEducational, circles.Weekly(time.Wednesday, 12, 30, "Europe/Berlin", 90*time.Minute), h.fac, h.clock.Now())
	store(h.store.CreateCircle(h.ctx, &busy))
	_, err := h.bot.Scheduler().Plan(h.ctx, busy.ID)
	store(err)
	h.clock.Set(t0)
	_, _, err = h.store.UpdateCircle(h.ctx, h.guild, busy.ID, func(c *circles.Circle) error {
		c.Schedule = circles.Weekly(time.Wednesday, 13, 15, "Europe/Berlin", 90*time.Minute)
		return nil
	})
	store(err)

	grief := h.memberCircle("Grief circle", 2, true)
	quiet := h.memberCircle("Quiet circle", 3, false)
	renewal := h.memberCircle("Renewal circle", 2, true)
	stars := h.memberCircle("*Stars* & _under_", 5, true)
	cron := circles.NewCircle(h.guild, "Cron circle", circles.KindCondition, circles.Rule{Cron: "30 18 * * 1,4", TimeZone: "America/New_York", Duration: 45 * time.Minute}, h.fac2, h.clock.Now())
	cron.Topic = "Twice a week, **in New York**"
	cron.ListenersAllowed = false
	store(h.store.CreateCircle(h.ctx, &cron))
	_, err = h.bot.Scheduler().Plan(h.ctx, cron.ID)
	store(err)
	archived := h.memberCircle("Archived circle", 4, true)
	for i := range 6 {
		h.memberCircle(fmt.Sprintf("Filler %02d", i), 6, i%2 == 0)
	}

	h.facJoin(m[0], grief, circles.ModeMember)
	h.facJoin(m[1], grief, circles.ModeMember)
	h.facJoin(m[2], grief, circles.ModeListener)
	h.facJoin(m[3], grief, circles.ModeMember) // waitlisted
	h.memberOpenSession(grief)
	h.facJoin(m[0], quiet, circles.ModeMember)
	_, err = h.bot.Scheduler().Skip(h.ctx, h.guild, quiet.ID)
	store(err)
	h.facJoin(m[0], renewal, circles.ModeMember)
	h.facJoin(m[1], renewal, circles.ModeMember)
	h.facJoin(m[3], renewal, circles.ModeMember) // waitlisted
	_, _, err = h.store.UpdateCircle(h.ctx, h.guild, renewal.ID, func(c *circles.Circle) error {
		c.SetGuidelines(c.Guidelines.Text + "\n6. Be kind to yourself.")
		return nil
	})
	store(err)
	h.facJoin(m[0], busy, circles.ModeMember)
	h.facJoin(m[0], stars, circles.ModeListener)
	h.facJoin(m[0], archived, circles.ModeMember)
	_, _, err = h.store.UpdateCircle(h.ctx, h.guild, archived.ID, func(c *circles.Circle) error {
		c.Archived = true
		return nil
	})
	store(err)

	log.add("/circles", h.run(m[5], "circles"))

	page1 := h.run(m[0], "mycircles")
	log.add("/mycircles page 1", page1)
	page2 := h.clickOn(m[0], page1, "mycircles", "next")
	log.add("/mycircles page 2", page2)
	log.add("/mycircles sessions of a circle", h.clickOn(m[0], page2, "mysessions", ""))
	log.add("/mycircles waitlisted", h.run(m[3], "mycircles"))
	log.add("/mycircles listener", h.run(m[2], "mycircles"))
	log.add("/mycircles in none", h.run(m[9], "mycircles"))

	join := func(user string, c circles.Circle) *discordsim.Response {
		return h.run(user, "join", discordsim.O("circle", circlePick(c)))
	}
	log.add("/join full circle, listener seat free", join(m[5], grief))
	log.add("/join already in", join(m[0], grief))
	log.add("/join already in as listener", join(m[2], grief))
	log.add("/join waitlisted", join(m[3], grief))
	log.add("/join guidelines changed", join(m[0], renewal))
	log.add("/join guidelines changed, waitlisted", join(m[3], renewal))
	log.add("/join next session skipped", join(m[5], quiet))
	log.add("/join session under way", join(m[5], busy))
	log.add("/join cron", join(m[5], cron))
	log.add("/join markdown", join(m[5], stars))
	log.add("/join archived", join(m[5], archived))

	log.add("click: join, next session skipped", h.clickOn(m[5], join(m[5], quiet), "join", "member"))
	log.add("click: join, session under way", h.clickOn(m[6], join(m[6], busy), "join", "member"))
	log.add("click: join, in session now", h.clickOn(m[6], join(m[6], grief), "join", "listener"))
	log.add("click: join a full circle", h.clickOn(m[7], join(m[7], grief), "join", "member"))
	log.add("click: agree to new guidelines", h.clickOn(m[0], join(m[0], renewal), "join", "member"))
	log.add("click: agree to new guidelines, waitlisted", h.clickOn(m[3], join(m[3], renewal), "join", "member"))
	log.add("click: switch to a speaking seat", h.clickOn(m[0], join(m[0], stars), "join", "member"))
	log.add("click: join cron", h.clickOn(m[8], join(m[8], cron), "join", "member"))

	got := log.sb.String()
	path := filepath.Join("testdata", "member-answers.golden")
	if *updateAnswers {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-answers to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("answers differ from %s at line %d:\n got: %s\nwant: %s\n(run with -update-answers after an intended change, and review the diff)", path, i+1, g, w)
			}
		}
	}
}
