package taskhubtest

import (
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// waitLimit bounds every wait of the suite: far above what any case needs,
// so that only a hang fails on time.
const waitLimit = 60 * time.Second

// NewBackend makes an empty backend for one test (its task hub not yet
// created) and releases it through t.Cleanup.
type NewBackend func(t *testing.T) backend.Backend

// RunConformance runs every case of the suite, in parallel, each on a
// backend of its own from newBackend, driven through the engine's own
// workers and client: start, activities with retries, a fan-out of 1,000
// activities in one step, sub-orchestrations, timers, external events,
// suspend and resume, terminate (recursive or not), purge, continue-as-new,
// failure details, id reuse and custom status.
func RunConformance(t *testing.T, newBackend NewBackend) {
	cases := []struct {
		name string
		run  func(*testing.T, NewBackend)
	}{
		{"Start", testStart},
		{"Retries", testRetries},
		{"FanOut", testFanOut},
		{"SubOrchestrations", testSubOrchestrations},
		{"Timers", testTimers},
		{"ExternalEvents", testExternalEvents},
		{"SuspendResume", testSuspendResume},
		{"Terminate", testTerminate},
		{"Purge", testPurge},
		{"ContinueAsNew", testContinueAsNew},
		{"FailureDetails", testFailureDetails},
		{"IDReuse", testIDReuse},
		{"CustomStatus", testCustomStatus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newBackend)
		})
	}
}

// hub starts workers with the suite's orchestrators and activities on a new
// backend, and returns the client, the backend and what the activities
// record.
func hub(t *testing.T, newBackend NewBackend) (backend.TaskHubClient, backend.Backend, *state) {
	t.Helper()
	s := &state{runs: NewExecutions(), attempts: make(map[string]int)}
	r := task.NewTaskRegistry()
	if err := s.register(r); err != nil {
		t.Fatalf("register the suite: %v", err)
	}
	be := newBackend(t)
	return StartWorker(t, be, r, 4), be, s
}
