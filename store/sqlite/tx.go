package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// The writer's transactions run on its one connection, pinned as a
// sql.Conn for the store's life, with BEGIN IMMEDIATE, COMMIT and ROLLBACK
// prepared once. database/sql's own transactions cost a small commit more
// than a tenth of its CPU: the driver parses BEGIN and COMMIT anew each
// time, and database/sql starts a goroutine a transaction to watch its
// context. Every statement a write runs is on this connection anyway.
//
// The cost of pinning: were the driver ever to call the connection bad
// (driver.ErrBadConn), database/sql would close it for good and every
// later write would fail until a restart. modernc.org/sqlite v1.62 says so
// only from ResetSession, which database/sql never calls on a pinned
// connection; check again when upgrading the driver.

// txStatements are the writer's transaction statements, prepared on its
// connection.
type txStatements struct {
	begin, commit, rollback *sql.Stmt
}

func prepareTx(ctx context.Context, c *sql.Conn) (txStatements, error) {
	var t txStatements
	for _, p := range []struct {
		st   **sql.Stmt
		text string
	}{{&t.begin, "BEGIN IMMEDIATE"}, {&t.commit, "COMMIT"}, {&t.rollback, "ROLLBACK"}} {
		st, err := c.PrepareContext(ctx, p.text)
		if err != nil {
			t.close()
			return txStatements{}, fmt.Errorf("preparing %s: %w", p.text, err)
		}
		*p.st = st
	}
	return t, nil
}

func (t txStatements) close() {
	for _, st := range []*sql.Stmt{t.begin, t.commit, t.rollback} {
		if st != nil {
			st.Close()
		}
	}
}

// writeTx is a transaction of the writer connection. Only the holder of
// the writer (Store.acquire) has one, and it must end with Commit or Rollback.
type writeTx struct {
	c     *sql.Conn
	stmts txStatements
	ended bool
}

// begin starts a write transaction. BEGIN IMMEDIATE takes the write lock
// at once rather than at the first write, so two processes never deadlock
// upgrading a read lock. The caller holds the writer.
func (s *Store) begin(ctx context.Context) (*writeTx, error) {
	if _, err := s.tx.begin.ExecContext(ctx); err != nil {
		// The driver reports a context that ended during the call as the
		// call's error even when BEGIN went through: leave no transaction
		// open behind it. (With none open, ROLLBACK fails harmlessly.)
		_, _ = s.tx.rollback.Exec()
		return nil, err
	}
	return &writeTx{c: s.wc, stmts: s.tx}, nil
}

// Commit commits the transaction. When COMMIT fails the transaction may
// still be open (SQLite keeps it on SQLITE_BUSY, for one), so it is rolled
// back: the connection is left with no transaction either way.
func (t *writeTx) Commit() error {
	if t.ended {
		return errors.New("the transaction has ended")
	}
	t.ended = true
	if _, err := t.stmts.commit.Exec(); err != nil {
		_, _ = t.stmts.rollback.Exec() // fails harmlessly if SQLite ended it
		return err
	}
	return nil
}

// Rollback rolls the transaction back unless it has ended; deferred by
// every caller of begin. It runs whatever the context of the failed
// statements: the connection must not stay in a transaction.
func (t *writeTx) Rollback() error {
	if t.ended {
		return nil
	}
	t.ended = true
	_, err := t.stmts.rollback.Exec()
	return err
}

func (t *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.c.ExecContext(ctx, query, args...)
}

func (t *writeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.c.QueryContext(ctx, query, args...)
}

func (t *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.c.QueryRowContext(ctx, query, args...)
}
