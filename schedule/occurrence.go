package schedule

import (
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/circlebot/circlebot/circles"
)

// Occurrence is one meeting of a circle as its rule says it should happen.
type Occurrence struct {
	Start time.Time
	End   time.Time
	// Shift is a note for people when daylight saving time moved Start away
	// from the rule's wall-clock time; empty otherwise.
	Shift string
}

// cronParser accepts exactly the 5 standard fields. Descriptors such as
// @weekly are left off on purpose: they would let a spec slip past the
// field-count check in circles.Rule.Validate, and they say nothing that the
// five fields cannot.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// starBit is robfig/cron's unexported marker on a field written as "*". It
// changes how day-of-month and day-of-week combine (AND instead of OR), and
// we must combine them exactly as robfig/cron would.
const starBit = 1 << 63

// Search limits. A cron spec can match as rarely as once in 28 years (29
// February on a Monday); anything rarer is rejected by ValidateRule.
const (
	maxSearchDays = 28*366 + 7
	maxGapMinutes = 48 * 60 // longest DST-style jump we step over (Samoa skipped a whole day)
	// lookBack is how far before after's wall time next starts resolving
	// candidates: the largest offset swing (26h) plus the largest gap.
	lookBack = 26*time.Hour + maxGapMinutes*time.Minute
)

// compiled is a rule ready for computing occurrences.
type compiled struct {
	rule circles.Rule
	loc  *time.Location
	spec *cron.SpecSchedule // nil for weekly rules
	// minutes are the minutes of the day a cron spec names, ascending
	// (slots), worked out once.
	minutes []int
	// anchor is a date (naive UTC midnight) of the rule's weekday from
	// which an every-few-weeks rule counts its weeks.
	anchor time.Time
}

// defaultAnchor counts the weeks of an every-few-weeks rule saved without
// an anchor (never by the bot: see Anchored) from a fixed Monday, so that
// its sessions are at least always the same.
var defaultAnchor = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

var locations sync.Map // zone name → *time.Location

// loadLocation caches time.LoadLocation, which reads and parses the zone
// file on every call; the scheduler asks for the same few zones all day.
func loadLocation(zone string) (*time.Location, error) {
	if v, ok := locations.Load(zone); ok {
		return v.(*time.Location), nil
	}
	if err := circles.ValidateTimeZone(zone); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, circles.Errorf(circles.EInvalid, "%q is not a time zone I know. Use an IANA name like Europe/Berlin.", zone)
	}
	locations.Store(zone, loc)
	return loc, nil
}

// compile checks what computing occurrences needs (zone, weekday and time,
// cron syntax) without the policy checks of ValidateRule, so that Next stays
// cheap for rules that were validated when they were saved.
func compile(r circles.Rule) (compiled, error) {
	loc, err := loadLocation(r.TimeZone)
	if err != nil {
		return compiled{}, err
	}
	c := compiled{rule: r, loc: loc}
	if r.Cron == "" {
		if r.Weekday < time.Sunday || r.Weekday > time.Saturday {
			return compiled{}, circles.Errorf(circles.EInvalid, "The weekday must be Monday to Sunday.")
		}
		if r.Hour < 0 || r.Hour > 23 || r.Minute < 0 || r.Minute > 59 {
			return compiled{}, circles.Errorf(circles.EInvalid, "The time must be between 00:00 and 23:59; got %02d:%02d.", r.Hour, r.Minute)
		}
		if r.EveryWeeks < 0 || r.EveryWeeks > circles.MaxEveryWeeks || r.NthWeekday < circles.LastWeekday || r.NthWeekday > 4 {
			return compiled{}, circles.Errorf(circles.EInvalid, "A circle meets every 1 to %d weeks, or on the first to fourth or last weekday of the month.", circles.MaxEveryWeeks)
		}
		c.anchor = defaultAnchor
		if r.Anchor != "" {
			a, err := time.Parse(circles.AnchorLayout, r.Anchor)
			if err != nil {
				return compiled{}, circles.Errorf(circles.EInvalid, "The first date of an every-few-weeks schedule must be written YYYY-MM-DD.")
			}
			c.anchor = a
		}
		// Count from the anchor's week's day of the rule's weekday.
		c.anchor = c.anchor.AddDate(0, 0, (int(r.Weekday)-int(c.anchor.Weekday())+7)%7)
		return c, nil
	}
	spec := strings.TrimSpace(r.Cron)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return compiled{}, circles.Errorf(circles.EInvalid, "Please set the time zone with the timezone option, not with TZ= inside the cron schedule `%s`.", r.Cron)
	}
	if n := len(strings.Fields(spec)); n != 5 {
		return compiled{}, circles.Errorf(circles.EInvalid, "A cron schedule has 5 fields (minute hour day-of-month month day-of-week), like `0 19 * * TUE`; `%s` has %d.", r.Cron, n)
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		// robfig/cron's words are Go's (strconv.Atoi: parsing "5L"), so
		// they are not shown: cronFieldError says which field is wrong.
		if err := cronFieldError(spec); err != nil {
			return compiled{}, err
		}
		return compiled{}, circles.Errorf(circles.EInvalid, "The cron schedule `%s` is not valid. The 5 fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC) and day of week (0-6 or SUN-SAT), like `0 19 * * TUE`.", circles.EscapeMarkdown(r.Cron))
	}
	c.spec = s.(*cron.SpecSchedule)
	c.minutes = c.slots()
	return c, nil
}

