package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Errors made in circles/, data/ and schedule/ carry a code and an English
// message (circles stays stdlib-only and knows no languages). The bot says
// them in the reader's language: domainErrorKeys maps the format an error
// was made with (circles.Error.Format) to the catalog message, whose
// placeholders {{.A1}}, {{.A2}}… are the format's arguments in order, each
// formatted with its own verb (%q quotes, %02d pads). Arguments that are
// English words are said in the reader's language: a circles.Mode
// ("listener") as mode.*, a time.Weekday as weekday.*. Formats whose
// arguments are English phrases the domain composed (a field's name,
// durations, a clock change) are read by domainErrorWords instead.
//
// A format in neither map is shown in English; TestDomainErrorKeys checks
// that every format listed is still one the domain makes, and that every
// user-facing one the domain makes is listed. A translation is only used
// when the English catalog message says exactly what the domain said, so a
// reworded error can never be shown as an outdated one.
var domainErrorKeys = map[string]string{
	"%s is archived and no longer takes members.":                                                                                                        "domain.archived",
	"Choose to join as a member or as a listener.":                                                                                                       "domain.choose_mode",
	"%s doesn't have listener seats. You can join as a member, and you are always free to just listen.":                                                  "domain.no_listener_seats",
	"The guidelines of %s changed while you were reading them. Please run /join again to read the new version.":                                          "domain.guidelines_changed_reading",
	"A facilitator removed you from %s, so you can't rejoin it yourself. If you think this was a mistake, please talk to a facilitator.":                 "domain.removed_cant_rejoin",
	"You are already on the waitlist for %s.":                                                                                                            "domain.already_waitlisted",
	"You are already in %s as a %s.":                                                                                                                     "domain.already_in",
	"All %d speaking seats in %s are taken, so you stay a listener for now. Try again when a seat frees up.":                                             "domain.speaking_full",
	"All listener seats in %s are taken, so you keep your speaking seat.":                                                                                "domain.listening_full",
	"You're not in %s (nor on its waitlist), so there's nothing to leave. /mycircles shows the circles you're in.":                                       "domain.not_in_leave",
	"You are not in %s. Use /join to join it.":                                                                                                           "domain.not_in_join",
	"The guidelines of %s have changed since the version you agreed to (%d; the current one is %d). Please read the current guidelines and agree again.": "domain.guidelines_changed_since",
	"You're not in %s any more, so there are no reminders to change. Run /mycircles again to see your circles, or /join %s to join it.":                  "domain.not_in_reminders",
	"I couldn't find that session: it may have been cancelled, or replaced by a schedule change. /mycircles shows your next sessions.":                   "domain.session_not_found",
	"This channel isn't a circle session.":                                                                                                               "domain.not_a_session",
	"Please answer going or skip.":                                                                                                                       "domain.answer_going_or_skip",
	"Only members of %s can answer for its sessions.":                                                                                                    "domain.only_members_answer",
	"That session of %s is over, so it no longer takes answers.":                                                                                         "domain.session_over",
	"I couldn't find that circle in this server.":                                                                                                        "domain.circle_not_found",
	"I couldn't find a circle called \"%s\" in this server.":                                                                                             "domain.circle_name_not_found",
	"You are the only facilitator of %s. Please add another facilitator or archive the circle first; nothing was deleted.":                               "domain.only_facilitator_delete",

	// circles: memberships, rounds, servers.
	"That person isn't in %s or on its waitlist, so there's nothing to remove. /circle roster shows who is in it.": "domain.not_in_remove",
	"The speaking time must be between %d and %d minutes (or left out for no timer).":                              "domain.speaking_time_range",
	"You're listening in this circle, so you can't take a turn — but you're welcome to pass, and to just be here.": "domain.listener_no_turn",
	"This round has ended.":            "domain.round_ended",
	"This only works inside a server.": "domain.server_only",
	"Retention must be between 0 and %d hours (0 deletes the channel when the session closes).":                                                    "domain.retention_range",
	"Reminder lead time must be between 0 and %d minutes (0 turns reminders off).":                                                                 "domain.reminder_range",
	"Crisis resources can be at most %d characters; yours has %d.":                                                                                 "domain.crisis_too_long",
	"%s is archived, so it can't be changed any more; its record stays for the server's history. /circle create starts a new circle.":              "domain.archived_no_changes",
	"Guidelines can't be empty: members consent to them before they join.":                                                                         "domain.guidelines_empty",
	"Guidelines can be at most %d characters; yours have %d. Please shorten them by %d.":                                                           "domain.guidelines_too_long",
	"A circle can have at most %d prompts; you gave %d.":                                                                                           "domain.too_many_prompts",
	"Prompt %d is %d characters long; the limit is %d.":                                                                                            "domain.prompt_too_long",
	"Please give the circle a name of 1 to %d characters, for example \"Grief circle\".":                                                           "domain.name_empty",
	"Circle names can be at most %d characters; \"%s\" has %d. Please shorten it by %d.":                                                           "domain.name_too_long",
	"Circle names can't start with %q: circlebot uses that to tell circles picked from a list apart from typed names. Please choose another name.": "domain.name_id_prefix",
	"A circle name needs at least one letter or digit, so that people can tell circles apart, for example \"Grief circle\".":                       "domain.name_no_letters",
	"Circles live in a server; this command only works inside one.":                                                                                "domain.circles_server_only",
	"Kind must be one of peer, educational, condition, demographic or other (got %q).":                                                             "domain.kind_invalid",
	"The topic can be at most %d characters; it has %d.":                                                                                           "domain.topic_too_long",
	"The topic can't contain %q: circlebot writes that into session channels to recognise them.":                                                   "domain.topic_marker",
	"Capacity must be between %d and %d people (support groups work best with 6–12); got %d.":                                                      "domain.capacity_range",
	"Listener seats must be between 0 and %d; got %d.":                                                                                             "domain.listener_seats_range",
	"A circle needs at least one facilitator.":                                                                                                     "domain.no_facilitator",
	"A circle can have at most %d facilitators.":                                                                                                   "domain.too_many_facilitators",
	"Guidelines version must start at 1.":                                                                                                          "domain.guidelines_version",

	// circles: schedule rules and time zones.
	"Sessions must last between %d minutes and %d hours; got %s.":                                                                  "domain.duration_range",
	"A cron schedule has 5 fields (minute hour day-of-month month day-of-week), like `0 19 * * TUE`; \"%s\" has %d.":               "domain.cron_field_count_quoted",
	"The weekday must be Monday to Sunday.":                                                                                        "domain.weekday_range",
	"A circle can meet every week up to every %d weeks; got every %d.":                                                             "domain.every_weeks_range",
	"A monthly circle meets on the first, second, third, fourth or last weekday of the month.":                                     "domain.nth_weekday_range",
	"Please choose either every few weeks or a weekday of the month, not both.":                                                    "domain.weeks_or_nth",
	"The first date of an every-few-weeks schedule must be a %s.":                                                                  "domain.anchor_weekday",
	"The time must be between 00:00 and 23:59; got %02d:%02d.":                                                                     "domain.time_range",
	"Please choose a time zone, like Europe/Berlin or America/New_York.":                                                           "domain.zone_missing",
	"Please choose a named time zone, like Europe/Berlin, rather than \"%s\".":                                                     "domain.zone_local",
	"\"%s\" is not a time zone I know. Use an IANA name like Europe/Berlin or America/New_York (start typing to see suggestions).": "domain.zone_unknown",
	"\"%s\" is not a weekday. Use Monday, Tuesday, … or Mon, Tue, ….":                                                              "domain.not_a_weekday",
	"\"%s\" is not a time. Use 24-hour HH:MM, like 19:00 or 07:30.":                                                                "domain.not_a_time",

	// data: memberships, cards, sessions, servers, circles, privacy.
	"I couldn't tell who is joining.": "domain.who_joins",
	"That person isn't removed from %s, so there's no removal to lift. /circle roster lists removed people under \"Removed\".":                                                               "domain.not_removed",
	"I couldn't find a membership in %s for that person.":                                                                                                                                    "domain.no_membership_for",
	"This circle's card is already in %d channels, the most it can be in. A card whose message is deleted frees its place.":                                                                  "domain.card_max_channels",
	"This circle already has a session at that time.":                                                                                                                                        "domain.session_at_that_time",
	"I don't have any settings for this server yet. An admin can run /setup.":                                                                                                                "domain.no_settings",
	"This server already has a circle called \"%s\". Please pick another name.":                                                                                                              "domain.name_taken",
	"Session channels of \"%s\" would be named like those of **%s**, which this server already has (#%s-…). Please choose a name that differs in more than capitals, spaces or punctuation.": "domain.channel_name_taken",
	"I couldn't tell whose data to delete.":                                                                                                                                                  "domain.whose_data",

	// schedule: sessions and cron schedules.
	"%s is archived, so it has no sessions ahead.":                                                                 "domain.archived_no_sessions",
	"The next %d sessions of %s are all skipped or taken; nothing new was planned.":                                "domain.all_skipped",
	"A session of %s started at this very moment and is already over or called off. Please try again in a moment.": "domain.session_just_over",
	"%s already has an open session: <#%s>.":                                                                       "domain.already_open_in",
	"%s already has an open session.":                                                                              "domain.already_open",
	"%s has no open session to close.":                                                                             "domain.none_open",
	"That session has already started, so it can't be skipped.":                                                    "domain.skip_started",
	"%s has no session planned for then any more. Please choose again from the list.":                              "domain.skip_gone",
	"That session has already started, so it can't be skipped. Use /circle close to end it.":                       "domain.skip_started_close",
	"%q is not a time zone I know. Use an IANA name like Europe/Berlin.":                                           "domain.zone_unknown_short",
	"A circle meets every 1 to %d weeks, or on the first to fourth or last weekday of the month.":                  "domain.repeat_range",
	"The first date of an every-few-weeks schedule must be written YYYY-MM-DD.":                                    "domain.anchor_format",
	"Please set the time zone with the timezone option, not with TZ= inside the cron schedule `%s`.":               "domain.cron_tz",
	"A cron schedule has 5 fields (minute hour day-of-month month day-of-week), like `0 19 * * TUE`; `%s` has %d.": "domain.cron_field_count",
	"The cron schedule `%s` is not valid. The 5 fields are minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC) and day of week (0-6 or SUN-SAT), like `0 19 * * TUE`.": "domain.cron_invalid",
	"The cron schedule `%s` never matches a real date (like 30 February). Please check the day-of-month, month and day-of-week fields.":                                                     "domain.cron_never",
	"The cron schedule `%s` has no date in the next 28 years. Please check the day-of-month, month and day-of-week fields.":                                                                 "domain.cron_no_date",
}

