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
	return c.SQLiteConn.Close()
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
