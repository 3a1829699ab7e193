package i18n

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// The catalogs are checked as data: every key of the English source is in
// every language, with the same placeholders and Discord markdown, every
// plural form the language's CLDR rules need, and within Discord's limits.

var (
	placeholderRE = regexp.MustCompile(`\{\{\s*\.([A-Za-z0-9_]+)\s*\}\}`)
	commandRE     = regexp.MustCompile(`(?:^|[\s*(“"'«¿¡])(/[a-z]+)\b`)
	templateRE    = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// markdown is what of a text Discord renders or acts on, and what must
// therefore survive translation unchanged: bold, code, line breaks,
// mentions and timestamps, quotes, and the /command names (commands keep
// their English names in every language).
func markdown(s string) string {
	s = templateRE.ReplaceAllString(s, "")
	var cmds []string
	for _, m := range commandRE.FindAllStringSubmatch(s, -1) {
		cmds = append(cmds, m[1])
	}
	sort.Strings(cmds)
	quotes := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "> ") {
			quotes++
		}
	}
	return fmt.Sprintf("bold=%d code=%d lines=%d tags=%d quotes=%d commands=%v",
		strings.Count(s, "**"), strings.Count(s, "`"), strings.Count(s, "\n"), strings.Count(s, "<"), quotes, cmds)
}

func TestCatalogsComplete(t *testing.T) {
	en := Catalog(English)
	if len(en) == 0 {
		t.Fatal("the English catalog is empty")
	}
	for _, loc := range Supported[1:] {
		cat := Catalog(loc)
		for key, src := range en {
			m, ok := cat[key]
			if !ok {
				t.Errorf("%s: %s is missing", loc, key)
				continue
			}
			if (src.Plural == nil) != (m.Plural == nil) {
				t.Errorf("%s: %s: plural in one language and not in the other", loc, key)
				continue
			}
			want := placeholders(strings.Join(src.Forms(), " "))
			md := markdown(src.Forms()[0])
			if src.Plural != nil {
				md = markdown(src.Plural["other"])
			}
			for _, form := range m.Forms() {
				got := placeholders(form)
				if src.Plural != nil {
					// "one" may say the number in words.
					got = append(slices.DeleteFunc(got, func(p string) bool { return p == "Count" }), "Count")
					sort.Strings(got)
					got = slices.Compact(got)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %s: placeholders %v, English has %v:\n%s", loc, key, got, want, form)
				}
				if g := markdown(form); g != md {
					t.Errorf("%s: %s: markdown differs from English:\n  %s: %s\n  en: %s\n%s", loc, key, loc, g, md, form)
				}
			}
		}
		for key := range cat {
			if _, ok := en[key]; !ok {
				t.Errorf("%s: %s is not in the English catalog (renamed or removed?)", loc, key)
			}
		}
	}
}

// Every plural message renders in every language for the counts people
// see (a form the language's rules pick but the catalog lacks would fall
// back to English).
func TestPluralForms(t *testing.T) {
	for _, loc := range Supported {
		for key, m := range Catalog(loc) {
			if m.Plural == nil {
				continue
			}
			for _, n := range []int{0, 1, 2, 3, 5, 11, 21, 100, 1000000} {
				args := sampleArgs(Catalog(English)[key])
				args["Count"] = n
				got := T(loc, key, args)
				if got == key {
					t.Errorf("%s: %s with Count=%d did not render", loc, key, n)
				}
				if loc != English && got == T(English, key, args) && T(English, key, args) != "" {
					t.Errorf("%s: %s with Count=%d fell back to English: %q", loc, key, n, got)
				}
			}
		}
	}
}

