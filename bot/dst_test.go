package bot_test

import (
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// A schedule whose sessions a daylight-saving change would make overlap is
// refused when it is saved, by /circle create and /circle schedule alike,
// with the night it would happen and what to do instead.
func TestDSTOverlapRefusedWhenSaved(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	O := discordsim.O
	overlapping := []discordsim.Opt{O("cron", "0 1,4 * * *"), O("duration", 180), O("timezone", "Europe/Berlin")}
	why := []string{"would overlap", "Sun 28 Mar 2027", "go forward 1 hour (daylight saving time)", "until 05:00", "shorter sessions (up to 2 hours", "start times further apart"}

	r := h.facCreate(h.fac, "Night owls", overlapping...)
	wantContains(t, r.Content, why...)
	if n := h.facCircleCount(); n != 0 {
		t.Fatalf("%d circles after a refused create, want none", n)
	}

	h.facCreate(h.fac, "Night owls", O("cron", "0 1,4 * * *"), O("duration", 120), O("timezone", "Europe/Berlin"))
	r = h.run(h.fac, "circle schedule", append([]discordsim.Opt{O("circle", "Night owls")}, overlapping...)...)
	wantContains(t, r.Content, why...)
	if d := h.circle("Night owls").Schedule.Duration; d != 2*time.Hour {
		t.Fatalf("duration after a refused change %s, want the 2 hours it had", d)
	}
}
