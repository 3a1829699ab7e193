// Package schedule decides when circle sessions happen and drives each one
// through its life: reminder, DST notice, open, prompts, end warning, close,
// and channel deletion after retention.
//
// The store is the source of truth. Every pending step is a session row
// whose DueAt is set (an indexed column), so a wake is one index query, a
// restart loses nothing, and a new Scheduler on the same database carries on
// where the last one stopped; side effects go through Actions, which the bot
// implements idempotently, and progress is recorded after each one.
//
// robfig/cron/v3 is used only to parse 5-field cron specs. Occurrences are
// computed here on the rule zone's wall clock, because cron's own Next skips
// a time that falls into a daylight-saving gap and runs a repeated hour
// twice; circlebot moves a gap time to the first minute after the gap (and
// tells the facilitators) and runs a repeated hour once.
package schedule
