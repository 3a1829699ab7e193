package bot

import (
	"strconv"
	"strings"

	"github.com/circlebot/circlebot/circles"
)

// customIDPrefix versions the custom_id format, so buttons from an older
// release are recognised and refused kindly instead of misread.
const customIDPrefix = "cb1"

// maxCustomIDLength is Discord's limit.
const maxCustomIDLength = 100

// CustomID is the data a button or modal carries. It comes back from the
// client, so it is only a hint: every field is re-checked against the
// interaction (guild, user) and the store before anything changes.
type CustomID struct {
	Action    string // which handler: "join", "rsvp", …
	GuildID   string // the guild the button belongs to
	CircleID  int64
	SessionID int64
	Version   int    // guidelines version the button was made for
	UserID    string // who the button is for; "" = anyone who may see it
	Arg       string // a short word: a mode, an RSVP answer, "on"/"off"
}

// Encode renders the custom_id: cb1:action:guild:circle:session:version:user:arg,
// with numbers in base 36 so three snowflakes and the rest always fit in
// Discord's 100 characters.
func (c CustomID) Encode() string {
	s := strings.Join([]string{
		customIDPrefix, c.Action, snowflake36(c.GuildID),
		strconv.FormatInt(c.CircleID, 36), strconv.FormatInt(c.SessionID, 36),
		strconv.FormatInt(int64(c.Version), 36), snowflake36(c.UserID), c.Arg,
	}, ":")
	if len(s) > maxCustomIDLength {
		// Only reachable by a programming error: every field is bounded.
		panic("bot: custom_id too long: " + s)
	}
	return s
}

func snowflake36(id string) string {
	if id == "" {
		return ""
	}
	v, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		panic("bot: not a snowflake: " + id) // IDs come from Discord or the store
	}
	return strconv.FormatUint(v, 36)
}

var errBadCustomID = lerr(circles.EInvalid, "auth.button_stale")

// DecodeCustomID parses and validates a custom_id made by Encode.
func DecodeCustomID(s string) (CustomID, error) {
	if len(s) > maxCustomIDLength {
		return CustomID{}, errBadCustomID
	}
	p := strings.Split(s, ":")
	if len(p) != 8 || p[0] != customIDPrefix || !isWord(p[1]) || !isWordOrEmpty(p[7]) {
		return CustomID{}, errBadCustomID
	}
	guild, ok1 := decodeSnowflake(p[2])
	user, ok2 := decodeSnowflake(p[6])
	circleID, ok3 := decodeNumber(p[3])
	sessionID, ok4 := decodeNumber(p[4])
	version, ok5 := decodeNumber(p[5])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || version > 1<<31 {
		return CustomID{}, errBadCustomID
	}
	return CustomID{Action: p[1], GuildID: guild, CircleID: circleID, SessionID: sessionID, Version: int(version), UserID: user, Arg: p[7]}, nil
}

// decodeNumber accepts only the canonical base-36 form Encode writes.
func decodeNumber(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 36, 64)
	if err != nil || v < 0 || strconv.FormatInt(v, 36) != s {
		return 0, false
	}
	return v, true
}

func decodeSnowflake(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	v, err := strconv.ParseUint(s, 36, 64)
	if err != nil || strconv.FormatUint(v, 36) != s {
		return "", false
	}
	return strconv.FormatUint(v, 10), true
}

func isSnowflakeOrEmpty(s string) bool {
	if len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isWordOrEmpty(s string) bool {
	if len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func isWord(s string) bool { return s != "" && isWordOrEmpty(s) }

// letters writes v in base 26 with the digits a–z, without leading 'a's
// (0 is ""), for a number carried in a custom_id's Arg, which takes
// letters only: any 64-bit number fits in at most 14.
func letters(v uint64) string {
	var out []byte
	for ; v > 0; v /= 26 {
		out = append([]byte{byte('a' + v%26)}, out...)
	}
	return string(out)
}
