package circles

import (
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"  Grief   circle ": "Grief circle",
		"Ｇｒｉｅｆ":             "Grief",
		"Grief\tcircle\n":   "Grief circle",
		"ﬁre circle":        "fire circle", // the ligature folds under NFKC
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateNameRefusesWhatHides(t *testing.T) {
	for name, want := range map[string]string{
		"Grief\u200bcircle":     "invisible",
		"Grief\u202ecircle":     "invisible",
		"Grief\u2066circle":     "invisible",
		"!!!":                   "letter or digit",
		"   ":                   "1 to 64",
		"x circlebot:SESSION:4": "circlebot:session:",
	} {
		err := ValidateName(name)
		if err == nil || !strings.Contains(ErrorMessage(err), want) {
			t.Errorf("ValidateName(%q) = %v, want a refusal mentioning %q", name, err, want)
		}
	}
	for _, name := range []string{"Grief circle", "Eltern (Teenager)", "Men's group — Tuesdays", "Círculo de duelo", "悲嘆の会", "12 steps"} {
		if err := ValidateName(name); err != nil {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	for in, want := range map[string]string{
		"Grief circle":                   "Grief circle",
		"[Verify](https://evil.example)": `\[Verify\]\(https\://evil.example\)`,
		"a ``` b":                        "a \\`\\`\\` b",
		"**bold** _it_ ~~s~~ ||sp||":     `\*\*bold\*\* \_it\_ \~\~s\~\~ \|\|sp\|\|`,
		"# head\n> quote\n- item":        "\\# head\n\\> quote\n\\- item",
		"<@123> <#456> :smile:":          `\<\@123\> \<\#456\> \:smile\:`,
		`back\slash`:                     `back\\slash`,
	} {
		if got := EscapeMarkdown(in); got != want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormattingOfGuidelines(t *testing.T) {
	for _, ok := range []string{"**Be kind.**\n- listen\n- share", "```\ncode\n```", "see https://example.org"} {
		if err := checkFormatting("Guidelines", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for text, want := range map[string]string{
		"read [rules](https://evil.example)":   "masked links",
		"read [rules](<https://evil.example>)": "masked links",
		"```\nopen":                            "never closed",
	} {
		if err := checkFormatting("Guidelines", text); err == nil || !strings.Contains(ErrorMessage(err), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	if got := NeutralizeFormatting("read [rules](https://evil.example) ```x"); got != "read rules (https://evil.example) ```x\n```" {
		t.Errorf("NeutralizeFormatting = %q", got)
	}
}

func TestSlug(t *testing.T) {
	for _, names := range [][]string{
		{"Grief-circle", "grief_circle!", "Grief  circle", "GRIEF CIRCLE", "Ｇｒｉｅｆ circle"},
	} {
		for _, n := range names[1:] {
			if !SameSlug(names[0], n) {
				t.Errorf("%q and %q should share a slug: %q vs %q", names[0], n, Slug(names[0]), Slug(n))
			}
		}
	}
	if SameSlug("Grief circle", "Grief circle 2") {
		t.Error("different circles share a slug")
	}
	if got := Slug("!!!"); got != "circle" {
		t.Errorf("Slug(!!!) = %q", got)
	}
}

func TestSessionIDFromTopicOnlyReadsTheEnd(t *testing.T) {
	s := Session{ID: 42}
	for topic, want := range map[string]int64{
		"Private session of Grief · peer support · " + s.Marker(): 42,
		s.Marker(): 42,
		"Private session of Quiet circlebot:session:7 · peer support · circlebot:session:9": 9,
		"circlebot:session:7 is mentioned here":                                             0,
		"prefixcirclebot:session:7":                                                         0,
		"circlebot:session:07":                                                              0,
		"circlebot:session:0":                                                               0,
		"":                                                                                  0,
	} {
		if got := SessionIDFromTopic(topic); got != want {
			t.Errorf("SessionIDFromTopic(%q) = %d, want %d", topic, got, want)
		}
	}
}
