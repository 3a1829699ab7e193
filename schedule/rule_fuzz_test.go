package schedule

import (
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Fuzz tests of schedules as facilitators type them (/circle create and
// /circle schedule: a cron spec, or weekday and time, a zone, a duration).
// Their seed corpora run with every go test; to fuzz longer see docs/SIMULATOR.md,
// Contributing.

// fuzzZones have DST of an hour (two hemispheres' worth of dates), of 30
// minutes, and none.
var fuzzZones = []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"}

// A rule ValidateRule accepts, in any of fuzzZones and saved on any day of
// a year, has sessions the scheduler plans (its occurrences) one after
// another and never overlapping in real time for the year after; a rule
// it refuses is refused with a message, and nothing panics either way.
func FuzzRule(f *testing.F) {
	for _, spec := range []string{"0 19 * * TUE", "30 18 * * MON,THU", "0 1,4 * * *", "30 2,3 * * *", "0 3,23 * * *", "0 0,23 * * MON",
		"15 2 * 3,10 SUN", "0 12 29 2 *", "0 9 1 * MON", "0 19 30 2 *", "*/30 * * * *", "0 */6 * * *", "0 19 * * 7", "? 19 * * ?",
		"@weekly", "TZ=UTC 0 19 * * *", "0 19 * *", "61 19 * * *", "0 19 * * TUX", "0 19 L * *", "0 19-1 * * *", "0 19 * * */0"} {
		f.Add(spec, int8(0), int8(19), int8(0), uint16(180), uint16(0))
	}
	f.Add("", int8(2), int8(19), int8(0), uint16(60), uint16(0))   // Tuesdays 19:00
	f.Add("", int8(0), int8(2), int8(30), uint16(60), uint16(120)) // Sundays 02:30, in a gap
	f.Add("", int8(0), int8(1), int8(30), uint16(480), uint16(300))
	f.Add("", int8(9), int8(25), int8(-1), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, spec string, weekday, hour, minute int8, minutes, day uint16) {
		now := utc(2026, time.November, 25, 12, 0).AddDate(0, 0, int(day%366))
		for _, zone := range fuzzZones {
			r := circles.Rule{Cron: spec, Weekday: time.Weekday(weekday), Hour: int(hour), Minute: int(minute), TimeZone: zone, Duration: time.Duration(minutes) * time.Minute}
			if err := ValidateRule(r, now); err != nil {
				if circles.ErrorCode(err) != circles.EInvalid || circles.ErrorMessage(err) == "" {
					t.Fatalf("ValidateRule(%+v) = %v, want EInvalid with a message", r, err)
				}
				_, _ = Next(r, now) // may fail, must not panic
				continue
			}
			c, err := compile(r)
			if err != nil {
				t.Fatalf("%+v passed ValidateRule but doesn't compile: %v", r, err)
			}
			var prev Occurrence
			for after := now; ; {
				o, err := c.next(after)
				if err != nil {
					t.Fatalf("%+v passed ValidateRule, but after %v: %v", r, after, err)
				}
				if o.Start.After(now.AddDate(1, 0, 0)) {
					break
				}
				if !o.Start.After(after) || !o.End.Equal(o.Start.Add(r.Duration)) || o.Start.Location().String() != zone {
					t.Fatalf("%+v after %v: occurrence %v–%v", r, after, o.Start, o.End)
				}
				if !prev.Start.IsZero() && prev.End.After(o.Start) {
					t.Fatalf("%+v passed ValidateRule on %v, but the session %v–%v overlaps the next, %v", r, now, prev.Start, prev.End, o.Start)
				}
				prev, after = o, o.Start
			}
		}
	})
}

// The wall-clock times the scheduler walks for a cron spec are the ones
// robfig/cron's own schedule gives for it (in UTC, where clocks don't
// change), and a spec robfig finds a time for is not called one that never
// matches.
func FuzzCronWallTimes(f *testing.F) {
	for _, spec := range []string{"0 19 * * TUE", "0 9 1 * MON", "0 9 1 * *", "0 9 * * *", "*/20 8-9 1,15 * 1-5", "0 12 29 2 *", "0 12 29 2 MON",
		"30 2 * 3,10 SUN", "0 0 31 * *", "5-10/2 3 * JAN-MAR SAT", "? ? 13 * FRI", "0 0 * * 0,6", "0 19 30 2 *"} {
		f.Add(spec)
	}
	from := utc(2026, time.January, 1, 0, 0)
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := compile(circles.Rule{Cron: spec, TimeZone: "UTC", Duration: time.Hour})
		if err != nil || c.spec == nil {
			return
		}
		after := from
		for i := 0; i < 40; i++ {
			want := c.spec.Next(after) // zero when none within 5 years
			if want.IsZero() {
				break
			}
			got, err := c.next(after)
			if err != nil || !got.Start.Equal(want) {
				t.Fatalf("%q after %v: scheduler says %v (%v), robfig/cron %v", spec, after, got.Start, err, want)
			}
			if i == 0 {
				if _, ok := c.minGap(); !ok {
					t.Fatalf("%q matches %v, but minGap says it never matches", spec, want)
				}
			}
			after = want
		}
	})
}
