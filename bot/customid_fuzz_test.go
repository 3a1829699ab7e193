package bot

import (
	"strconv"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Fuzz tests of what comes into the bot from outside: custom_ids come back
// from the client (anyone can send any string), topics are read from
// channels people can edit, and time zones are typed. Their seed corpora
// run with every go test; to fuzz longer see docs/SIMULATOR.md, Contributing.

// A custom_id that decodes is exactly what Encode writes for what it
// decodes to, so nothing outside Encode's form is ever taken for a button;
// and Encode never goes past Discord's 100 characters.
func FuzzDecodeCustomID(f *testing.F) {
	for _, id := range []CustomID{
		{Action: "join", GuildID: "1442887612934537216", CircleID: 12, UserID: "1442887612934537217", Arg: "member"},
		{Action: "rsvp", GuildID: "18446744073709551615", CircleID: 1<<63 - 1, SessionID: 1<<63 - 1, Version: 1 << 31, UserID: "18446744073709551615", Arg: "abcdefghijklmnop"},
		{Action: "archive", GuildID: "1", CircleID: 0, Arg: "confirm"},
		{Action: "x"},
	} {
		f.Add(id.Encode())
	}
	for _, s := range []string{
		"", ":", "cb1", "cb1:::::::", "cb1:join:0:0:0:0:0:", "cb1:join:00:1:1:1::", "cb1:join::-1:0:0::", "cb0:join:a:1:2:3:b:member",
		"cb1:join:a:1:2:3:b:member:extra", "cb1:JOIN:a:1:2:3:b:", "cb1:join:a:+1:2:3:b:", "cb1:join:3w5e11264sgsg:1:2:3::",
		"cb1:join::1:2:zik0zl::", "cb1:join::1y2p0ij32e8e8:0:0::", "cb1:j\u00f8in::1:2:3::", strings.Repeat("a", 101),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := DecodeCustomID(s)
		if err != nil {
			if circles.ErrorCode(err) != circles.EInvalid {
				t.Fatalf("DecodeCustomID(%q) = %v, want EInvalid", s, err)
			}
			return
		}
		enc := id.Encode() // panics past 100 characters
		if enc != s {
			t.Fatalf("DecodeCustomID(%q) = %+v, which encodes as %q", s, id, enc)
		}
	})
}

// Every custom_id the bot can make — any snowflakes, IDs and version, an
// action and argument word of up to 16 letters — fits in 100 characters and
// decodes to what was encoded.
func FuzzEncodeCustomID(f *testing.F) {
	f.Add("join", uint64(1442887612934537216), int64(12), int64(0), uint32(1), uint64(1442887612934537217), "member")
	f.Add("reconsent-button", uint64(1<<64-1), int64(1<<63-1), int64(1<<63-1), uint32(1<<31), uint64(1<<64-1), "abcdefghijklmnop")
	f.Add("x", uint64(0), int64(0), int64(0), uint32(0), uint64(0), "")
	f.Fuzz(func(t *testing.T, action string, guild uint64, circle, session int64, version uint32, user uint64, arg string) {
		if !isWord(action) || !isWordOrEmpty(arg) || circle < 0 || session < 0 || version > 1<<31 {
			return // not something the bot makes
		}
		id := CustomID{Action: action, GuildID: strconv.FormatUint(guild, 10), CircleID: circle, SessionID: session, Version: int(version), UserID: strconv.FormatUint(user, 10), Arg: arg}
		if guild%3 == 0 {
			id.GuildID = "" // optional fields
		}
		if user%3 == 0 {
			id.UserID = ""
		}
		enc := id.Encode()
		if len(enc) > maxCustomIDLength {
			t.Fatalf("%+v encodes to %d characters", id, len(enc))
		}
		got, err := DecodeCustomID(enc)
		if err != nil || got != id {
			t.Fatalf("%+v → %q → %+v, %v", id, enc, got, err)
		}
	})
}

// The topic the bot writes on a session's channel gives back that session,
// whatever the circle's name (any name /circle create accepts), and fits
// Discord's 1,024 characters.
func FuzzSessionTopic(f *testing.F) {
	for _, name := range []string{"Grief circle", "Ünïcödé ✨ 火曜日", "12", "circlebot", "a:b:c 7", "**bold** `code` <#1>", strings.Repeat("x", 64),
		"Trap circlebot:session:7", "x circlebot:session:7"} {
		f.Add(name, int64(1))
		f.Add(name, int64(1<<63-1))
	}
	f.Fuzz(func(t *testing.T, name string, id int64) {
		if id <= 0 {
			return // sessions have positive IDs
		}
		// Whatever a name holds — even one saved before names were
		// checked — the topic names its own session only.
		c := circles.Circle{Name: circles.NormalizeName(name)}
		topic := sessionTopic(i18n.English, c, circles.Session{ID: id})
		if n := len([]rune(topic)); n > 1024 && circles.ValidateName(name) == nil {
			t.Fatalf("topic of %d characters: %q", n, topic)
		}
		if got := circles.SessionIDFromTopic(topic); got != id {
			t.Fatalf("topic %q gives session %d, want %d", topic, got, id)
		}
	})
}

// Time zone autocomplete answers whatever is typed with at most 25 real
// zones, each within Discord's 100 characters.
func FuzzZoneChoices(f *testing.F) {
	for _, s := range []string{"", "berlin", "America/", " new york ", "_", "/", "ü", strings.Repeat("a", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		choices := zoneChoices(typed)
		if len(choices) > 25 {
			t.Fatalf("%d choices for %q", len(choices), typed)
		}
		for _, c := range choices {
			zone, _ := c.Value.(string)
			if len(c.Name) > 100 || len(zone) > 100 || circles.ValidateTimeZone(zone) != nil {
				t.Fatalf("choice %+v for %q", c, typed)
			}
		}
	})
}