// Anchored returns r ready to save as of now: the fields its shape doesn't
// use cleared (a cron rule has no weekday pattern, a weekly one no
// anchor), and an every-few-weeks rule anchored on its first session
// after now unless it already has an anchor on its weekday — so changing
// only the time or the duration keeps the same weeks.
func Anchored(r circles.Rule, now time.Time) circles.Rule {
	if r.EveryWeeks == 1 {
		r.EveryWeeks = 0
	}
	if r.Cron != "" {
		r.EveryWeeks, r.NthWeekday = 0, 0
	}
	if r.EveryWeeks == 0 || r.NthWeekday != 0 {
		r.Anchor = ""
		return r
	}
	if a, err := time.Parse(circles.AnchorLayout, r.Anchor); err == nil && a.Weekday() == r.Weekday {
		return r
	}
	weekly := r
	weekly.EveryWeeks, weekly.Anchor = 0, ""
	if o, err := Next(weekly, now); err == nil {
		r.Anchor = o.Start.In(loadLocationOr(r.TimeZone)).Format(circles.AnchorLayout)
	}
	return r
}

func loadLocationOr(zone string) *time.Location {
	if loc, err := loadLocation(zone); err == nil {
		return loc
	}
	return time.UTC
}

// ValidateRule checks a rule completely: circles.Rule.Validate, a full
// parse of a cron spec, that the spec ever matches, and that its sessions
// would not overlap — in wall-clock time, and in real time over the
// OverlapHorizon after now, when a change of the zone's clocks (daylight
// saving time) can bring two sessions closer than the rule says. Errors
// are circles.EInvalid with a message saying what to fix.
func ValidateRule(r circles.Rule, now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	c, err := compile(r)
	if err != nil {
		return err
	}
	if c.spec != nil {
		gap, ok := c.minGap()
		if !ok {
			return circles.Errorf(circles.EInvalid, "The cron schedule `%s` never matches a real date (like 30 February). Please check the day-of-month, month and day-of-week fields.", r.Cron)
		}
		if r.Duration > gap {
			return circles.Errorf(circles.EInvalid, "Sessions last %s, but `%s` starts a new one as often as every %s, so they would overlap. Use a shorter duration or space the start times further apart.", fmtDuration(r.Duration), r.Cron, fmtDuration(gap))
		}
	}
	return c.checkOverlaps(now, now.Add(OverlapHorizon))
}

// OverlapHorizon is how far ahead ValidateRule walks a rule's sessions
// looking for two that overlap in real time: a little over a year, so that
// every clock change of the zone comes up at least once.
const OverlapHorizon = 396 * 24 * time.Hour

