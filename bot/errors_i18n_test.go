package bot

import (
	"fmt"
	"go/ast"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

// domainEnglishOnly are the user-facing error formats of circles/, data/
// and schedule/ that the bot shows in English on purpose, each with why.
// Every other one must be in domainErrorKeys or domainErrorWords.
var domainEnglishOnly = map[string]string{
	// None: every refusal the domain makes reaches someone in Discord.
}

// domainFormats reads circles/, data/ and schedule/ (not their tests) and
// returns each format circles.Errorf is called with, where; it fails on a
// circles.Error built another way (a literal &Error{Message: …}, a format
// that is not a string literal), which the bot could not translate.
func domainFormats(t *testing.T) (map[string][]string, *token.FileSet, []*ast.File) {
	t.Helper()
	made := map[string][]string{}
	sources, fset := parseSources(t, "../circles", "../data", "../schedule")
	var parsed []*ast.File
	for _, src := range sources {
		name, f := src.name, src.file
		parsed = append(parsed, f)
		inCircles := f.Name.Name == "circles"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				// Errorf and Internal in error.go are the only makers.
				if isErrorType(n.Type, inCircles) && filepath.Base(name) != "error.go" {
					t.Errorf("%s: a circles.Error built without Errorf: say it with circles.Errorf so the bot can translate it", fset.Position(n.Pos()))
				}
			case *ast.CallExpr:
				if !isDomainErrorf(n.Fun, inCircles) || len(n.Args) < 2 {
					return true
				}
				lit, ok := n.Args[1].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					if filepath.Base(name) != "error.go" {
						t.Errorf("%s: circles.Errorf with a format that is not a string literal: the bot can't map it to a catalog message", fset.Position(n.Pos()))
					}
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				made[s] = append(made[s], fset.Position(n.Pos()).String())
			}
			return true
		})
	}
	return made, fset, parsed
}

// isDomainErrorf reports whether fun is circles.Errorf (Errorf inside
// package circles).
func isDomainErrorf(fun ast.Expr, inCircles bool) bool { return isCircles(fun, "Errorf", inCircles) }

// isErrorType reports whether typ is circles.Error.
func isErrorType(typ ast.Expr, inCircles bool) bool { return isCircles(typ, "Error", inCircles) }

// isCircles reports whether x names package circles' name.
func isCircles(x ast.Expr, name string, inCircles bool) bool {
	switch x := x.(type) {
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		return ok && pkg.Name == "circles" && x.Sel.Name == name
	case *ast.Ident:
		return inCircles && x.Name == name
	}
	return false
}

// sampleArgs are arguments for format's verbs: a circle's name for %s,
// numbers for %d.
func sampleArgs(format string) []any {
	var out []any
	for _, v := range formatVerbs(format) {
		switch v[len(v)-1] {
		case 'd':
			out = append(out, 7+len(out))
		case 'q':
			out = append(out, "id:")
		default:
			out = append(out, "Grief")
		}
	}
	return out
}

