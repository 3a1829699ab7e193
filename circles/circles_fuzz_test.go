package circles_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/circlebot/circlebot/circles"
)

// Fuzz tests of the parsers people type into (/circle create and /circle
// schedule's weekday and time) and of the names and topics the bot derives
// from circle names. Their seed corpora run with every go test; to fuzz
// longer see docs/SIMULATOR.md, Contributing.

// clockForm is what ParseClock documents: 24-hour H:MM or HH:MM, digits
// only, around spaces.
var clockForm = regexp.MustCompile(`^[0-9]{1,2}:[0-9]{2}$`)

// A time that parses is written the way the docs say, names a real minute,
// and comes back the same when printed as HH:MM.
func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"19:00", "7:30", "07:30", " 23:59 ", "00:00", "24:00", "19:60", "19:5", "1900", "19.00", "7 pm", "", ":", "0x1:00", "+7:00", "19:+5", "-0:30", "١٩:٠٠", "19:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, m, err := circles.ParseClock(s)
		if err != nil {
			if circles.ErrorCode(err) != circles.EInvalid || h != 0 || m != 0 {
				t.Fatalf("ParseClock(%q) = %d, %d, %v", s, h, m, err)
			}
			return
		}
		if !clockForm.MatchString(strings.TrimSpace(s)) {
			t.Fatalf("ParseClock(%q) accepted something that isn't HH:MM: %02d:%02d", s, h, m)
		}
		if h < 0 || h > 23 || m < 0 || m > 59 {
			t.Fatalf("ParseClock(%q) = %d:%d", s, h, m)
		}
		h2, m2, err := circles.ParseClock(fmt.Sprintf("%02d:%02d", h, m))
		if err != nil || h2 != h || m2 != m {
			t.Fatalf("ParseClock(%q) = %02d:%02d, which parses back as %d:%d, %v", s, h, m, h2, m2, err)
		}
	})
}

// A weekday that parses is one of the names the docs list, in any case,
// and its name, short name and plural parse back to it.
func FuzzParseWeekday(f *testing.F) {
	for _, s := range []string{"Monday", "mon", "TUESDAYS", " wed ", "Thu", "fri", "Saturday", "sun", "", "Mo", "mondayy", "Tues", "søndag", "ſunday", "FRİDAY", "\u212aunday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := circles.ParseWeekday(s)
		if err != nil {
			if circles.ErrorCode(err) != circles.EInvalid {
				t.Fatalf("ParseWeekday(%q) = %v", s, err)
			}
			return
		}
		if d < time.Sunday || d > time.Saturday {
			t.Fatalf("ParseWeekday(%q) = %d", s, d)
		}
		name := d.String()
		in := strings.TrimSpace(s)
		// Lower-cased as Go does ("FRİDAY" is "friday": a Turkish
		// keyboard's capital I).
		if l := strings.ToLower(in); l != strings.ToLower(name) && l != strings.ToLower(name[:3]) && l != strings.ToLower(name)+"s" {
			t.Fatalf("ParseWeekday(%q) = %s, but that's none of %s, %s, %ss", s, name, name, name[:3], name)
		}
		for _, back := range []string{name, name[:3], name + "s", strings.ToUpper(name)} {
			if got, err := circles.ParseWeekday(back); err != nil || got != d {
				t.Fatalf("ParseWeekday(%q) = %v, %v; want %s", back, got, err, d)
			}
		}
	})
}

// Channel names made from any circle name and any session date: never
// empty, at most 100 characters (Discord's limit), and only lower-case
// a-z, 0-9, '-' and other letters and digits.
func FuzzChannelName(f *testing.F) {
	for _, name := range []string{"Grief circle", "", "---", "Ünïcödé ✨ 火曜日", "İSTANBUL ǅ", strings.Repeat("ab ", 40), strings.Repeat("𠀀", 90), "\xff\xfe", "@everyone", "a\u0301b"} {
		f.Add(name, int64(1795615200), uint8(0))
	}
	f.Add("Night owls", int64(-1), uint8(3))
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Kiritimati", "UTC"}
	f.Fuzz(func(t *testing.T, name string, unix int64, zone uint8) {
		loc, err := time.LoadLocation(zones[int(zone)%len(zones)])
		if err != nil {
			t.Fatal(err)
		}
		// Sessions happen between 1970 and 9999.
		start := time.Unix(int64(uint64(unix)%253402214400), 0)
		got := circles.ChannelName(name, start, loc)
		if got == "" || utf8.RuneCountInString(got) > 100 || !utf8.ValidString(got) {
			t.Fatalf("ChannelName(%q, %v) = %q", name, start, got)
		}
		for _, r := range got {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r > 127 && (unicode.IsLetter(r) || unicode.IsDigit(r))
			if !ok {
				t.Fatalf("ChannelName(%q, %v) = %q has %q", name, start, got, r)
			}
		}
		if !strings.HasSuffix(got, start.In(loc).Format("-2006-01-02")) {
			t.Fatalf("ChannelName(%q, %v) = %q doesn't end with the date", name, start, got)
		}
	})
}

// A session's marker gives back its session, alone or at the end of a
// topic, and no topic makes SessionIDFromTopic panic or give a negative ID.
func FuzzSessionIDFromTopic(f *testing.F) {
	for _, topic := range []string{"", "circlebot:session:", "circlebot:session:0", "circlebot:session:-1", "circlebot:session:99999999999999999999", "Private session of Grief circle · peer support, not therapy · circlebot:session:12", "circlebot:session:1 circlebot:session:2", "CIRCLEBOT:SESSION:3"} {
		f.Add(topic, int64(7))
	}
	f.Add("Private session of Night owls · ", int64(1<<63-1))
	f.Fuzz(func(t *testing.T, topic string, id int64) {
		if got := circles.SessionIDFromTopic(topic); got < 0 {
			t.Fatalf("SessionIDFromTopic(%q) = %d", topic, got)
		}
		if id <= 0 {
			return
		}
		marker := circles.Session{ID: id}.Marker()
		if got := circles.SessionIDFromTopic(marker); got != id {
			t.Fatalf("SessionIDFromTopic(%q) = %d, want %d", marker, got, id)
		}
		if strings.Contains(topic, "circlebot:") {
			return // another marker in the text; see bot's FuzzSessionTopic for the topics the bot writes
		}
		if got := circles.SessionIDFromTopic(topic + " · " + marker); got != id {
			t.Fatalf("SessionIDFromTopic(%q) = %d, want %d", topic+" · "+marker, got, id)
		}
	})
}
