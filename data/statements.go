package data

import (
	"context"
	"database/sql/driver"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"
)

// The store counts the SQL statements it runs (Statements), on the real
// driver: go-sqlite3's connections, wrapped only to count. Tests use the
// count to prove that a command's reads don't grow with the data (a
// listing of 50 circles costs what a listing of 5 does), which no timing
// can show reliably. Counting is one atomic add per statement.

var sqliteDriver = &sqlite3.SQLiteDriver{}

// countingConnector opens go-sqlite3 connections to dsn that count into n.
type countingConnector struct {
	dsn string
	n   *atomic.Int64
}

func (c countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := sqliteDriver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*sqlite3.SQLiteConn)
	if !ok {
		return conn, nil
	}
	return &countingConn{SQLiteConn: sc, n: c.n}, nil
}

func (c countingConnector) Driver() driver.Driver { return sqliteDriver }

// countingConn is a go-sqlite3 connection (every method and optional
// interface of it promoted) that counts each query and exec, and each run
// of a statement it prepared. BEGIN, COMMIT and ROLLBACK are not counted.
type countingConn struct {
	*sqlite3.SQLiteConn
	n *atomic.Int64
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.n.Add(1)
	return c.SQLiteConn.QueryContext(ctx, query, args)
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.n.Add(1)
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.PrepareContext(ctx, query)
	return c.wrap(st), err
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	st, err := c.SQLiteConn.Prepare(query)
	return c.wrap(st), err
}

func (c *countingConn) wrap(st driver.Stmt) driver.Stmt {
	if s, ok := st.(*sqlite3.SQLiteStmt); ok {
		return &countingStmt{SQLiteStmt: s, n: c.n}
	}
	return st
}

// countingStmt counts each run of a prepared statement.
type countingStmt struct {
	*sqlite3.SQLiteStmt
	n *atomic.Int64
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.n.Add(1)
	return s.SQLiteStmt.QueryContext(ctx, args)
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.n.Add(1)
	return s.SQLiteStmt.ExecContext(ctx, args)
}

// Statements is the number of SQL statements the store has run since it
// was opened (queries and execs, migrations included; not BEGIN, COMMIT or
// ROLLBACK). Tests compare it before and after a command.
func (s *Store) Statements() int64 { return s.statements.Load() }
