package taskhub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"google.golang.org/protobuf/proto"
)

// ErrWrongState reports an operation that the instance's runtime status forbids: an event
// for an instance that has finished, a rewind of one that has not failed.
var ErrWrongState = errors.New("the instance's state forbids this")

// Instance is one orchestration instance as the task hub's Instances table holds it.
type Instance struct {
	ID          api.InstanceID
	Name        string
	Status      api.OrchestrationStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt time.Time // zero until it finishes
	// Input, Output and CustomStatus are the serialized values (JSON) as stored; "" for none.
	// Input is "" in a list that did not ask for inputs.
	Input, Output, CustomStatus string
	Failure                     *backend.TaskFailureDetails // nil unless it failed
	// ParentID is the parent of a sub-orchestration where the backend records it (the
	// PostgreSQL one; the engine's SQLite backend leaves it empty).
	ParentID api.InstanceID
}

// Finished reports whether the instance has reached a final status.
func (i Instance) Finished() bool { return finished(i.Status) }

// finished reports whether a status is final: nothing more happens to such an instance.
func finished(s api.OrchestrationStatus) bool {
	switch s {
	case api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_TERMINATED, api.RUNTIME_STATUS_CANCELED:
		return true
	}
	return false
}

// Instances reads the orchestration instances and their histories straight from the task
// hub's own tables, which the engine's client cannot list or query, and manages them (events,
// termination, suspension, restart, rewind, purge) through the hub's client and, for rewind
// alone, by rewriting those tables.
type Instances struct {
	db     *sql.DB
	pg     bool // PostgreSQL: $n placeholders and its own locking; otherwise SQLite
	be     backend.Backend
	client backend.TaskHubClient
	wake   func() // tells idle workers that work may exist after a write of our own
	log    *slog.Logger

	indexOnce sync.Once // SQLite: statusIndexSQL and createdIndexSQL have run
	indexErr  error
}

// index makes sure, once, that the SQLite file has the indexes List needs.
func (x *Instances) index(ctx context.Context) error {
	if x.pg {
		return nil
	}
	x.indexOnce.Do(func() {
		// The new status index first, so that a list never goes without one.
		for _, q := range []string{statusIndexSQL, dropOldStatusIndexSQL, createdIndexSQL} {
			if _, err := x.db.ExecContext(ctx, q); err != nil {
				x.indexErr = fmt.Errorf("index instances for lists: %w", err)
				return
			}
		}
	})
	return x.indexErr
}

// dbSource is implemented by a backend other than the built-in SQLite one that lets the hub
// read its tables (taskhub/postgres does): DB returns a handle on the same database (and
// schema) the backend uses, whose tables and columns are the engine's SQLite schema under
// PostgreSQL's folding.
type dbSource interface {
	DB() *sql.DB
}

// signaller is implemented by a backend whose idle fetches, in every process, a write that
// bypassed it can wake (taskhub/postgres does, through NOTIFY).
type signaller interface {
	Signal()
}

// statusIndexSQL adds to the engine's SQLite schema the index that lists one status newest
// first without sorting: with only the engine's index on RuntimeStatus, the first page of a
// status held by 35,000 of 50,000 instances took 89 ms, with (RuntimeStatus, CreatedTime)
// under 1 ms. InstanceID, the list's tie-break, spares the sort of the instances created in
// the same instant (USE TEMP B-TREE FOR LAST TERM OF ORDER BY). PostgreSQL's migration
// 00002 makes the same index.
const statusIndexSQL = `CREATE INDEX IF NOT EXISTS IX_Instances_RuntimeStatus_CreatedTime_InstanceID ON Instances (RuntimeStatus, CreatedTime, InstanceID)`

// dropOldStatusIndexSQL drops the index statusIndexSQL made before it had InstanceID, from
// files made then: the new one answers all it did.
const dropOldStatusIndexSQL = `DROP INDEX IF EXISTS IX_Instances_RuntimeStatus_CreatedTime`