// domainWords reads the arguments of a format whose arguments are English
// phrases (each already formatted with its verb) and returns the catalog
// message to say it with, in lang, and its placeholders; ok is false when
// an argument is not one it knows, and the error is shown in English.
type domainWords func(lang i18n.Locale, a []string) (key string, args i18n.Args, ok bool)

// domainErrorWords are the formats whose arguments are English phrases.
var domainErrorWords = map[string]domainWords{
	// circles' text checks: the first argument names the field checked.
	"%s can't contain invisible or text-direction characters (such as zero-width spaces or right-to-left marks): they make text look like something it isn't. Please type it again without them.": fieldWords("domain.invisible"),
	"%s can't contain %q: circlebot writes that into session channels to recognise them.":                                                                                                         fieldWords("domain.marker"),
	"%s can't contain masked links like [text](address): people should see where a link goes before they click. Please write the address itself.":                                                 fieldWords("domain.masked_links"),
	"%s have a code block (```) that is opened but never closed, which would swallow the rest of the message. Please close it or remove it.":                                                      fieldWords("domain.open_code_block"),
	"%s can't contain mentions (@everyone, @here, <@user>, <@&role>, <#channel>). Please write names out instead.":                                                                                fieldWords("domain.mentions"),

	// schedule: a cron field in words, durations, how often, overlaps.
	"In the cron schedule `%s`, the %s field `%s` %s. The %s takes %d–%d, a range like %s, a list like `1,3` or a step like `*/2`. circlebot doesn't support `L`, `W` or `#`; for \"first Tuesday\" or \"last Friday\" use the weekday and repeat options instead.": cronFieldWords,
	"`%s` would start a session as often as every %s. circlebot keeps a circle's sessions at least %s apart, and at most %d a week: support groups work best meeting about weekly. Please choose a schedule with fewer sessions.":                                   durationWords("domain.too_often", 4, 1, 2),
	"`%s` would meet %s a week. circlebot holds at most %d sessions a week per circle: support groups work best meeting about weekly. Please choose a schedule with fewer sessions.":                                                                                perWeekWords,
	"Sessions last %s, but `%s` starts a new one as often as every %s, so they would overlap. Use a shorter duration or space the start times further apart.":                                                                                                       durationWords("domain.cron_overlap", 3, 0, 2),
	"Sessions of %s %s would overlap: %s. %s": overlapWords,
}