// checkOverlaps walks the occurrences that start after from, up to until,
// in real time: each must end no later than the next one starts. The first
// that doesn't is refused, with when, why and the longest duration that
// would fit every pair.
func (c compiled) checkOverlaps(from, until time.Time) error {
	prev, err := c.next(from)
	if err != nil {
		return err
	}
	var clash []Occurrence
	fits := time.Duration(1<<63 - 1)
	for !prev.Start.After(until) {
		o, err := c.next(prev.Start)
		if err != nil {
			return err
		}
		if o.Start.After(until) {
			break
		}
		fits = min(fits, o.Start.Sub(prev.Start))
		if clash == nil && prev.End.After(o.Start) {
			clash = []Occurrence{prev, o}
		}
		prev = o
	}
	if clash == nil {
		return nil
	}
	what := "by `" + c.rule.Cron + "`"
	if c.rule.Cron == "" {
		what = fmt.Sprintf("on %s at %02d:%02d", c.rule.Pattern(), c.rule.Hour, c.rule.Minute)
	}
	advice := "Please choose shorter sessions or start times further apart."
	if fits >= circles.MinSessionDuration {
		advice = fmt.Sprintf("Please choose shorter sessions (up to %s fits every session of the coming year) or start times further apart.", fmtDuration(fits))
	}
	return circles.Errorf(circles.EInvalid, "Sessions of %s %s would overlap: %s. %s", fmtDuration(c.rule.Duration), what,
		overlapNote(c.rule.TimeZone, c.loc, clash[0].Start, clash[0].End, clash[1].Start, clash[0].Shift != ""), advice)
}

// overlapNote explains for people why a session from start to end, in
// zone, overlaps the next one of its circle, which starts at next: the
// zone's clocks go forward between the two (or at start, which a clock
// change moved), e.g. "on Sun 28 Mar 2027 the clocks in Europe/Berlin go
// forward 1 hour (daylight saving time), so the session starting at 01:00
// would last until 05:00, past the start of the next one at 04:00". shifted
// says that start was moved out of a gap in the clocks.
func overlapNote(zone string, loc *time.Location, start, end, next time.Time, shifted bool) string {
	ls, le, ln := start.In(loc), end.In(loc), next.In(loc)
	day := ln
	change := ""
	if at, _ := ln.ZoneBounds(); !at.IsZero() && !at.Before(start) {
		day = at.In(loc)
		_, before := at.Add(-time.Nanosecond).In(loc).Zone()
		_, after := day.Zone()
		if d := time.Duration(after-before) * time.Second; d > 0 {
			change = fmt.Sprintf("the clocks in %s go forward %s (daylight saving time)", zone, fmtDuration(d))
		} else {
			change = fmt.Sprintf("the clocks in %s change", zone)
		}
	}
	clock := func(t time.Time) string {
		if t.YearDay() != day.YearDay() || t.Year() != day.Year() {
			return t.Format("15:04 on 2 Jan")
		}
		return t.Format("15:04")
	}
	session := "the session starting at " + clock(ls)
	if shifted {
		session = "the session moved to " + clock(ls)
	}
	out := fmt.Sprintf("%s would last until %s, past the start of the next one at %s", session, clock(le), clock(ln))
	if change == "" {
		return "on " + day.Format("Mon 2 Jan 2006") + " " + out
	}
	return fmt.Sprintf("on %s %s, so %s", day.Format("Mon 2 Jan 2006"), change, out)
}

// Next returns the first occurrence of r that starts strictly after after.
//
// Times are wall-clock times in the rule's zone. A time that falls in a
// daylight-saving gap moves to the first minute after the gap, with Shift
// explaining it; a time in a repeated hour happens once, at its first
// instance.
func Next(r circles.Rule, after time.Time) (Occurrence, error) {
	c, err := compile(r)
	if err != nil {
		return Occurrence{}, err
	}
	return c.next(after)
}

// NextN returns the next n occurrences of r after after, in order.
func NextN(r circles.Rule, after time.Time, n int) ([]Occurrence, error) {
	c, err := compile(r)
	if err != nil {
		return nil, err
	}
	out := make([]Occurrence, 0, max(n, 0))
	for range n {
		o, err := c.next(after)
		if err != nil {
			return out, err
		}
		out = append(out, o)
		after = o.Start
	}
	return out, nil
}

