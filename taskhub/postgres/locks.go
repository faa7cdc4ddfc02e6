package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// renewLocks extends the expiry of the locks this Backend holds, every
// third of the lock timeout, until ctx ends. A step or activity may thus run
// longer than the lock timeout without another process taking it over, while
// the locks of a process that died run out within one timeout.
func (b *Backend) renewLocks(ctx context.Context) {
	t := time.NewTicker(b.opts.renewEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := b.renew(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("renew task hub locks", slog.String("worker", b.workerName), slog.Any("error", err))
		}
	}
}

// renew extends the locks of the work items this Backend has handed out (or
// claimed ahead) and not yet completed or abandoned. Only those: a lock whose
// completion and abandon both failed must run out, for the work to be
// claimed again.
func (b *Backend) renew(ctx context.Context) error {
	instances, tasks := b.held.snapshot()
	if len(instances) > 0 {
		// LockExpiration IS NOT NULL: a finished step keeps LockedBy but
		// clears the expiry, and must stay unlocked.
		if _, err := b.pool.Exec(ctx, `UPDATE Instances SET LockExpiration = now() + $3 * interval '1 millisecond'
			WHERE InstanceID = ANY($1) AND LockedBy = $2 AND LockExpiration IS NOT NULL`,
			instances, b.workerName, b.opts.LockTimeout.Milliseconds()); err != nil {
			return fmt.Errorf("renew instance locks: %w", err)
		}
	}
	if len(tasks) > 0 {
		if _, err := b.pool.Exec(ctx, `UPDATE NewTasks SET LockExpiration = now() + $3 * interval '1 millisecond'
			WHERE SequenceNumber = ANY($1) AND LockedBy = $2`,
			tasks, b.workerName, b.opts.ActivityLockTimeout.Milliseconds()); err != nil {
			return fmt.Errorf("renew task locks: %w", err)
		}
	}
	return nil
}

// held is the set of work items a Backend holds locks on.
type held struct {
	mu        sync.Mutex
	instances map[string]struct{}
	tasks     map[int64]struct{}
}

func (h *held) addInstance(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.instances == nil {
		h.instances = make(map[string]struct{})
	}
	h.instances[id] = struct{}{}
}

func (h *held) dropInstance(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.instances, id)
}

func (h *held) addTasks(seqs ...int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tasks == nil {
		h.tasks = make(map[int64]struct{})
	}
	for _, s := range seqs {
		h.tasks[s] = struct{}{}
	}
}

func (h *held) dropTasks(seqs ...int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range seqs {
		delete(h.tasks, s)
	}
}

// snapshot lists what is held now.
func (h *held) snapshot() (instances []string, tasks []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Collect(maps.Keys(h.instances)), slices.Collect(maps.Keys(h.tasks))
}