// domainErrorText is err in lang when it is a domain error whose format
// has a catalog message.
func domainErrorText(err error, lang i18n.Locale) (string, bool) {
	var e *circles.Error
	if !errors.As(err, &e) || e.Format == "" {
		return "", false
	}
	render := func(l i18n.Locale) (string, bool) {
		a := formatArgs(l, e.Format, e.Args)
		if key, ok := domainErrorKeys[e.Format]; ok {
			return l.T(key, numbered(a)), true
		}
		if words, ok := domainErrorWords[e.Format]; ok {
			if key, args, ok := words(l, a); ok && i18n.Has(key) {
				return l.T(key, args), true
			}
		}
		return "", false
	}
	// The catalog's English is the domain's, or the catalog is out of date.
	if en, ok := render(i18n.English); !ok || en != e.Message {
		return "", false
	}
	return render(lang)
}

// formatArgs formats each argument with its verb in format, English words
// (a mode, a weekday) in lang.
func formatArgs(lang i18n.Locale, format string, args []any) []string {
	verbs := formatVerbs(format)
	out := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case circles.Mode:
			a = lang.T("mode." + string(v)) // "member", "listener"
		case time.Weekday:
			a = weekdayName(lang, v.String())
		}
		verb := "%v"
		if i < len(verbs) {
			verb = verbs[i]
		}
		out[i] = fmt.Sprintf(verb, a)
	}
	return out
}