// Every format domainErrorKeys and domainErrorWords translate is one the
// domain still makes with Errorf, and its message exists; and, the other
// way round, every format the domain makes is translated (or listed in
// domainEnglishOnly with why): a reworded or a new error would otherwise
// reach people in English without anyone noticing.
func TestDomainErrorKeys(t *testing.T) {
	made, _, _ := domainFormats(t)
	for format, key := range domainErrorKeys {
		if made[format] == nil {
			t.Errorf("%s: no Errorf in circles/, data/ or schedule/ makes %q any more", key, format)
		}
		if !i18n.Has(key) {
			t.Errorf("%s: not in the catalogs", key)
		}
	}
	for format := range domainErrorWords {
		if made[format] == nil {
			t.Errorf("domainErrorWords: no Errorf in circles/, data/ or schedule/ makes %q any more", format)
		}
		if _, ok := domainErrorKeys[format]; ok {
			t.Errorf("%q is in both domainErrorKeys and domainErrorWords", format)
		}
	}
	var missing []string
	for format, where := range made {
		_, simple := domainErrorKeys[format]
		_, words := domainErrorWords[format]
		_, english := domainEnglishOnly[format]
		if !simple && !words && !english {
			missing = append(missing, fmt.Sprintf("%s: %q", where[0], format))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("a refusal with no catalog message (add it to domainErrorKeys, or domainErrorWords when its arguments are English words): %s", m)
	}

	err := circles.Errorf(circles.EConflict, "You are already in %s as a %s.", "Grief", circles.ModeListener)
	if got, want := errorText(err, i18n.German), "Du bist schon in Grief, als Zuhörer:in."; got != want {
		t.Errorf("German: %q, want %q", got, want)
	}
	if got := errorText(err, i18n.English); got != err.Message {
		t.Errorf("English %q differs from the domain's %q", got, err.Message)
	}
}

// Each mapped format says in English exactly what the domain says, and in
// every other language something else (a translation).
func TestDomainErrorsTranslated(t *testing.T) {
	for format, key := range domainErrorKeys {
		err := circles.Errorf(circles.EInvalid, format, sampleArgs(format)...)
		if got := errorText(err, i18n.English); got != err.Message {
			t.Errorf("%s: English\n  %q\nis not the domain's\n  %q", key, got, err.Message)
			continue
		}
		for _, loc := range i18n.Supported[1:] {
			if got, ok := domainErrorText(err, loc); !ok || got == err.Message {
				t.Errorf("%s: %s says it in English: %q", key, loc, got)
			}
		}
	}
}

// The refusals whose arguments are English words, made by the domain's
// own code: each reads back, in English exactly as made, and in German
// without the English words.
func TestDomainErrorWords(t *testing.T) {
	now := time.Date(2027, 1, 10, 12, 0, 0, 0, time.UTC)
	berlin := func(cron string, d time.Duration) circles.Rule {
		return circles.Rule{Cron: cron, TimeZone: "Europe/Berlin", Duration: d}
	}
	topic := circles.Circle{GuildID: "g", Name: "Grief", Kind: circles.KindPeer, Topic: "for @everyone", Capacity: 8, Facilitators: []string{"f"}, Guidelines: circles.Guidelines{Text: "Be kind.", Version: 1}}
	cases := []struct {
		name   string
		err    error
		german string // a part of the German text
	}{
		{"invisible", circles.ValidateName("Gri\u200bef"), "unsichtbare"},
		{"marker", circles.ValidateName("circlebot:session: x"), `"circlebot:session:"`},
		{"masked guidelines", circles.ValidateGuidelines("See [here](https://example.org)."), "Leitlinien"},
		{"masked prompts", circles.ValidatePrompts([]string{"See [here](https://example.org)."}), "Impulsfragen"},
		{"code block guidelines", circles.ValidateGuidelines("```\nfree"), "Leitlinien"},
		{"code block prompts", circles.ValidatePrompts([]string{"```free"}), "Impulsfragen"},
		{"mentions guidelines", circles.ValidateGuidelines("Hello @everyone"), "Leitlinien"},
		{"mentions prompts", circles.ValidatePrompts([]string{"Hello @here"}), "Impulsfragen"},
		{"mentions name", circles.ValidateName("Grief <@123>"), "Kreisnamen"},
		{"mentions topic", topic.Validate(), "Thema"},
		{"cron unknown", schedule.ValidateRule(berlin("5L 19 * * *", time.Hour), now), "Feld „Minute“"},
		{"cron range", schedule.ValidateRule(berlin("0 25 * * *", time.Hour), now), "Feld „Stunde“"},
		{"cron step", schedule.ValidateRule(berlin("0 19 */0 * *", time.Hour), now), "Feld „Tag des Monats“"},
		{"cron reversed", schedule.ValidateRule(berlin("0 19 * * FRI-MON", time.Hour), now), "Feld „Wochentag“"},
		{"too often", schedule.CheckFrequency(berlin("*/15 * * * *", 10*time.Minute), schedule.Frequency{}, now), "alle 15 Minuten"},
		{"per week", schedule.CheckFrequency(berlin("0 8,14,20 * * *", time.Hour), schedule.Frequency{}, now), "21-mal pro Woche"},
		{"cron overlap", schedule.ValidateRule(berlin("0 19,21 * * *", 3*time.Hour), now), "dauern 3 Stunden"},
		// 28 March 2027: Berlin's clocks go forward from 02:00 to 03:00.
		{"overlap, clocks forward", schedule.ValidateRule(berlin("0 1,4 * * *", 3*time.Hour), now), "werden in Europe/Berlin die Uhren um 1 Stunde vorgestellt"},
		{"overlap, moved", schedule.ValidateRule(berlin("30 2,5 * * *", 3*time.Hour), now), "die auf 03:00 verschobene Sitzung"},
		{"anchor weekday", circles.Errorf(circles.EInvalid, "The first date of an every-few-weeks schedule must be a %s.", time.Tuesday), "Dienstag"},
	}
	for _, c := range cases {
		e, ok := c.err.(*circles.Error)
		if !ok {
			t.Errorf("%s: not a domain error: %v", c.name, c.err)
			continue
		}
		if got := errorText(e, i18n.English); got != e.Message {
			t.Errorf("%s: English\n  %q\nis not the domain's\n  %q", c.name, got, e.Message)
		}
		de, ok := domainErrorText(e, i18n.German)
		if !ok || !strings.Contains(de, c.german) {
			t.Errorf("%s: German %q (translated: %v), want it to contain %q", c.name, de, ok, c.german)
		}
		for _, english := range []string{"Sessions", "would", "the clocks", "field", "minutes", "Guidelines", "Prompts", "Circle names"} {
			if strings.Contains(de, english) {
				t.Errorf("%s: German has the English %q: %q", c.name, english, de)
			}
		}
		for _, loc := range i18n.Supported[2:] {
			if got, ok := domainErrorText(e, loc); !ok || got == e.Message {
				t.Errorf("%s: %s says it in English: %q", c.name, loc, got)
			}
		}
	}

	// The kinds of overlap no real rule of today's limits can make (a
	// weekday rule's sessions are a week apart), from their format.
	note := "on Sun 28 Mar 2027 the clocks in Europe/Berlin change, so the session starting at 23:00 would last until 07:00 on 29 Mar, past the start of the next one at 06:00 on 29 Mar"
	for what, german := range map[string]string{
		"on Tuesdays at 19:00":                        "jeden Dienstag um 19:00",
		"on every 2 weeks on Tuesday at 19:00":        "alle 2 Wochen am Dienstag",
		"on the last Sunday of the month at 23:00":    "am letzten Sonntag im Monat",
		"on the first Wednesday of the month at 8:00": "", // not read: the time isn't HH:MM
	} {
		e := circles.Errorf(circles.EInvalid, "Sessions of %s %s would overlap: %s. %s", "8 hours", what, note, "Please choose shorter sessions (up to 7 hours fits every session of the coming year) or start times further apart.")
		de, ok := domainErrorText(e, i18n.German)
		if german == "" {
			if ok {
				t.Errorf("%s: read as %q", what, de)
			}
			continue
		}
		if !ok || !strings.Contains(de, german) || !strings.Contains(de, "29. März") || !strings.Contains(de, "bis zu 7 Stunden") {
			t.Errorf("%s: German %q (translated: %v)", what, de, ok)
		}
	}

	// An argument the bot doesn't know leaves the whole refusal English.
	e := circles.Errorf(circles.EInvalid, "%s can't contain mentions (@everyone, @here, <@user>, <@&role>, <#channel>). Please write names out instead.", "Nicknames")
	if got := errorText(e, i18n.German); got != e.Message {
		t.Errorf("an unknown field: %q, want the English %q", got, e.Message)
	}
}

// Every field circles' text checks name has a message for each refusal
// of those checks: the field names are read from circles/.
func TestDomainErrorFields(t *testing.T) {
	_, _, files := domainFormats(t)
	helpers := map[string][]string{} // check function → formats it refuses with
	whats := map[string][]string{}   // check function → fields it is called for
	for _, f := range files {
		if f.Name.Name != "circles" {
			continue
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Type.Params.NumFields() < 2 || len(fn.Type.Params.List[0].Names) == 0 || fn.Type.Params.List[0].Names[0].Name != "what" {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok && isDomainErrorf(call.Fun, true) && len(call.Args) > 1 {
					if lit, ok := call.Args[1].(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						helpers[fn.Name.Name] = append(helpers[fn.Name.Name], s)
					}
				}
				return true
			})
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok || helpers[id.Name] == nil {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				whats[id.Name] = append(whats[id.Name], s)
			}
			return true
		})
	}
	if len(helpers) < 3 {
		t.Fatalf("found only the text checks %v in circles/", helpers)
	}
	for fn, formats := range helpers {
		if len(whats[fn]) == 0 {
			t.Errorf("%s: no call with a field name found", fn)
		}
		for _, format := range formats {
			if domainErrorWords[format] == nil {
				t.Errorf("%s refuses with %q, which is not in domainErrorWords", fn, format)
				continue
			}
			for _, what := range whats[fn] {
				args := sampleArgs(format)
				args[0] = what
				err := circles.Errorf(circles.EInvalid, format, args...)
				if _, ok := domainErrorText(err, i18n.German); !ok {
					t.Errorf("%s(%q): no catalog message for %q", fn, what, err.Message)
				}
			}
		}
	}
}

