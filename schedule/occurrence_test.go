package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func mustLoad(t testing.TB, zone string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustNext(t *testing.T, r circles.Rule, after time.Time) Occurrence {
	t.Helper()
	o, err := Next(r, after)
	if err != nil {
		t.Fatalf("Next(%v, %v): %v", r, after, err)
	}
	return o
}

// utc builds an instant from UTC fields, so expectations do not depend on
// how time.Date resolves ambiguous local times.
func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func TestNextDST(t *testing.T) {
	const berlinShift = "02:30 does not exist on 28 Mar 2027 in Europe/Berlin (clocks go forward); this session starts at 03:00"
	tests := []struct {
		name      string
		rule      circles.Rule
		after     time.Time
		want      []time.Time // consecutive starts
		wantShift []string
	}{
		{
			name:      "berlin weekly spring forward",
			rule:      circles.Weekly(time.Sunday, 2, 30, "Europe/Berlin", time.Hour),
			after:     utc(2027, time.March, 27, 12, 0),
			want:      []time.Time{utc(2027, time.March, 28, 1, 0), utc(2027, time.April, 4, 0, 30)},
			wantShift: []string{berlinShift, ""},
		},
		{
			name:  "berlin weekly fall back runs once, first instance",
			rule:  circles.Weekly(time.Sunday, 2, 30, "Europe/Berlin", time.Hour),
			after: utc(2027, time.October, 30, 12, 0),
			// 02:30 CEST = 00:30 UTC; the repeat at 02:30 CET (01:30 UTC) is not an occurrence.
			want:      []time.Time{utc(2027, time.October, 31, 0, 30), utc(2027, time.November, 7, 1, 30)},
			wantShift: []string{"", ""},
		},
		{
			name:      "new york weekly spring forward",
			rule:      circles.Weekly(time.Sunday, 2, 15, "America/New_York", time.Hour),
			after:     utc(2027, time.March, 13, 12, 0),
			want:      []time.Time{utc(2027, time.March, 14, 7, 0), utc(2027, time.March, 21, 6, 15)},
			wantShift: []string{"02:15 does not exist on 14 Mar 2027 in America/New_York (clocks go forward); this session starts at 03:00", ""},
		},
		{
			name:      "new york weekly fall back runs once, first instance",
			rule:      circles.Weekly(time.Sunday, 1, 30, "America/New_York", time.Hour),
			after:     utc(2027, time.November, 6, 12, 0),
			want:      []time.Time{utc(2027, time.November, 7, 5, 30), utc(2027, time.November, 14, 6, 30)},
			wantShift: []string{"", ""},
		},
		{
			name:      "berlin cron spring forward",
			rule:      circles.Rule{Cron: "30 2 * * *", TimeZone: "Europe/Berlin", Duration: time.Hour},
			after:     utc(2027, time.March, 26, 12, 0),
			want:      []time.Time{utc(2027, time.March, 27, 1, 30), utc(2027, time.March, 28, 1, 0), utc(2027, time.March, 29, 0, 30)},
			wantShift: []string{"", berlinShift, ""},
		},
		{
			name:      "berlin cron: two times in the gap become one session",
			rule:      circles.Rule{Cron: "0,30 2 28 3 *", TimeZone: "Europe/Berlin", Duration: 30 * time.Minute},
			after:     utc(2027, time.March, 27, 12, 0),
			want:      []time.Time{utc(2027, time.March, 28, 1, 0), utc(2028, time.March, 28, 0, 0)},
			wantShift: []string{"02:00 does not exist on 28 Mar 2027 in Europe/Berlin (clocks go forward); this session starts at 03:00", ""},
		},
		{
			name:      "berlin cron fall back runs once",
			rule:      circles.Rule{Cron: "30 2 * * *", TimeZone: "Europe/Berlin", Duration: time.Hour},
			after:     utc(2027, time.October, 29, 12, 0),
			want:      []time.Time{utc(2027, time.October, 30, 0, 30), utc(2027, time.October, 31, 0, 30), utc(2027, time.November, 1, 1, 30)},
			wantShift: []string{"", "", ""},
		},
		{
			name:      "new york cron spring forward",
			rule:      circles.Rule{Cron: "30 2 * * SUN", TimeZone: "America/New_York", Duration: time.Hour},
			after:     utc(2027, time.March, 10, 0, 0),
			want:      []time.Time{utc(2027, time.March, 14, 7, 0), utc(2027, time.March, 21, 6, 30)},
			wantShift: []string{"02:30 does not exist on 14 Mar 2027 in America/New_York (clocks go forward); this session starts at 03:00", ""},
		},
		{
			name:  "new york cron fall back: each repeated time once",
			rule:  circles.Rule{Cron: "0,30 1 * * SUN", TimeZone: "America/New_York", Duration: 30 * time.Minute},
			after: utc(2027, time.November, 6, 12, 0),
			// 01:00 and 01:30 EDT; not 01:00 and 01:30 EST an hour later.
			want:      []time.Time{utc(2027, time.November, 7, 5, 0), utc(2027, time.November, 7, 5, 30), utc(2027, time.November, 14, 6, 0)},
			wantShift: []string{"", "", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextN(tt.rule, tt.after, len(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range got {
				if !o.Start.Equal(tt.want[i]) {
					t.Errorf("occurrence %d starts %v, want %v", i, o.Start.UTC(), tt.want[i])
				}
				if o.Shift != tt.wantShift[i] {
					t.Errorf("occurrence %d shift %q, want %q", i, o.Shift, tt.wantShift[i])
				}
				if !o.End.Equal(o.Start.Add(tt.rule.Duration)) {
					t.Errorf("occurrence %d ends %v, want start+%s", i, o.End, tt.rule.Duration)
				}
				if o.Start.Location().String() != tt.rule.TimeZone {
					t.Errorf("occurrence %d is in %v, want the rule's zone", i, o.Start.Location())
				}
			}
		})
	}
}

// After the first instance of a repeated hour has passed, the second
// instance is not offered as the next occurrence.
func TestNextInsideRepeatedHour(t *testing.T) {
	r := circles.Weekly(time.Sunday, 2, 30, "Europe/Berlin", time.Hour)
	// 01:00 UTC is 02:00 CET, between the two 02:30s.
	o := mustNext(t, r, utc(2027, time.October, 31, 1, 0))
	if want := utc(2027, time.November, 7, 1, 30); !o.Start.Equal(want) {
		t.Fatalf("got %v, want %v", o.Start.UTC(), want)
	}
}

func TestNextIsStrictlyAfter(t *testing.T) {
	r := circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour)
	first := mustNext(t, r, utc(2026, time.November, 20, 0, 0))
	second := mustNext(t, r, first.Start)
	if got := second.Start.Sub(first.Start); got != 7*24*time.Hour {
		t.Fatalf("after a start, next is %s later, want a week", got)
	}
	if first.Start.Weekday() != time.Tuesday || first.Start.Hour() != 19 {
		t.Fatalf("first = %v", first.Start)
	}
}

func TestZoneChange(t *testing.T) {
	after := utc(2026, time.November, 20, 0, 0)
	berlin := mustNext(t, circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour), after)
	newYork := mustNext(t, circles.Weekly(time.Tuesday, 19, 0, "America/New_York", time.Hour), after)
	if !berlin.Start.Equal(utc(2026, time.November, 24, 18, 0)) {
		t.Errorf("Berlin start %v", berlin.Start.UTC())
	}
	if !newYork.Start.Equal(utc(2026, time.November, 25, 0, 0)) {
		t.Errorf("New York start %v", newYork.Start.UTC())
	}
	if d := newYork.Start.Sub(berlin.Start); d != 6*time.Hour {
		t.Errorf("same wall time in two zones is %s apart, want 6h", d)
	}
	cronB := mustNext(t, circles.Rule{Cron: "0 19 * * TUE", TimeZone: "Europe/Berlin", Duration: time.Hour}, after)
	cronNY := mustNext(t, circles.Rule{Cron: "0 19 * * TUE", TimeZone: "America/New_York", Duration: time.Hour}, after)
	if !cronB.Start.Equal(berlin.Start) || !cronNY.Start.Equal(newYork.Start) {
		t.Errorf("cron and weekly rules disagree: %v/%v vs %v/%v", cronB.Start, berlin.Start, cronNY.Start, newYork.Start)
	}
}

func TestWeeklyAcrossAYear(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"} {
		t.Run(zone, func(t *testing.T) {
			loc := mustLoad(t, zone)
			r := circles.Weekly(time.Wednesday, 18, 45, zone, 90*time.Minute)
			from := time.Date(2027, time.January, 1, 0, 0, 0, 0, loc)
			to := from.AddDate(1, 0, 0)
			occ, err := NextN(r, from, 60)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[time.Time]bool{}
			var inYear []Occurrence
			for _, o := range occ {
				if o.Start.Before(to) {
					inYear = append(inYear, o)
				}
			}
			if n := len(inYear); n < 52 || n > 53 {
				t.Fatalf("%d occurrences in a year, want 52 or 53", n)
			}
			for i, o := range inYear {
				if seen[o.Start] {
					t.Fatalf("duplicate start %v", o.Start)
				}
				seen[o.Start] = true
				l := o.Start.In(loc)
				if l.Weekday() != time.Wednesday || l.Hour() != 18 || l.Minute() != 45 {
					t.Errorf("occurrence %d at %v, want Wednesday 18:45", i, l)
				}
				if !o.End.Equal(o.Start.Add(90 * time.Minute)) {
					t.Errorf("occurrence %d: end %v", i, o.End)
				}
				if i > 0 {
					if d := naive(l).Sub(naive(inYear[i-1].Start.In(loc))); d != 7*24*time.Hour {
						t.Errorf("occurrence %d is %s after the previous in wall time, want 7 days", i, d)
					}
				}
			}
		})
	}
}