// formatVerbs are format's verbs in order, with their flags ("%02d").
func formatVerbs(format string) []string {
	var out []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("+-# 0123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			break
		}
		if format[j] != '%' {
			out = append(out, format[i:j+1])
		}
		i = j
	}
	return out
}

// numbered makes A1, A2… of a.
func numbered(a []string) i18n.Args {
	args := i18n.Args{}
	for i, s := range a {
		args[fmt.Sprintf("A%d", i+1)] = s
	}
	return args
}

// weekdayName is an English weekday ("Tuesday") in lang, "" when it is
// not one.
func weekdayName(lang i18n.Locale, english string) string {
	key := "weekday." + strings.ToLower(english)
	if !i18n.Has(key) {
		return ""
	}
	return lang.T(key)
}

// fieldKeys name the fields circles' text checks refuse ("Guidelines
// can't contain …"): the key of such a refusal is its format's key and
// the field's, one whole sentence per field.
var fieldKeys = map[string]string{
	"Guidelines":   "guidelines",
	"Prompts":      "prompts",
	"Circle names": "names",
	"The topic":    "topic",
}

func fieldWords(key string) domainWords {
	return func(_ i18n.Locale, a []string) (string, i18n.Args, bool) {
		if len(a) == 0 {
			return "", nil, false
		}
		field, ok := fieldKeys[a[0]]
		return key + "." + field, numbered(a), ok
	}
}

