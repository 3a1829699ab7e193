package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func starts(t *testing.T, r circles.Rule, after time.Time, n int) []string {
	t.Helper()
	occ, err := NextN(r, after, n)
	if err != nil {
		t.Fatalf("NextN(%+v): %v", r, err)
	}
	loc := mustLoad(t, r.TimeZone)
	out := make([]string, len(occ))
	for i, o := range occ {
		out[i] = o.Start.In(loc).Format("Mon 2006-01-02 15:04")
	}
	return out
}

func TestRecurrenceShapes(t *testing.T) {
	now := utc(2026, time.December, 3, 12, 0) // a Thursday
	tests := []struct {
		name string
		rule circles.Rule
		want []string
	}{
		{"fortnightly from its anchor", circles.Rule{Weekday: time.Tuesday, Hour: 19, EveryWeeks: 2, Anchor: "2026-12-08", TimeZone: "Europe/Berlin", Duration: time.Hour},
			[]string{"Tue 2026-12-08 19:00", "Tue 2026-12-22 19:00", "Tue 2027-01-05 19:00"}},
		{"fortnightly, anchor in the past, off week now", circles.Rule{Weekday: time.Tuesday, Hour: 19, EveryWeeks: 2, Anchor: "2026-11-03", TimeZone: "Europe/Berlin", Duration: time.Hour},
			[]string{"Tue 2026-12-15 19:00", "Tue 2026-12-29 19:00", "Tue 2027-01-12 19:00"}},
		{"every 3 weeks, anchor in the future", circles.Rule{Weekday: time.Monday, Hour: 9, EveryWeeks: 3, Anchor: "2027-01-04", TimeZone: "UTC", Duration: time.Hour},
			[]string{"Mon 2026-12-14 09:00", "Mon 2027-01-04 09:00", "Mon 2027-01-25 09:00"}},
		{"first Tuesday", circles.Rule{Weekday: time.Tuesday, Hour: 19, NthWeekday: 1, TimeZone: "America/New_York", Duration: time.Hour},
			[]string{"Tue 2027-01-05 19:00", "Tue 2027-02-02 19:00", "Tue 2027-03-02 19:00"}},
		{"last Friday", circles.Rule{Weekday: time.Friday, Hour: 18, Minute: 30, NthWeekday: circles.LastWeekday, TimeZone: "Europe/Berlin", Duration: time.Hour},
			[]string{"Fri 2026-12-25 18:30", "Fri 2027-01-29 18:30", "Fri 2027-02-26 18:30"}},
		{"fourth Thursday, this month's still ahead", circles.Rule{Weekday: time.Thursday, Hour: 20, NthWeekday: 4, TimeZone: "UTC", Duration: time.Hour},
			[]string{"Thu 2026-12-24 20:00", "Thu 2027-01-28 20:00", "Thu 2027-02-25 20:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateRule(tt.rule, now); err != nil {
				t.Fatal(err)
			}
			if got := starts(t, tt.rule, now, 3); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Monthly and fortnightly rules keep the DST rules: a start in the gap
// moves to the first valid minute, with a note.
func TestRecurrenceDST(t *testing.T) {
	// Last Sunday of March 2027 is 28 March, when Berlin skips 02:00–03:00.
	r := circles.Rule{Weekday: time.Sunday, Hour: 2, Minute: 30, NthWeekday: circles.LastWeekday, TimeZone: "Europe/Berlin", Duration: time.Hour}
	o := mustNext(t, r, utc(2027, time.March, 1, 0, 0))
	if !o.Start.Equal(utc(2027, time.March, 28, 1, 0)) || o.Shift == "" {
		t.Fatalf("got %v %q, want 03:00 CEST with a shift note", o.Start, o.Shift)
	}
	// Fortnightly across the autumn change keeps its wall time.
	f := circles.Rule{Weekday: time.Sunday, Hour: 19, EveryWeeks: 2, Anchor: "2027-10-24", TimeZone: "Europe/Berlin", Duration: time.Hour}
	if got := starts(t, f, utc(2027, time.October, 20, 0, 0), 2); got[0] != "Sun 2027-10-24 19:00" || got[1] != "Sun 2027-11-07 19:00" {
		t.Fatalf("got %v", got)
	}
}

func TestAnchored(t *testing.T) {
	now := utc(2026, time.December, 3, 12, 0) // Thursday
	r := Anchored(circles.Rule{Weekday: time.Tuesday, Hour: 19, EveryWeeks: 2, TimeZone: "Europe/Berlin", Duration: time.Hour}, now)
	if r.Anchor != "2026-12-08" {
		t.Fatalf("anchor %q, want the first Tuesday after now", r.Anchor)
	}
	moved := r
	moved.Hour = 20
	if got := Anchored(moved, now.AddDate(0, 0, 7)); got.Anchor != r.Anchor {
		t.Fatalf("changing the time moved the anchor to %q", got.Anchor)
	}
	moved.Weekday = time.Wednesday
	if got := Anchored(moved, now); got.Anchor != "2026-12-09" {
		t.Fatalf("changing the weekday: anchor %q", got.Anchor)
	}
	if got := Anchored(circles.Rule{Weekday: time.Tuesday, EveryWeeks: 1, Anchor: "2026-12-08", TimeZone: "UTC"}, now); got.EveryWeeks != 0 || got.Anchor != "" {
		t.Fatalf("a weekly rule keeps %+v", got)
	}
	if got := Anchored(circles.Rule{Cron: "0 19 * * TUE", EveryWeeks: 2, NthWeekday: 1, TimeZone: "UTC"}, now); got.EveryWeeks != 0 || got.NthWeekday != 0 {
		t.Fatalf("a cron rule keeps %+v", got)
	}
}

func TestCronErrorsInWords(t *testing.T) {
	now := utc(2026, time.December, 3, 12, 0)
	for spec, want := range map[string]string{
		"0 19 * * 5L":   "day-of-week field `5L` is not a number or name",
		"61 19 * * *":   "minute field `61` is out of range",
		"0 19 * 13 *":   "month field `13` is out of range",
		"0 19 * * 5-2":  "range that ends before it starts",
		"0 19 * * */0":  "step that is not a positive whole number",
		"0 19 L * *":    "day-of-month field `L`",
		"0 19 * * TUX":  "day-of-week field `TUX`",
		"0 19-1 * * *":  "hour field `19-1`",
		"0 19 1-7 * 2#": "day-of-week field `2#`",
	} {
		err := ValidateRule(circles.Rule{Cron: spec, TimeZone: "UTC", Duration: time.Hour}, now)
		msg := circles.ErrorMessage(err)
		if circles.ErrorCode(err) != circles.EInvalid || !strings.Contains(msg, want) || strings.Contains(msg, "strconv") || strings.Contains(msg, "parse") {
			t.Errorf("%q: %v, want a message with %q", spec, err, want)
		}
	}
}

func TestCronWarnings(t *testing.T) {
	if w := CronWarnings(circles.Rule{Cron: "0 19 1-7 * 2", TimeZone: "UTC"}); len(w) != 1 || !strings.Contains(w[0], "either") {
		t.Fatalf("warnings %v", w)
	}
	for _, spec := range []string{"0 19 * * 2", "0 19 1 * *", "0 19 ? * TUE"} {
		if w := CronWarnings(circles.Rule{Cron: spec, TimeZone: "UTC"}); len(w) != 0 {
			t.Fatalf("%q: warnings %v", spec, w)
		}
	}
}

// Every-few-weeks and monthly rules, in any zone, from any day of a year,
// have sessions in order, on their weekday, never overlapping.
func FuzzRecurrence(f *testing.F) {
	f.Add(int8(2), int8(19), int8(0), int8(2), int8(0), uint16(60), uint16(0))
	f.Add(int8(0), int8(2), int8(30), int8(0), int8(-1), uint16(120), uint16(120))
	f.Add(int8(5), int8(23), int8(30), int8(0), int8(4), uint16(480), uint16(300))
	f.Add(int8(1), int8(1), int8(0), int8(4), int8(0), uint16(30), uint16(10))
	f.Fuzz(func(t *testing.T, weekday, hour, minute, every, nth int8, minutes, day uint16) {
		now := utc(2026, time.November, 25, 12, 0).AddDate(0, 0, int(day%366))
		for _, zone := range fuzzZones {
			r := Anchored(circles.Rule{Weekday: time.Weekday(weekday), Hour: int(hour), Minute: int(minute), EveryWeeks: int(every), NthWeekday: int(nth), TimeZone: zone, Duration: time.Duration(minutes) * time.Minute}, now)
			if err := ValidateRule(r, now); err != nil {
				if circles.ErrorCode(err) != circles.EInvalid || circles.ErrorMessage(err) == "" {
					t.Fatalf("ValidateRule(%+v) = %v", r, err)
				}
				continue
			}
			var prev Occurrence
			for after := now; ; {
				o, err := Next(r, after)
				if err != nil {
					t.Fatalf("%+v: %v", r, err)
				}
				if o.Start.After(now.AddDate(1, 0, 0)) {
					break
				}
				if !o.Start.After(after) || (o.Shift == "" && o.Start.In(mustLoad(t, zone)).Weekday() != r.Weekday) {
					t.Fatalf("%+v after %v: %v", r, after, o.Start)
				}
				if !prev.Start.IsZero() && prev.End.After(o.Start) {
					t.Fatalf("%+v: %v overlaps %v", r, prev, o)
				}
				if w := r.Weeks(); w > 1 && !prev.Start.IsZero() && o.Shift == "" && prev.Shift == "" && o.Start.Sub(prev.Start) < time.Duration(w*7*24-2)*time.Hour {
					t.Fatalf("%+v: %v then %v, less than %d weeks", r, prev.Start, o.Start, w)
				}
				prev, after = o, o.Start
			}
		}
	})
}

func TestRRule(t *testing.T) {
	for _, tt := range []struct {
		rule circles.Rule
		want string
		ok   bool
	}{
		{circles.Rule{Weekday: time.Tuesday, TimeZone: "UTC"}, "FREQ=WEEKLY;BYDAY=TU", true},
		{circles.Rule{Weekday: time.Tuesday, EveryWeeks: 2, TimeZone: "UTC"}, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", true},
		{circles.Rule{Weekday: time.Tuesday, NthWeekday: 1, TimeZone: "UTC"}, "FREQ=MONTHLY;BYDAY=1TU", true},
		{circles.Rule{Weekday: time.Friday, NthWeekday: circles.LastWeekday, TimeZone: "UTC"}, "FREQ=MONTHLY;BYDAY=-1FR", true},
		{circles.Rule{Cron: "30 18 * * MON,THU", TimeZone: "UTC"}, "FREQ=WEEKLY;BYDAY=MO,TH", true},
		{circles.Rule{Cron: "0 9 * * *", TimeZone: "UTC"}, "FREQ=DAILY", true},
		{circles.Rule{Cron: "0 19 1-7 * 2", TimeZone: "UTC"}, "", false},
		{circles.Rule{Cron: "0 9,18 * * 1", TimeZone: "UTC"}, "", false},
		{circles.Rule{Cron: "0 9 * 1-6 1", TimeZone: "UTC"}, "", false},
	} {
		got, ok := RRule(tt.rule)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RRule(%+v) = %q, %v; want %q, %v", tt.rule, got, ok, tt.want, tt.ok)
		}
	}
}