// createdIndexSQL adds the index that lists any status newest first without sorting: the
// engine's IX_Instances_CreatedTime lacks InstanceID, the list's tie-break, so SQLite sorted
// the instances of each creation time (USE TEMP B-TREE FOR LAST TERM OF ORDER BY), and with
// a name filter it sorted the whole table: 96 ms for the first page of 50,000 instances, 0.4
// ms with this index. The engine's index stays, as its schema would make it again at the next
// start. PostgreSQL needs no such index: its incremental sort orders only the instances of
// one creation time, and it keeps to the CreatedTime index even when this one exists.
const createdIndexSQL = `CREATE INDEX IF NOT EXISTS IX_Instances_CreatedTime_InstanceID ON Instances (CreatedTime, InstanceID)`

// Instances returns the hub's instance reader. For SQLite it reads through the hub's own
// handle on the task hub file (modernc's driver, the copy of SQLite the engine links), and
// adds indexes of its own to the file before its first list; a PostgreSQL backend must
// implement DB() *sql.DB.
func (h *Hub) Instances() (*Instances, error) {
	x := &Instances{be: h.be, client: h.client, wake: h.waker(), log: h.log}
	if h.store != nil {
		x.db = h.store.db
		return x, nil
	}
	inner := h.inner()
	src, ok := inner.(dbSource)
	if !ok {
		return nil, fmt.Errorf("read task hub %q: backend %T does not expose its database (DB() *sql.DB)", h.opts.Name, inner)
	}
	x.db, x.pg = src.DB(), true
	return x, nil
}

// inner is the backend under the hub's drain decorator.
func (h *Hub) inner() backend.Backend {
	if d, ok := h.be.(*drainBackend); ok {
		return d.Backend
	}
	return h.be
}

// waker returns what wakes the idle fetches after a write that bypassed the backend (a
// rewind), or a no-op where nothing can: they then notice the work at their next poll.
func (h *Hub) waker() func() {
	switch b := h.inner().(type) {
	case *longPoll:
		// A rewind queues orchestration events and activities alike.
		return func() {
			b.orchestrations.wake.Signal()
			b.activities.wake.Signal()
		}
	case signaller:
		return b.Signal
	}
	return func() {}
}

// instanceColumns are the columns scanInstance reads, in its order; the input is an
// expression so that lists can leave it out.
const instanceColumns = `InstanceID, Name, RuntimeStatus, CreatedTime, LastUpdatedTime, CompletedTime, %s, Output, CustomStatus, FailureDetails, ParentInstanceID`

// Get returns one instance with its payloads, or api.ErrInstanceNotFound.
func (x *Instances) Get(ctx context.Context, id api.InstanceID) (Instance, error) {
	return readInstance(ctx, x.db, x.pg, id)
}

// readInstance reads an instance through a handle or a transaction.
func readInstance(ctx context.Context, q querier, pg bool, id api.InstanceID) (Instance, error) {
	st := newStatement(pg)
	st.add("SELECT "+fmt.Sprintf(instanceColumns, "Input")+" FROM Instances WHERE InstanceID = ", st.arg(string(id)))
	inst, err := scanInstance(q.QueryRowContext(ctx, st.String(), st.args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Instance{}, fmt.Errorf("instance %s: %w", id, api.ErrInstanceNotFound)
	}
	if err != nil {
		return Instance{}, fmt.Errorf("read instance %s: %w", id, err)
	}
	return inst, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanInstance(r scanner) (Instance, error) {
	var (
		inst                         Instance
		id, status                   string
		completed                    sql.NullTime
		input, output, custom, paren sql.NullString
		failure                      []byte
	)
	if err := r.Scan(&id, &inst.Name, &status, &inst.CreatedAt, &inst.UpdatedAt, &completed, &input, &output, &custom, &failure, &paren); err != nil {
		return Instance{}, err
	}
	inst.ID, inst.Status, inst.ParentID = api.InstanceID(id), storedStatus(status), api.InstanceID(paren.String)
	inst.CompletedAt = completed.Time
	inst.Input, inst.Output, inst.CustomStatus = input.String, output.String, custom.String
	if len(failure) > 0 {
		inst.Failure = new(backend.TaskFailureDetails)
		if err := proto.Unmarshal(failure, inst.Failure); err != nil {
			return Instance{}, fmt.Errorf("decode failure details of %s: %w", id, err)
		}
	}
	inst.CreatedAt, inst.UpdatedAt, inst.CompletedAt = inst.CreatedAt.UTC(), inst.UpdatedAt.UTC(), inst.CompletedAt.UTC()
	return inst, nil
}