// cronFieldNames and cronFieldProblems are the words of schedule's
// refusal of one cron field (cronwords.go).
var (
	cronFieldNames = map[string]string{
		"minute": "minute", "hour": "hour", "day-of-month": "day_of_month", "month": "month", "day-of-week": "day_of_week",
	}
	cronFieldProblems = map[string]string{
		"has a step that is not a positive whole number": "step",
		"is not a number or name it understands":         "unknown",
		"is out of range":                                "range",
		"has a range that ends before it starts":         "reversed",
	}
)

// a: spec, field, value, problem, field, min, max, example.
func cronFieldWords(lang i18n.Locale, a []string) (string, i18n.Args, bool) {
	if len(a) != 8 {
		return "", nil, false
	}
	name, ok1 := cronFieldNames[a[1]]
	problem, ok2 := cronFieldProblems[a[3]]
	args := numbered(a)
	args["Field"] = lang.T("domain.cron_field_name." + name)
	return "domain.cron_field." + problem, args, ok1 && ok2
}

// durationWords reads a format of n arguments with schedule's durations
// at the positions at (0-based) and says them with key.
func durationWords(key string, n int, at ...int) domainWords {
	return func(lang i18n.Locale, a []string) (string, i18n.Args, bool) {
		if len(a) != n {
			return "", nil, false
		}
		args := numbered(a)
		for _, i := range at {
			d, ok := durationText(lang, a[i])
			if !ok {
				return "", nil, false
			}
			args[fmt.Sprintf("A%d", i+1)] = d
		}
		return key, args, true
	}
}

var timesRE = regexp.MustCompile(`^(\d+) times$`)

// a: spec, "once" or "N times", most a week.
func perWeekWords(_ i18n.Locale, a []string) (string, i18n.Args, bool) {
	if len(a) != 3 {
		return "", nil, false
	}
	n := 1
	if a[1] != "once" {
		m := timesRE.FindStringSubmatch(a[1])
		if m == nil {
			return "", nil, false
		}
		n, _ = strconv.Atoi(m[1])
	}
	args := numbered(a)
	delete(args, "A2")
	args["Count"] = n
	return "domain.per_week", args, true
}

var (
	overlapCronRE  = regexp.MustCompile("^by `(.*)`$")
	overlapRuleRE  = regexp.MustCompile(`^on (.+) at (\d\d:\d\d)$`)
	patternNthRE   = regexp.MustCompile(`^the (first|second|third|fourth|last) (\w+) of the month$`)
	patternWeeksRE = regexp.MustCompile(`^every (\d+) weeks on (\w+)$`)
	patternWeekRE  = regexp.MustCompile(`^(\w+)s$`)
	adviceFitsRE   = regexp.MustCompile(`^Please choose shorter sessions \(up to (.+) fits every session of the coming year\) or start times further apart\.$`)
	nthKeys        = map[string]string{"first": "1", "second": "2", "third": "3", "fourth": "4", "last": "last"}
)