func TestNextLeapDay(t *testing.T) {
	r := circles.Rule{Cron: "0 12 29 2 *", TimeZone: "Europe/Berlin", Duration: time.Hour}
	o := mustNext(t, r, utc(2025, time.January, 1, 0, 0))
	if want := utc(2028, time.February, 29, 11, 0); !o.Start.Equal(want) {
		t.Fatalf("got %v, want %v", o.Start.UTC(), want)
	}
	if err := ValidateRule(r, utc(2025, time.January, 1, 0, 0)); err != nil {
		t.Fatalf("a leap-day rule is rare but valid: %v", err)
	}
}

// Day-of-month and day-of-week combine like robfig/cron (and Vixie cron):
// OR when both are restricted, AND when either is "*".
func TestCronDayFields(t *testing.T) {
	r := circles.Rule{Cron: "0 9 1 * MON", TimeZone: "UTC", Duration: time.Hour}
	occ, err := NextN(r, utc(2026, time.November, 25, 0, 0), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{utc(2026, time.November, 30, 9, 0), utc(2026, time.December, 1, 9, 0), utc(2026, time.December, 7, 9, 0)}
	for i := range want {
		if !occ[i].Start.Equal(want[i]) {
			t.Errorf("occurrence %d = %v, want %v", i, occ[i].Start, want[i])
		}
	}
}

func TestValidateRule(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name string
		rule circles.Rule
		want string // substring of the message; "" means valid
	}{
		{"weekly", circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", h), ""},
		{"cron", circles.Rule{Cron: "0 19 * * TUE", TimeZone: "Europe/Berlin", Duration: h}, ""},
		{"cron list of days", circles.Rule{Cron: "30 18 * * MON,THU", TimeZone: "America/New_York", Duration: 90 * time.Minute}, ""},
		{"back to back", circles.Rule{Cron: "0 */2 * * *", TimeZone: "UTC", Duration: 2 * h}, ""},
		{"late and early on different days", circles.Rule{Cron: "0 0,23 * * MON", TimeZone: "UTC", Duration: 2 * h}, ""},
		{"bad zone", circles.Weekly(time.Tuesday, 19, 0, "Mars/Olympus", h), "not a time zone"},
		{"no zone", circles.Weekly(time.Tuesday, 19, 0, "", h), "choose a time zone"},
		{"too short", circles.Weekly(time.Tuesday, 19, 0, "UTC", time.Minute), "between 15 minutes"},
		{"bad hour", circles.Weekly(time.Tuesday, 25, 0, "UTC", h), "between 00:00 and 23:59"},
		{"four fields", circles.Rule{Cron: "0 19 * *", TimeZone: "UTC", Duration: h}, "5 fields"},
		{"descriptor", circles.Rule{Cron: "@weekly", TimeZone: "UTC", Duration: h}, "5 fields"},
		{"bad minute", circles.Rule{Cron: "61 19 * * *", TimeZone: "UTC", Duration: h}, "minute takes 0–59"},
		{"bad weekday name", circles.Rule{Cron: "0 19 * * TUX", TimeZone: "UTC", Duration: h}, "not a number or name"},
		{"never", circles.Rule{Cron: "0 19 30 2 *", TimeZone: "UTC", Duration: h}, "never matches"},
		{"overlap within a day", circles.Rule{Cron: "*/30 * * * *", TimeZone: "UTC", Duration: h}, "every 30 minutes, so they would overlap"},
		{"overlap across midnight", circles.Rule{Cron: "0 0,23 * * *", TimeZone: "UTC", Duration: 2 * h}, "every 1 hour"},
		// Three hours apart on the clock, but on 28 March 2027 the clocks
		// go forward at 02:00: 01:00 CET to 04:00 CEST is two hours.
		{"dst overlap", circles.Rule{Cron: "0 1,4 * * *", TimeZone: "Europe/Berlin", Duration: 3 * h},
			"Sessions of 3 hours by `0 1,4 * * *` would overlap: on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session starting at 01:00 would last until 05:00, past the start of the next one at 04:00. Please choose shorter sessions (up to 2 hours fits every session of the coming year) or start times further apart."},
		{"dst overlap new york", circles.Rule{Cron: "0 1,4 * * *", TimeZone: "America/New_York", Duration: 3 * h}, "on Sun 14 Mar 2027 the clocks in America/New_York go forward 1 hour"},
		{"fits the spring night", circles.Rule{Cron: "0 1,4 * * *", TimeZone: "Europe/Berlin", Duration: 2 * h}, ""},
		{"no dst, no overlap", circles.Rule{Cron: "0 1,4 * * *", TimeZone: "Asia/Kolkata", Duration: 3 * h}, ""},
		// Lord Howe goes forward 30 minutes, 02:00 → 02:30, on 3 Oct 2027.
		{"half-hour dst", circles.Rule{Cron: "0 1,3 * * *", TimeZone: "Australia/Lord_Howe", Duration: 2 * h},
			"on Sun 3 Oct 2027 the clocks in Australia/Lord_Howe go forward 30 minutes (daylight saving time), so the session starting at 01:00 would last until 03:30"},
		// 02:30 does not exist that night: its session moves to 03:00 and
		// runs into the 03:30 one, with no change between the two.
		{"moved out of the gap", circles.Rule{Cron: "30 2,3 * * *", TimeZone: "Europe/Berlin", Duration: h},
			"on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session moved to 03:00 would last until 04:00, past the start of the next one at 03:30. Please choose shorter sessions (up to 30 minutes fits"},
		{"across midnight into the change", circles.Rule{Cron: "0 3,23 * * *", TimeZone: "Europe/Berlin", Duration: 4 * h},
			"on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session starting at 23:00 on 27 Mar would last until 04:00, past the start of the next one at 03:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRule(tt.rule, utc(2026, time.November, 25, 12, 0))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if circles.ErrorCode(err) != circles.EInvalid {
				t.Fatalf("err = %v, want EInvalid", err)
			}
			if msg := circles.ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Fatalf("message %q does not mention %q", msg, tt.want)
			}
		})
	}
}

