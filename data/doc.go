// Package data stores circlebot's state in SQLite: it implements
// circles.Store with github.com/mattn/go-sqlite3.
//
// The database is a single file (mode 0600) in WAL mode. Writes go through
// one connection that starts every transaction with BEGIN IMMEDIATE, so
// writers queue instead of failing with SQLITE_BUSY halfway through, and a
// separate read-only pool serves lookups without waiting for them. Every
// Store method is one transaction. The rules themselves (who may join, who is
// promoted, what consent is current) are circles' functions; this package
// loads the state they need, calls them inside the transaction and writes the
// outcome, which is what keeps them true under concurrency. Consent is an
// append-only ledger from which a member's current consent is derived in the
// query, never copied. The schema lives in numbered migrations embedded in
// the binary and applied on Open, once Open has made sure, reading only,
// that the file is circlebot's and no newer than the build.
package data