// The texts schedule/ writes for people outside errors — why a clock
// change moves a session, why two sessions overlap, cron warnings — and
// the dates of the skip choices: English as schedule/ writes it, German
// in German.
func TestScheduleTextsTranslated(t *testing.T) {
	// 28 March 2027: Berlin's clocks go forward from 02:00 to 03:00.
	rule := circles.Rule{Cron: "30 2 * * *", TimeZone: "Europe/Berlin", Duration: time.Hour}
	occ, err := schedule.NextN(rule, time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC), 1)
	if err != nil || occ[0].Shift == "" {
		t.Fatalf("no shifted occurrence: %+v, %v", occ, err)
	}
	shift := occ[0].Shift
	if got := shiftText(i18n.English, shift); got != shift {
		t.Errorf("English shift %q, want %q", got, shift)
	}
	if got, want := shiftText(i18n.German, shift), "02:30 gibt es am 28. März 2027 in Europe/Berlin nicht (die Uhren werden vorgestellt); diese Sitzung beginnt um 03:00"; got != want {
		t.Errorf("German shift:\n  %q\nwant\n  %q", got, want)
	}
	for _, loc := range i18n.Supported[1:] {
		if shiftText(loc, shift) == shift {
			t.Errorf("%s: the shift stays English", loc)
		}
	}
	other := "23:30 does not exist on 31 Dec 2011 in Pacific/Apia (clocks go forward); this session starts at 00:00 on 1 Jan 2012"
	if got := shiftText(i18n.English, other); got != other {
		t.Errorf("English shift %q, want %q", got, other)
	}
	if got := shiftText(i18n.French, other); !strings.Contains(got, "1 janv. 2012") {
		t.Errorf("French shift on another day: %q", got)
	}
	if got := shiftText(i18n.German, "something schedule/ says now"); got != "something schedule/ says now" {
		t.Errorf("an unknown shift text changed: %q", got)
	}

	note := "on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session starting at 01:00 would last until 05:00, past the start of the next one at 04:00"
	if got := overlapNoteText(i18n.English, note); got != note {
		t.Errorf("English note %q", got)
	}
	if got, want := overlapNoteText(i18n.German, note), "am So, 28. März 2027 werden in Europe/Berlin die Uhren um 1 Stunde vorgestellt (Sommerzeit), also würde die um 01:00 beginnende Sitzung bis 05:00 dauern, über den Beginn der nächsten um 04:00 hinaus"; got != want {
		t.Errorf("German note:\n  %q\nwant\n  %q", got, want)
	}

	warn := schedule.CronWarnings(circles.Rule{Cron: "0 19 1-7 * 2", TimeZone: "Europe/Berlin", Duration: time.Hour})
	if len(warn) != 1 {
		t.Fatalf("warnings: %q", warn)
	}
	if got := cronWarningsText(i18n.English, warn); got[0] != warn[0] {
		t.Errorf("English warning %q", got[0])
	}
	if got := cronWarningsText(i18n.German, warn); !strings.Contains(got[0], "**entweder**") || got[0] == warn[0] {
		t.Errorf("German warning %q", got[0])
	}

	for _, when := range []time.Time{time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC), time.Date(2027, 5, 2, 7, 5, 0, 0, time.UTC)} {
		if got, want := whenText(i18n.English, when), when.Format("Mon 2 Jan 2006, 15:04"); got != want {
			t.Errorf("English skip date %q, want %q", got, want)
		}
	}
	if got, want := whenText(i18n.German, time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC)), "Di, 24. Nov. 2026, 19:00"; got != want {
		t.Errorf("German skip date %q, want %q", got, want)
	}
}