// limit is Discord's limit on the text a key is for, by its name: the last
// part of a key says what it is.
func limit(key string) (int, string) {
	last := key[strings.LastIndex(key, ".")+1:]
	switch {
	case strings.HasPrefix(key, "menu."):
		return 32, "message command name"
	case strings.HasPrefix(key, "cmd."), strings.HasPrefix(key, "opt."), strings.HasPrefix(key, "choice."):
		return 100, "command, option or choice description"
	case last == "button" || strings.HasSuffix(last, "_button"):
		return 80, "button label"
	case last == "modal_title" || strings.HasSuffix(last, "_modal_title"):
		return 45, "modal title"
	case last == "input" || strings.HasSuffix(last, "_input"):
		return 45, "text input label"
	case last == "placeholder" || strings.HasSuffix(last, "_placeholder"):
		return 100, "text input placeholder"
	case last == "title" || strings.HasSuffix(last, "_title"), last == "field" || strings.HasSuffix(last, "_field"):
		return 256, "embed title or field name"
	case last == "footer" || strings.HasSuffix(last, "_footer"):
		return 2048, "embed footer"
	}
	return 1800, "message (2,000 with the rest of the message)"
}

// sampleLengths are the longest values the bot fills in, where it bounds
// them (a circle's name is cut to 60 characters in buttons).
var sampleLengths = map[string]int{"Circle": 60, "Name": 30, "Count": 2, "Version": 2, "Position": 2}

func sampleArgs(m Message) Args {
	args := Args{}
	for _, p := range placeholders(strings.Join(m.Forms(), " ")) {
		n, ok := sampleLengths[p]
		if !ok {
			n = 10
		}
		args[p] = strings.Repeat("x", n)
	}
	args["Count"] = 25
	return args
}

func TestLengthLimits(t *testing.T) {
	for _, loc := range Supported {
		for key, m := range Catalog(loc) {
			max, what := limit(key)
			for _, form := range m.Forms() {
				text := form
				for _, p := range placeholders(form) {
					n, ok := sampleLengths[p]
					if !ok {
						n = 10
					}
					text = regexp.MustCompile(`\{\{\s*\.`+p+`\s*\}\}`).ReplaceAllString(text, strings.Repeat("x", n))
				}
				if n := utf8.RuneCountInString(text); n > max {
					t.Errorf("%s: %s is %d characters, over Discord's %d for a %s:\n%s", loc, key, n, max, what, form)
				}
				if strings.TrimSpace(form) == "" {
					t.Errorf("%s: %s is empty", loc, key)
				}
			}
		}
	}
}

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		codes []string
		want  Locale
	}{
		{[]string{"de"}, German},
		{[]string{"en-GB"}, English},
		{[]string{"es-419"}, Spanish},
		{[]string{"es-ES"}, Spanish},
		{[]string{"pt-BR"}, Portuguese},
		{[]string{"fr"}, French},
		{[]string{"ja", "", "fr"}, French}, // unsupported client → member's → guild's
		{[]string{"ja", "ko"}, English},
		{nil, English},
	} {
		if got := Resolve(c.codes...); got != c.want {
			t.Errorf("Resolve(%q) = %s, want %s", c.codes, got, c.want)
		}
	}
}

func TestTFallsBack(t *testing.T) {
	if got := T(German, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key = %q, want the key", got)
	}
	if got := T(Locale("xx"), "common.done"); got != "Done." {
		t.Errorf("unknown locale = %q, want English", got)
	}
}

// BenchmarkT renders a text without placeholders (a label) and one with
// them, in German.
func BenchmarkT(b *testing.B) {
	var plain, templ string
	for _, k := range Keys("") {
		m := Catalog(German)[k]
		switch {
		case m.Plural != nil:
		case !strings.Contains(m.Text, "{{") && plain == "":
			plain = k
		case strings.Contains(m.Text, "{{.Circle}}") && templ == "":
			templ = k
		}
	}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			T(German, plain)
		}
	})
	b.Run("placeholder", func(b *testing.B) {
		for b.Loop() {
			T(German, templ, Args{"Circle": "Trauer", "Position": 2, "Count": 2})
		}
	})
}