func TestNextRejectsBrokenRules(t *testing.T) {
	for _, r := range []circles.Rule{
		{Cron: "CRON_TZ=UTC 0 19 * * *", TimeZone: "UTC", Duration: time.Hour},
		{Cron: "0 19 31 4 *", TimeZone: "UTC", Duration: time.Hour},
		{Cron: "0 19 * * *", TimeZone: "Nowhere/Land", Duration: time.Hour},
	} {
		if _, err := Next(r, utc(2026, time.January, 1, 0, 0)); circles.ErrorCode(err) != circles.EInvalid {
			t.Errorf("Next(%q in %s) err = %v, want EInvalid", r.Cron, r.TimeZone, err)
		}
	}
}

func TestUnusualZones(t *testing.T) {
	// Samoa skipped Friday 30 Dec 2011 entirely.
	o := mustNext(t, circles.Weekly(time.Friday, 10, 0, "Pacific/Apia", time.Hour), utc(2011, time.December, 27, 0, 0))
	if want := "10:00 does not exist on 30 Dec 2011 in Pacific/Apia (clocks go forward); this session starts at 00:00 on 31 Dec 2011"; o.Shift != want {
		t.Errorf("Apia shift %q, want %q", o.Shift, want)
	}
	if l := o.Start.In(mustLoad(t, "Pacific/Apia")); l.Day() != 31 || l.Hour() != 0 {
		t.Errorf("Apia start %v", l)
	}
	// Lord Howe Island moves its clocks by 30 minutes: 02:00 → 02:30 on 3 Oct 2027.
	lh := circles.Weekly(time.Sunday, 2, 15, "Australia/Lord_Howe", time.Hour)
	o = mustNext(t, lh, utc(2027, time.October, 1, 0, 0))
	if l := o.Start.In(mustLoad(t, "Australia/Lord_Howe")); l.Hour() != 2 || l.Minute() != 30 || o.Shift == "" {
		t.Errorf("Lord Howe spring: %v %q", l, o.Shift)
	}
	// …and back on 4 Apr 2027: 01:30–02:00 happens twice; the first counts.
	lh.Hour, lh.Minute = 1, 45
	o = mustNext(t, lh, utc(2027, time.April, 2, 0, 0))
	if want := utc(2027, time.April, 3, 14, 45); !o.Start.Equal(want) { // 01:45 +11:00
		t.Errorf("Lord Howe fall back: %v, want %v", o.Start.UTC(), want)
	}
}