// next walks wall-clock candidates in ascending order and resolves each to
// an instant. Resolution is monotonic (gap times move to the gap's end, a
// repeated hour takes its first instance), so the first candidate that
// resolves after after is the answer, and candidates that share an instant
// collapse into one occurrence.
func (c compiled) next(after time.Time) (Occurrence, error) {
	aw := naive(after.In(c.loc))
	// A candidate's instant can only be after after if its wall time is
	// within the largest offset swing (26h) plus the largest gap we step
	// over (48h) of after's wall time; anything earlier is skipped without
	// the cost of time.Date.
	cutoff := aw.Add(-lookBack)
	if start, _ := after.In(c.loc).ZoneBounds(); start.IsZero() || !start.After(after.Add(-lookBack)) {
		// The zone's clocks did not change in that window: every wall
		// time up to after's resolves to an instant up to after, so only
		// later ones need resolving. This keeps frequent cron rules cheap
		// (a 15-minute spec would resolve some 300 candidates per call),
		// which walks over a year of occurrences (ValidateRule) rely on.
		cutoff = aw
	}
	return c.nextFrom(after, cutoff)
}

// nextFrom is next resolving the candidates whose wall time is after
// cutoff.
func (c compiled) nextFrom(after, cutoff time.Time) (Occurrence, error) {
	day := time.Date(cutoff.Year(), cutoff.Month(), cutoff.Day(), 0, 0, 0, 0, time.UTC)
	var found Occurrence
	ok := c.walk(day, maxSearchDays+4, func(w time.Time) bool {
		if !w.After(cutoff) {
			return false
		}
		t, shifted := resolve(w, c.loc)
		if !t.After(after) {
			return false
		}
		found = Occurrence{Start: t, End: t.Add(c.rule.Duration)}
		if shifted {
			found.Shift = shiftNote(w, t, c.rule.TimeZone, c.loc)
		}
		return true
	})
	if !ok {
		return Occurrence{}, circles.Errorf(circles.EInvalid, "The cron schedule `%s` has no date in the next 28 years. Please check the day-of-month, month and day-of-week fields.", c.rule.Cron)
	}
	return found, nil
}

// walk calls fn with each wall-clock time the rule names, as a naive UTC
// time, in ascending order, from the start of day for up to days days,
// until fn returns true. It reports whether fn did.
func (c compiled) walk(day time.Time, days int, fn func(w time.Time) bool) bool {
	if c.spec == nil && c.rule.NthWeekday != 0 {
		return c.walkMonthly(day, days, fn)
	}
	if c.spec == nil {
		day = day.AddDate(0, 0, (int(c.rule.Weekday)-int(day.Weekday())+7)%7)
		step := 7
		if n := c.rule.EveryWeeks; n > 1 {
			step = 7 * n
			// Move on to the next week that is one of the rule's.
			weeks := int(day.Sub(c.anchor)/(24*time.Hour)) / 7
			if off := ((weeks % n) + n) % n; off != 0 {
				day = day.AddDate(0, 0, 7*(n-off))
			}
		}
		for i := 0; i < days; i += step {
			w := day.AddDate(0, 0, i).Add(time.Duration(c.rule.Hour)*time.Hour + time.Duration(c.rule.Minute)*time.Minute)
			if fn(w) {
				return true
			}
		}
		return false
	}
	slots := c.minutes
	for i := range days {
		d := day.AddDate(0, 0, i)
		if !c.dayMatches(d) {
			continue
		}
		for _, m := range slots {
			if fn(d.Add(time.Duration(m) * time.Minute)) {
				return true
			}
		}
	}
	return false
}

// walkMonthly is walk for a rule that meets on the nth (or last) weekday
// of each month.
func (c compiled) walkMonthly(day time.Time, days int, fn func(w time.Time) bool) bool {
	end := day.AddDate(0, 0, days)
	clock := time.Duration(c.rule.Hour)*time.Hour + time.Duration(c.rule.Minute)*time.Minute
	for m := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(end); m = m.AddDate(0, 1, 0) {
		d := NthWeekdayOf(m.Year(), m.Month(), c.rule.Weekday, c.rule.NthWeekday)
		if d.Before(day) {
			continue
		}
		if fn(d.Add(clock)) {
			return true
		}
	}
	return false
}

// NthWeekdayOf is the date (naive UTC midnight) of the nth weekday of a
// month, 1 to 4, or circles.LastWeekday for the last.
func NthWeekdayOf(year int, month time.Month, weekday time.Weekday, nth int) time.Time {
	if nth == circles.LastWeekday {
		last := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC)
		return last.AddDate(0, 0, -((int(last.Weekday()) - int(weekday) + 7) % 7))
	}
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	return first.AddDate(0, 0, (int(weekday)-int(first.Weekday())+7)%7+7*(nth-1))
}

