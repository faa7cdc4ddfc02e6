package taskhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// Start runs the orchestrators and activities registered in r: one
// orchestration worker and one activity worker, each with up to
// Options.Parallelism work items at once. The workers run until Shutdown;
// ctx only carries values to them, so a cancelled request or signal context
// cannot stop them half way.
func (h *Hub) Start(ctx context.Context, r *task.TaskRegistry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return errors.New("start task hub workers: task hub is shut down")
	case h.started:
		return errors.New("start task hub workers: already started")
	}
	if err := h.be.Start(ctx); err != nil {
		return fmt.Errorf("start task hub backend: %w", err)
	}
	logger := newEngineLogger(h.log)
	exec := drainExecutor{Executor: task.NewTaskExecutor(r), hard: h.hard}
	// withDefaults keeps Parallelism within int32.
	par := backend.WithMaxParallelism(int32(h.opts.Parallelism))
	h.workers = []backend.TaskWorker{
		backend.NewOrchestrationWorker(h.be, exec, logger, par),
		backend.NewActivityTaskWorker(h.be, exec, logger, par),
	}
	wctx := context.WithoutCancel(ctx)
	for _, w := range h.workers {
		w.Start(wctx)
	}
	h.started = true
	h.log.Info("task hub workers started", slog.String("name", h.opts.Name), slog.Int("parallelism", h.opts.Parallelism))
	return nil
}

// Shutdown stops the workers fetching, waits for the work items in flight to
// finish and be saved, and closes the store. When ctx ends first, the work
// still in flight is cancelled (and runs again after a restart), the store
// is closed anyway, and ctx's error is returned. Calls after the first
// return nil.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	workers := h.workers
	h.mu.Unlock()
	close(h.stopping)

	var errs []error
	if len(workers) > 0 {
		if err := h.be.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop task hub backend: %w", err))
		}
		errs = append(errs, drain(ctx, workers))
	}
	h.cancelHard()
	errs = append(errs, h.close())
	h.log.Info("task hub shut down", slog.String("name", h.opts.Name))
	return errors.Join(errs...)
}

// drain stops the workers and waits for them until ctx ends.
func drain(ctx context.Context, workers []backend.TaskWorker) error {
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(w.StopAndDrain)
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("drain task hub workers: %w", ctx.Err())
	}
}
