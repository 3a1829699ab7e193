// Package circles is circlebot's domain: circles, their guidelines and
// schedules, sessions, memberships, the consent ledger and RSVPs, with the
// rules that govern them and the interfaces the adapters implement.
//
// It imports only the standard library, and golang.org/x/text for the
// Unicode normalisation of names the standard library lacks (text.go).
// It knows nothing of Discord or SQL:
// the data package stores these types, the schedule package decides when
// sessions happen, and the bot package turns Discord interactions into calls
// on a Store and the results into replies. Rules live here as plain functions
// (DecideJoin, DecideLeave, SessionAccess…) so they can be tested without a
// database, and the store calls them inside its transactions so they hold
// under concurrency too.
package circles