// a: duration, "by `spec`" or "on <pattern> at HH:MM", the overlap note,
// the advice (occurrence.go's checkOverlaps).
func overlapWords(lang i18n.Locale, a []string) (string, i18n.Args, bool) {
	if len(a) != 4 {
		return "", nil, false
	}
	d, ok := durationText(lang, a[0])
	if !ok {
		return "", nil, false
	}
	note, ok := overlapNoteArgs(lang, a[2])
	if !ok {
		return "", nil, false
	}
	args := i18n.Args{"A1": d, "Note": lang.T(note.key, note.args)}
	switch a[3] {
	case "Please choose shorter sessions or start times further apart.":
		args["Advice"] = lang.T("domain.overlap_advice")
	default:
		m := adviceFitsRE.FindStringSubmatch(a[3])
		if m == nil {
			return "", nil, false
		}
		fits, ok := durationText(lang, m[1])
		if !ok {
			return "", nil, false
		}
		args["Advice"] = lang.T("domain.overlap_advice_fits", i18n.Args{"Fits": fits})
	}
	if m := overlapCronRE.FindStringSubmatch(a[1]); m != nil {
		args["Cron"] = m[1]
		return "domain.overlap.cron", args, true
	}
	m := overlapRuleRE.FindStringSubmatch(a[1])
	if m == nil {
		return "", nil, false
	}
	args["Time"] = m[2]
	if p := patternNthRE.FindStringSubmatch(m[1]); p != nil {
		args["Nth"], args["Weekday"] = lang.T("rule.nth_"+nthKeys[p[1]]), weekdayName(lang, p[2])
		return "domain.overlap.nth", args, args["Weekday"] != ""
	}
	if p := patternWeeksRE.FindStringSubmatch(m[1]); p != nil {
		args["Weeks"], args["Weekday"] = p[1], weekdayName(lang, p[2])
		return "domain.overlap.every_weeks", args, args["Weekday"] != ""
	}
	if p := patternWeekRE.FindStringSubmatch(m[1]); p != nil {
		args["Weekday"] = weekdayName(lang, p[1])
		return "domain.overlap.weekly", args, args["Weekday"] != ""
	}
	return "", nil, false
}

// Texts schedule/ writes for people in English, outside errors: why a
// clock change moves a session (Occurrence.Shift), why two sessions
// overlap (the "why" of SessionOverlapped), and CronWarnings. Each is read
// back from its English and said in lang; a text that doesn't read as one
// the catalog's English says exactly stays English.

type keyArgs struct {
	key  string
	args i18n.Args
}

// sayScheduleText says s in lang with the message read(lang) finds in it,
// when read(English) says s exactly; otherwise s as it is.
func sayScheduleText(lang i18n.Locale, s string, read func(i18n.Locale, string) (keyArgs, bool)) string {
	if lang == i18n.English || s == "" {
		return s
	}
	en, ok := read(i18n.English, s)
	if !ok || !i18n.Has(en.key) || i18n.T(i18n.English, en.key, en.args) != s {
		return s
	}
	m, ok := read(lang, s)
	if !ok {
		return s
	}
	return lang.T(m.key, m.args)
}

var shiftRE = regexp.MustCompile(`^(\d\d:\d\d) does not exist on (\d{1,2} \w{3} \d{4}) in (\S+) \(clocks go forward\); this session starts at (\d\d:\d\d)(?: on (\d{1,2} \w{3} \d{4}))?$`)

// shiftText is why daylight saving time moved a session (an Occurrence's
// or a Session's Shift), in lang.
func shiftText(lang i18n.Locale, shift string) string {
	return sayScheduleText(lang, shift, func(l i18n.Locale, s string) (keyArgs, bool) {
		m := shiftRE.FindStringSubmatch(s)
		if m == nil {
			return keyArgs{}, false
		}
		date, ok := dayText(l, m[2])
		args := i18n.Args{"Time": m[1], "Date": date, "Zone": m[3], "Start": m[4]}
		if m[5] == "" {
			return keyArgs{"domain.shift.same_day", args}, ok
		}
		other, ok2 := dayText(l, m[5])
		args["StartDate"] = other
		return keyArgs{"domain.shift.other_day", args}, ok && ok2
	})
}

const clockRE = `\d\d:\d\d(?: on \d{1,2} \w{3})?`

var overlapNoteRE = regexp.MustCompile(`^on (\w{3} \d{1,2} \w{3} \d{4}) (?:the clocks in (\S+) (?:go forward (.+?) \(daylight saving time\)|(change)), so )?the session (starting at|moved to) (` + clockRE + `) would last until (` + clockRE + `), past the start of the next one at (` + clockRE + `)$`)

// overlapNoteText is why a session runs into the next one (schedule's
// overlap note), in lang.
func overlapNoteText(lang i18n.Locale, note string) string {
	return sayScheduleText(lang, note, overlapNoteArgs)
}

