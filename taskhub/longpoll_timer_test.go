package taskhub_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub"
	"membership/taskhub/taskhubtest"
)

// TestShortTimersFireOnTime: the SQLite hub's idle orchestration fetch finds
// a durable timer's fire time through NextDue, and so wakes for it, never
// only at the poll (see taskhubtest.CheckTimersOnTime).
func TestShortTimersFireOnTime(t *testing.T) {
	t.Parallel()
	opts := taskhub.Options{DSN: filepath.Join(t.TempDir(), "taskhub.db"), PollInterval: taskhubtest.TimerChainPoll}
	h, err := taskhub.Open(t.Context(), opts, taskhubtest.Logger())
	if err != nil {
		t.Fatalf("open task hub: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Shutdown(context.Background()); err != nil {
			t.Errorf("shut down task hub: %v", err)
		}
	})
	r := task.NewTaskRegistry()
	if err := taskhubtest.RegisterTimerChain(r); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context(), r); err != nil {
		t.Fatalf("start task hub: %v", err)
	}
	taskhubtest.CheckTimersOnTime(t, h.Client())
}
