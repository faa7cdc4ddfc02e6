package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// writeGate lets one transaction at a time into a SQLite database, in arrival order.
//
// Every transaction on the app database is a write transaction (BEGIN IMMEDIATE), and SQLite
// has one writer. Left to SQLite, the transactions that find the lock taken sleep in its busy
// handler — 1, 2, 5, 10 … 100 ms, polling — and the lock goes free while they sleep: measured
// with a 10,000-recipient campaign, 1,600 such sleeps of 6 ms on average, the writer idle for
// much of the run. Waiting here instead, a transaction starts the moment the one before it
// ends.
type writeGate struct {
	slot chan struct{}
	// wait bounds the wait for the gate, as the busy timeout bounds SQLite's own.
	wait time.Duration
}

func newWriteGate(wait time.Duration) *writeGate {
	return &writeGate{slot: make(chan struct{}, 1), wait: wait}
}

// enter waits for the gate until ctx ends or the wait runs out; the latter answers SQLite's
// own "database is locked" error, as the busy timeout would.
func (g *writeGate) enter(ctx context.Context) error {
	select {
	case g.slot <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("%w: waited %s for the write lock: %w", ErrBusy, g.wait, sqlite3.Error{Code: sqlite3.ErrBusy})
	}
}

func (g *writeGate) leave() { <-g.slot }

// openGatedSQLite opens dsn with mattn/go-sqlite3, every transaction passing through one gate.
// Statements outside a transaction pass freely: reads, and the rare single write, which waits
// on SQLite's busy timeout as before.
func openGatedSQLite(dsn string, wait time.Duration) *sql.DB {
	return sql.OpenDB(&gatedConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{}, gate: newWriteGate(wait)})
}

type gatedConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
	gate   *writeGate
}

func (c *gatedConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &gatedConn{SQLiteConn: conn.(*sqlite3.SQLiteConn), gate: c.gate}, nil
}

func (c *gatedConnector) Driver() driver.Driver { return c.driver }

// gatedConn is a connection whose transactions hold the gate from BEGIN to COMMIT or
// ROLLBACK. Everything else is the driver's own connection.
type gatedConn struct {
	*sqlite3.SQLiteConn
	gate *writeGate
	// holding: this connection's transaction holds the gate (database/sql uses a connection
	// from one goroutine at a time, so no lock).
	holding bool
	// kept are the statements of many arguments compiled on this connection, by text (see
	// keep).
	kept map[string]*sqlite3.SQLiteStmt
}

func (c *gatedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.gate.enter(ctx); err != nil {
		return nil, err
	}
	c.holding = true
	tx, err := c.SQLiteConn.BeginTx(ctx, opts)
	if err != nil {
		c.release()
		return nil, err
	}
	return &gatedTx{Tx: tx, conn: c}, nil
}

// Begin is BeginTx without a context; database/sql never calls it, but the embedded
// connection's Begin would pass the gate by.
func (c *gatedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// Close releases the gate too when the connection goes away inside a transaction (a
// connection database/sql discarded as bad), which ends that transaction.
func (c *gatedConn) Close() error {
	c.release()
	c.forget()
	return c.SQLiteConn.Close()
}

// A campaign's batch runs statements of hundreds to thousands of placeholders whose text is
// the same batch after batch (a hundred rows each, see raw.go); mattn/go-sqlite3 compiles
// every statement it is given afresh, which for these was a good part of their time — inside
// the write transaction, while the one writer waits. So a connection keeps such statements
// compiled, by their text: at least keepFrom arguments, at most keepMax texts (past that it
// starts over). SQLite recompiles a kept statement itself when the schema changes.
const (
	keepFrom = 64
	keepMax  = 16
)

// ExecContext runs query, through the connection's kept statement for it when it has many
// arguments.
func (c *gatedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if st := c.keep(ctx, query, len(args)); st != nil {
		return st.ExecContext(ctx, args)
	}
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

// QueryContext is ExecContext's twin for statements that return rows; closing the rows resets
// the kept statement for its next use.
func (c *gatedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if st := c.keep(ctx, query, len(args)); st != nil {
		return st.QueryContext(ctx, args)
	}
	return c.SQLiteConn.QueryContext(ctx, query, args)
}

// keep answers the kept statement for query, compiling it the first time, or nil when query
// is run as it comes: few arguments, several statements in one text (not all arguments are
// the first one's), or a compile error (which running it reports).
func (c *gatedConn) keep(ctx context.Context, query string, args int) *sqlite3.SQLiteStmt {
	if args < keepFrom {
		return nil
	}
	if st := c.kept[query]; st != nil {
		return st
	}
	ds, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	st := ds.(*sqlite3.SQLiteStmt)
	if st.NumInput() != args {
		_ = st.Close()
		return nil
	}
	if len(c.kept) >= keepMax {
		c.forget()
	}
	if c.kept == nil {
		c.kept = make(map[string]*sqlite3.SQLiteStmt)
	}
	c.kept[query] = st
	return st
}

// forget closes the kept statements.
func (c *gatedConn) forget() {
	for q, st := range c.kept {
		_ = st.Close()
		delete(c.kept, q)
	}
}

func (c *gatedConn) release() {
	if c.holding {
		c.holding = false
		c.gate.leave()
	}
}

type gatedTx struct {
	driver.Tx
	conn *gatedConn
	once sync.Once
}

func (t *gatedTx) Commit() error {
	defer t.once.Do(t.conn.release)
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.once.Do(t.conn.release)
	return t.Tx.Rollback()
}