// Across many zones and two years, every occurrence is after the previous
// one, lands on the rule's wall time unless Shift explains otherwise, and
// weekly rules give one occurrence per week.
func TestOccurrenceProperties(t *testing.T) {
	zones := []string{"Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Tehran", "Europe/London", "America/Havana", "Pacific/Chatham"}
	for _, zone := range zones {
		loc := mustLoad(t, zone)
		for _, hm := range [][2]int{{0, 0}, {0, 30}, {1, 0}, {1, 30}, {2, 0}, {2, 30}, {3, 0}, {23, 30}} {
			for _, r := range []circles.Rule{
				circles.Weekly(time.Sunday, hm[0], hm[1], zone, time.Hour),
				{Cron: fmt.Sprintf("%d %d * * SAT,SUN", hm[1], hm[0]), TimeZone: zone, Duration: time.Hour},
			} {
				occ, err := NextN(r, time.Date(2026, time.January, 1, 0, 0, 0, 0, loc), 104)
				if err != nil {
					t.Fatal(err)
				}
				for i, o := range occ {
					l := o.Start.In(loc)
					onTime := l.Hour() == hm[0] && l.Minute() == hm[1]
					if onTime == (o.Shift != "") {
						t.Errorf("%s %v: occurrence %v on time %v but shift %q", zone, r, l, onTime, o.Shift)
					}
					if i > 0 && !o.Start.After(occ[i-1].Start) {
						t.Errorf("%s %v: %v not after %v", zone, r, o.Start, occ[i-1].Start)
					}
					if r.Cron == "" && i > 0 {
						if d := o.Start.Sub(occ[i-1].Start); d < 7*24*time.Hour-2*time.Hour || d > 7*24*time.Hour+2*time.Hour {
							t.Errorf("%s %v: weekly gap %s", zone, r, d)
						}
					}
				}
			}
		}
	}
}

