package taskhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

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
	h.workers = newWorkers(h.be, r, h.hard, int32(h.opts.Parallelism), newEngineLogger(h.log))
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.stopPolling = cancel
	for kind, w := range h.workers {
		h.polling.Go(func() { h.poll(pctx, kind, w) })
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
		errs = append(errs, h.drain(ctx, workers))
	}
	h.cancelHard()
	errs = append(errs, h.close())
	h.log.Info("task hub shut down", slog.String("name", h.opts.Name))
	return errors.Join(errs...)
}

// newWorkers builds the engine's orchestration and activity workers on be,
// running r's functions through drainExecutor; parallelism is per worker.
func newWorkers(be backend.Backend, r *task.TaskRegistry, hard context.Context, parallelism int32, logger backend.Logger) map[string]backend.TaskWorker {
	exec := drainExecutor{Executor: task.NewTaskExecutor(r), hard: hard}
	par := backend.WithMaxParallelism(parallelism)
	return map[string]backend.TaskWorker{
		"orchestration": backend.NewOrchestrationWorker(be, exec, logger, par),
		"activity":      backend.NewActivityTaskWorker(be, exec, logger, par),
	}
}

// Pauses of the poll loop. Long-polling fetches never answer "nothing"
// while the hub runs, so idlePause only applies to a backend that does.
const (
	errorPause = time.Second
	idlePause  = 50 * time.Millisecond
)

// poll hands work items to w until ctx ends. It stands in for the engine's
// TaskWorker.Start, whose loop may call ProcessNext, and so add to the
// worker's WaitGroup, while StopAndDrain already waits on it: a misuse the
// race detector reports. Here Shutdown waits for this loop to end before
// it drains. It also pauses 1 s after a failed fetch where the engine's
// loop pauses 5 s.
func (h *Hub) poll(ctx context.Context, kind string, w backend.TaskWorker) {
	for {
		ok, err := w.ProcessNext(ctx)
		pause := time.Duration(0)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.log.Error("fetch work item", slog.String("worker", kind), slog.Any("error", err))
			pause = errorPause
		case !ok:
			pause = idlePause
		}
		if sleep(ctx, pause) != nil {
			return
		}
	}
}

// drain stops the poll loops, then waits for the work items in flight,
// until ctx ends.
func (h *Hub) drain(ctx context.Context, workers map[string]backend.TaskWorker) error {
	done := make(chan struct{})
	go func() {
		h.stopPolling()
		h.polling.Wait()
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