// slots lists the minutes of the day a cron spec names, ascending.
func (c compiled) slots() []int {
	var out []int
	for h := uint64(c.spec.Hour &^ starBit); h != 0; h &= h - 1 {
		hour := bits.TrailingZeros64(h)
		for m := uint64(c.spec.Minute &^ starBit); m != 0; m &= m - 1 {
			out = append(out, hour*60+bits.TrailingZeros64(m))
		}
	}
	return out
}

// dayMatches mirrors robfig/cron's rule: when either day field is "*" both
// must match, otherwise either may.
func (c compiled) dayMatches(d time.Time) bool {
	s := c.spec
	if s.Month&(1<<uint(d.Month())) == 0 {
		return false
	}
	dom := s.Dom&(1<<uint(d.Day())) != 0
	dow := s.Dow&(1<<uint(d.Weekday())) != 0
	if s.Dom&starBit != 0 || s.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// minGap is the shortest wall-clock distance between two starts of a cron
// rule, over a 28-year window (the calendar's weekday pattern repeats every
// 28 years). ok is false when the spec never matches.
func (c compiled) minGap() (gap time.Duration, ok bool) {
	slots := c.minutes
	if len(slots) == 0 {
		return 0, false
	}
	best := 7 * 24 * 60 * 366 // larger than any real gap
	for i := 1; i < len(slots); i++ {
		best = min(best, slots[i]-slots[i-1])
	}
	day := time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	prev := -1
	for i := range 28 * 366 {
		if !c.dayMatches(day.AddDate(0, 0, i)) {
			continue
		}
		ok = true
		if prev >= 0 {
			// From the last start of the previous matching day to the first of this one.
			best = min(best, (i-prev)*24*60-slots[len(slots)-1]+slots[0])
		}
		prev = i
	}
	return time.Duration(best) * time.Minute, ok
}

// resolve turns a wall-clock time (naive UTC) into an instant in loc. A wall
// time in a gap moves to the first valid minute after it (shifted true); a
// wall time that happens twice resolves to its first instance.
//
// time.Date is documented to pick an unspecified instant in both cases, so
// both are detected explicitly: a gap by the wall time not surviving a
// round trip, a repeat by looking for an earlier instant in the zone period
// before the one time.Date chose.
func resolve(w time.Time, loc *time.Location) (time.Time, bool) {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc)
	if naive(t).Equal(w) {
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			_, off := start.Add(-time.Nanosecond).Zone()
			if e := w.Add(-time.Duration(off) * time.Second).In(loc); e.Before(start) && naive(e).Equal(w) {
				return e, false
			}
		}
		return t, false
	}
	for m := w.Add(time.Minute); m.Sub(w) <= maxGapMinutes*time.Minute; m = m.Add(time.Minute) {
		t := time.Date(m.Year(), m.Month(), m.Day(), m.Hour(), m.Minute(), 0, 0, loc)
		if naive(t).Equal(m) {
			return t, true
		}
	}
	return t, true // no real zone has a gap this long; keep time.Date's answer
}

// naive is t's wall clock as a UTC time, so wall times compare and add
// without any zone getting in the way.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// shiftNote explains to facilitators why a session starts later than its
// rule says, e.g. "02:30 does not exist on 28 Mar 2027 in Europe/Berlin
// (clocks go forward); this session starts at 03:00".
func shiftNote(w, t time.Time, zone string, loc *time.Location) string {
	lt := t.In(loc)
	at := lt.Format("15:04")
	if lt.YearDay() != w.YearDay() || lt.Year() != w.Year() {
		at += " on " + lt.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%s does not exist on %s in %s (clocks go forward); this session starts at %s", w.Format("15:04"), w.Format("2 Jan 2006"), zone, at)
}

// fmtDuration prints whole minutes and hours the way people write them.
func fmtDuration(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	switch {
	case m%(24*60) == 0 && m >= 24*60:
		if m == 24*60 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", m/(24*60))
	case m%60 == 0 && m >= 60:
		if m == 60 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", m/60)
	case m >= 60:
		return fmt.Sprintf("%dh%02d", m/60, m%60)
	case m == 1:
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