// next skips the look-back where the zone's clocks did not change; it
// must find exactly what resolving the whole look-back finds: about daily
// through a year, and every couple of hours in the days around each clock
// change, in zones with DST, 30-minute DST, a skipped day and no DST.
func TestNextShortcutMatchesFullLookBack(t *testing.T) {
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"}
	specs := []string{"", "*/15 1-4 * * *", "30 2 * * *", "0 0,23 * * SAT,SUN", "15 2 * 3,10 SUN"}
	for _, zone := range zones {
		from := utc(2027, time.January, 1, 0, 7)
		if zone == "Pacific/Apia" {
			from = utc(2011, time.June, 1, 0, 7) // Apia skipped 30 Dec 2011
		}
		end := from.AddDate(1, 1, 0)
		var points []time.Time
		for p := from; p.Before(end); p = p.Add(25*time.Hour + 7*time.Minute) {
			points = append(points, p)
		}
		for p := from; ; {
			_, change := p.In(mustLoad(t, zone)).ZoneBounds()
			if change.IsZero() || change.After(end) {
				break
			}
			for q := change.Add(-80 * time.Hour); q.Before(change.Add(6 * time.Hour)); q = q.Add(2*time.Hour + 13*time.Minute) {
				points = append(points, q)
			}
			p = change
		}
		for _, spec := range specs {
			c, err := compile(circles.Rule{Cron: spec, Weekday: time.Sunday, Hour: 2, Minute: 30, TimeZone: zone, Duration: 15 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			for _, after := range points {
				got, err1 := c.next(after)
				want, err2 := c.nextFrom(after, naive(after.In(c.loc)).Add(-lookBack))
				if err1 != nil || err2 != nil || !got.Start.Equal(want.Start) || got.Shift != want.Shift {
					t.Fatalf("%s %q after %v: next = %v %q (%v), full look-back = %v %q (%v)", zone, spec, after, got.Start, got.Shift, err1, want.Start, want.Shift, err2)
				}
			}
		}
	}
}
