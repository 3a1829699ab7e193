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

// Encode renders the custom_id: cb1:action:guild:circle:session:version:user:arg.
func (c CustomID) Encode() string {
	s := strings.Join([]string{
		customIDPrefix, c.Action, c.GuildID,
		strconv.FormatInt(c.CircleID, 10), strconv.FormatInt(c.SessionID, 10),
		strconv.Itoa(c.Version), c.UserID, c.Arg,
	}, ":")
	if len(s) > maxCustomIDLength {
		// Only reachable by a programming error: every field is bounded.
		panic("bot: custom_id too long: " + s)
	}
	return s
}

var errBadCustomID = circles.Errorf(circles.EInvalid, "This button is from an older or unknown message and no longer works. Please run the command again.")

// DecodeCustomID parses and validates a custom_id made by Encode.
func DecodeCustomID(s string) (CustomID, error) {
	if len(s) > maxCustomIDLength {
		return CustomID{}, errBadCustomID
	}
	p := strings.Split(s, ":")
	if len(p) != 8 || p[0] != customIDPrefix || !isWord(p[1]) || !isSnowflakeOrEmpty(p[2]) || !isSnowflakeOrEmpty(p[6]) || !isWordOrEmpty(p[7]) {
		return CustomID{}, errBadCustomID
	}
	circleID, err1 := strconv.ParseInt(p[3], 10, 64)
	sessionID, err2 := strconv.ParseInt(p[4], 10, 64)
	version, err3 := strconv.Atoi(p[5])
	if err1 != nil || err2 != nil || err3 != nil || circleID < 0 || sessionID < 0 || version < 0 {
		return CustomID{}, errBadCustomID
	}
	return CustomID{Action: p[1], GuildID: p[2], CircleID: circleID, SessionID: sessionID, Version: version, UserID: p[6], Arg: p[7]}, nil
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