func overlapNoteArgs(l i18n.Locale, s string) (keyArgs, bool) {
	m := overlapNoteRE.FindStringSubmatch(s)
	if m == nil {
		return keyArgs{}, false
	}
	date, ok := dateText(l, m[1])
	start, ok1 := clockText(l, m[6])
	end, ok2 := clockText(l, m[7])
	next, ok3 := clockText(l, m[8])
	args := i18n.Args{"Date": date, "Zone": m[2], "Start": start, "End": end, "Next": next}
	change := "plain"
	switch {
	case m[4] != "":
		change = "change"
	case m[3] != "":
		change = "forward"
		d, ok4 := durationText(l, m[3])
		args["Shift"], ok = d, ok && ok4
	}
	session := "starting"
	if m[5] == "moved to" {
		session = "moved"
	}
	return keyArgs{"domain.overlap_note." + change + "_" + session, args}, ok && ok1 && ok2 && ok3
}

var cronWarningRE = regexp.MustCompile("^⚠️ `([^`]*)` names both days of the month \\(`([^`]*)`\\) and days of the week \\(`([^`]*)`\\)")

// cronWarningsText are schedule.CronWarnings in lang.
func cronWarningsText(lang i18n.Locale, warnings []string) []string {
	out := make([]string, len(warnings))
	for i, w := range warnings {
		out[i] = sayScheduleText(lang, w, func(_ i18n.Locale, s string) (keyArgs, bool) {
			m := cronWarningRE.FindStringSubmatch(s)
			if m == nil {
				return keyArgs{}, false
			}
			return keyArgs{"domain.cron_warning_both", i18n.Args{"Cron": m[1], "Dom": m[2], "Dow": m[3]}}, true
		})
	}
	return out
}

var (
	durationRE = regexp.MustCompile(`^(\d+) (day|hour|minute)s?$`)
	hourMinRE  = regexp.MustCompile(`^\d+h\d\d$`)
)

// durationText is one of schedule's durations ("2 hours", "45 minutes",
// "1 day", "1h30") in lang.
func durationText(lang i18n.Locale, s string) (string, bool) {
	if hourMinRE.MatchString(s) {
		return s, true
	}
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	n, _ := strconv.Atoi(m[1])
	return lang.T("domain.duration."+m[2], i18n.Args{"Count": n}), true
}

// dateText is "Mon 2 Jan 2006" in lang.
func dateText(lang i18n.Locale, s string) (string, bool) {
	t, err := time.Parse("Mon 2 Jan 2006", s)
	if err != nil {
		return "", false
	}
	return lang.T("domain.when.date", dateArgs(lang, t)), true
}

// dayText is "2 Jan 2006" in lang.
func dayText(lang i18n.Locale, s string) (string, bool) {
	t, err := time.Parse("2 Jan 2006", s)
	if err != nil {
		return "", false
	}
	return lang.T("domain.when.day", dateArgs(lang, t)), true
}

// clockText is "15:04" or "15:04 on 2 Jan" in lang.
func clockText(lang i18n.Locale, s string) (string, bool) {
	clock, day, ok := strings.Cut(s, " on ")
	if !ok {
		return s, true
	}
	t, err := time.Parse("2 Jan", day)
	if err != nil {
		return "", false
	}
	args := dateArgs(lang, t)
	args["Time"] = clock
	return lang.T("domain.when.time_on", args), true
}

// whenText is a session's start, "Mon 2 Jan 2006, 15:04", in lang (for
// autocomplete choices, which can't show <t:…> timestamps).
func whenText(lang i18n.Locale, t time.Time) string {
	args := dateArgs(lang, t)
	args["Time"] = t.Format("15:04")
	return lang.T("domain.when.date_time", args)
}

func dateArgs(lang i18n.Locale, t time.Time) i18n.Args {
	return i18n.Args{
		"Weekday": lang.T("date.wd." + strings.ToLower(t.Weekday().String()[:3])),
		"Day":     t.Day(),
		"Month":   lang.T("date.mon." + strings.ToLower(t.Month().String()[:3])),
		"Year":    t.Year(),
	}
}
