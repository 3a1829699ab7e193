package circles

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Text that people type — circle names and topics, guidelines, prompts —
// is shown back in chat messages that render markdown, to people who may
// be grieving or in crisis. It must never render as something else: a
// name like "[Verify your seat](https://evil.example)" is not a link, a
// name with a code fence does not swallow the rest of a message, and a
// name does not look like another circle's by hiding characters.

// NormalizeName is the form a circle name is stored and compared in:
// Unicode NFKC (full-width and other compatibility forms folded, so that
// "Ｇｒｉｅｆ" is "Grief"), trimmed, inner runs of white space collapsed to
// one space. Names compare case-insensitively (SameName).
func NormalizeName(name string) string {
	return strings.Join(strings.Fields(norm.NFKC.String(name)), " ")
}

// markerWord is the text of the bot's session marker (Session.Marker). No
// name or topic may contain it, so that the marker at the end of a session
// channel's topic is the bot's alone.
const markerWord = "circlebot:session:"

// checkTyped refuses text that hides characters or carries the bot's
// session marker; what names the field for the message.
func checkTyped(what, s string) error {
	for _, r := range s {
		// Format characters: zero-width spaces and joiners, bidirectional
		// controls (which can make "cric" read as "circ"), soft hyphens.
		if unicode.Is(unicode.Cf, r) {
			return Errorf(EInvalid, "%s can't contain invisible or text-direction characters (such as zero-width spaces or right-to-left marks): they make text look like something it isn't. Please type it again without them.", what)
		}
	}
	if strings.Contains(strings.ToLower(s), markerWord) {
		return Errorf(EInvalid, "%s can't contain %q: circlebot writes that into session channels to recognise them.", what, markerWord)
	}
	return nil
}

// hasLetterOrDigit reports whether s has something to read.
func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// maskedLinkRe finds markdown links whose text hides their address:
// [text](url), also with <url>.
var maskedLinkRe = regexp.MustCompile(`\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?[^)\n]*\)`)

// checkFormatting refuses what simple formatting doesn't need and can
// mislead: masked links, and a code block left open (it would swallow
// everything the bot writes after it). Bold, italics, lists and quotes are
// fine.
func checkFormatting(what, s string) error {
	if maskedLinkRe.MatchString(s) {
		return Errorf(EInvalid, "%s can't contain masked links like [text](address): people should see where a link goes before they click. Please write the address itself.", what)
	}
	if strings.Count(s, "```")%2 != 0 {
		return Errorf(EInvalid, "%s have a code block (```) that is opened but never closed, which would swallow the rest of the message. Please close it or remove it.", what)
	}
	return nil
}

// NeutralizeFormatting makes stored guidelines or prompts safe to show
// even if they were saved before checkFormatting: a masked link shows its
// address — "text (address)" — and a code block left open is closed.
func NeutralizeFormatting(s string) string {
	s = maskedLinkRe.ReplaceAllString(s, "$1 ($2)")
	if strings.Count(s, "```")%2 != 0 {
		s += "\n```"
	}
	return s
}

// markdownSpecial are the characters chat markdown gives a meaning to:
// emphasis, code, spoilers, quotes and headings, lists, links, mentions and
// emoji, and the escape itself. A backslash before any punctuation shows
// it as it is.
const markdownSpecial = "\\*_~`|[]()<>#-:@"

// EscapeMarkdown returns s with every markdown-special character escaped,
// so that it shows exactly as typed. Use it for names and topics written
// into messages (EscapedName); not for plain-text places such as button
// labels, choices, footers or channel names.
func EscapeMarkdown(s string) string {
	if !strings.ContainsAny(s, markdownSpecial) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if strings.ContainsRune(markdownSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// EscapedName is the circle's name for a markdown message (EscapeMarkdown).
func (c Circle) EscapedName() string { return EscapeMarkdown(c.Name) }

// Slug is the name as it appears in a session channel's name: lower case
// letters and digits, other runs of characters a single dash ("Grief
// circle!" → "grief-circle"), at most 80 runes; "circle" when nothing is
// left. Two circles of a server may not share one (SameSlug).
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(NormalizeName(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 127 && isLetterOrDigit(r):
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	slug := strings.TrimSuffix(b.String(), "-")
	if r := []rune(slug); len(r) > 80 {
		slug = strings.TrimSuffix(string(r[:80]), "-")
	}
	if slug == "" {
		slug = "circle"
	}
	return slug
}

// SameSlug reports whether two names would give their circles' session
// channels the same name.
func SameSlug(a, b string) bool { return Slug(a) == Slug(b) }
