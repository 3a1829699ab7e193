package bot

import (
	"errors"
	"fmt"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Errors made in circles/ and data/ carry a code and an English message
// (circles stays stdlib-only and knows no languages). The bot says them
// in the reader's language: domainErrorKeys maps the format an error was
// made with (circles.Error.Format) to the catalog message, whose
// placeholders {{.A1}}, {{.A2}}… are the format's arguments in order. A
// format not listed here is shown in English (docs/I18N.md lists what is
// left); TestDomainErrorKeys checks that every format listed is still
// one the domain makes.
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
}

// domainErrorText is err in lang when it is a domain error whose format
// has a catalog message.
func domainErrorText(err error, lang i18n.Locale) (string, bool) {
	var e *circles.Error
	if !errors.As(err, &e) || e.Format == "" {
		return "", false
	}
	key, ok := domainErrorKeys[e.Format]
	if !ok {
		return "", false
	}
	args := i18n.Args{}
	for i, a := range e.Args {
		if m, ok := a.(circles.Mode); ok {
			a = lang.T("mode." + string(m)) // "member", "listener"
		}
		args[fmt.Sprintf("A%d", i+1)] = a
	}
	return lang.T(key, args), true
}
