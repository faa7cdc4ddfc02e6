package workflows_test

// Golden-history replay tests, shared by every area's orchestrators.
//
// An end-to-end test records the history of a real run with saveGolden (only with -update);
// the file lands in testdata/<orchestrator>_<path>.json. replayGolden (or replayGoldenFiles for a
// glob) feeds the stored history, step by step, to task.NewTaskExecutor(r).ExecuteOrchestrator
// and compares what the current code schedules — kind and name, in order — with what the
// recorded run scheduled. The engine itself would not notice: it matches scheduled tasks by
// sequence number without comparing names, ignores history events with no matching task, and
// returns a nil error when replay breaks. So a change that would break instances in flight
// fails here; version such an orchestrator instead.
//
//	go test ./workflows/ -run TestPhoneVerification -update   # re-record
//	go test ./workflows/ -run TestGoldenReplay                # replay

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
	"google.golang.org/protobuf/encoding/protojson"

	"membership/taskhub"
)

var update = flag.Bool("update", false, "re-record the golden histories in testdata/")

// goldenFile is the stored form of a history: each event as protojson.
type goldenFile struct {
	Orchestrator string            `json:"orchestrator"`
	InstanceID   string            `json:"instance_id"`
	Events       []json.RawMessage `json:"events"`
}

// readHistory returns the history of an instance as the task hub holds it.
func readHistory(t testing.TB, hub *taskhub.Hub, id api.InstanceID) []*backend.HistoryEvent {
	t.Helper()
	state, err := hub.Backend().GetOrchestrationRuntimeState(context.Background(), &backend.OrchestrationWorkItem{InstanceID: id})
	if err != nil {
		t.Fatalf("read history of %s: %v", id, err)
	}
	return append(slices.Clone(state.OldEvents()), state.NewEvents()...)
}

// saveGolden writes the history of a finished instance to testdata/<name>.json when the tests
// run with -update, and does nothing otherwise.
func saveGolden(t testing.TB, hub *taskhub.Hub, id api.InstanceID, name string) {
	t.Helper()
	if !*update {
		return
	}
	events := readHistory(t, hub, id)
	g := goldenFile{InstanceID: string(id)}
	for _, e := range events {
		if es := e.GetExecutionStarted(); es != nil {
			g.Orchestrator = es.GetName()
		}
		b, err := protojson.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		g.Events = append(g.Events, b)
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".json")
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s in %s", len(events), id, path)
}

// loadGolden reads a stored history.
func loadGolden(t testing.TB, path string) (api.InstanceID, []*backend.HistoryEvent) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	events := make([]*backend.HistoryEvent, len(g.Events))
	for i, raw := range g.Events {
		events[i] = &backend.HistoryEvent{}
		if err := protojson.Unmarshal(raw, events[i]); err != nil {
			t.Fatalf("%s: event %d: %v", path, i, err)
		}
	}
	return api.InstanceID(g.InstanceID), events
}

// replayGoldenFiles replays every history in testdata matching pattern (a filepath.Match
// pattern such as "*verification*.json") against the orchestrators register adds, each as a
// subtest. With no file matching, the test fails: a golden test that checks nothing must not
// pass.
func replayGoldenFiles(t *testing.T, pattern string, register func(r *task.TaskRegistry) error) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no golden history matches testdata/%s; record them with -update", pattern)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			r := task.NewTaskRegistry()
			if err := register(r); err != nil {
				t.Fatal(err)
			}
			id, events := loadGolden(t, path)
			if err := replay(r, id, events); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// replay feeds a recorded history to the orchestrators of r one step at a time, as the worker
// did, and returns an error when the current code does not do what the recorded run did:
// another action (kind and name) at any step, or a failed completion where the run had none.
func replay(r *task.TaskRegistry, id api.InstanceID, events []*backend.HistoryEvent) error {
	exec := task.NewTaskExecutor(r)
	var old []*backend.HistoryEvent
	var want, got []string
	for i, step := range steps(events) {
		var inputs, recorded []*backend.HistoryEvent
		for _, e := range step {
			if actionEvent(e) {
				recorded = append(recorded, e)
			} else {
				inputs = append(inputs, e)
			}
		}
		res, err := exec.ExecuteOrchestrator(context.Background(), id, old, inputs)
		if err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
		// The engine returns a step's actions in map order; their ids are the sequence numbers the
		// recorded events carry.
		actions := slices.Clone(res.Response.GetActions())
		sort.Slice(actions, func(i, j int) bool { return actions[i].GetId() < actions[j].GetId() })
		slices.SortFunc(recorded, func(a, b *backend.HistoryEvent) int { return cmp.Compare(a.GetEventId(), b.GetEventId()) })
		var stepWant, stepGot []string
		for _, e := range recorded {
			stepWant = append(stepWant, describeEvent(e))
		}
		for _, a := range actions {
			var d string
			switch {
			case a.GetScheduleTask() != nil:
				d = "activity " + a.GetScheduleTask().GetName()
			case a.GetCreateTimer() != nil:
				d = "timer"
			case a.GetCreateSubOrchestration() != nil:
				d = "sub-orchestration " + a.GetCreateSubOrchestration().GetName()
			case a.GetSendEvent() != nil:
				d = "event " + a.GetSendEvent().GetName()
			case a.GetCompleteOrchestration() != nil:
				co := a.GetCompleteOrchestration()
				if co.GetOrchestrationStatus() == api.RUNTIME_STATUS_FAILED && !slices.ContainsFunc(recorded, failedCompletion) {
					return fmt.Errorf("step %d: the replay failed: %s", i, co.GetFailureDetails().GetErrorMessage())
				}
				d = "complete " + co.GetOrchestrationStatus().String()
			default:
				d = fmt.Sprintf("unknown action %v", a)
			}
			stepGot = append(stepGot, d)
		}
		want, got = append(want, stepWant...), append(got, stepGot...)
		if !slices.Equal(stepWant, stepGot) {
			return fmt.Errorf("step %d: the current code does %v where the recorded run did %v\nrecorded: %v\nreplayed: %v",
				i, stepGot, stepWant, want, got)
		}
		old = append(old, step...)
	}
	if len(want) == 0 {
		return fmt.Errorf("the history of %s records no action", id)
	}
	return nil
}

// steps cuts a history into the orchestrator's executions: each begins with OrchestratorStarted.
func steps(events []*backend.HistoryEvent) [][]*backend.HistoryEvent {
	var out [][]*backend.HistoryEvent
	for _, e := range events {
		if e.GetOrchestratorStarted() != nil || len(out) == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], e)
	}
	return out
}

// actionEvent reports whether e records something the orchestrator did (rather than something
// that happened to it).
func actionEvent(e *backend.HistoryEvent) bool {
	return e.GetTaskScheduled() != nil || e.GetTimerCreated() != nil || e.GetSubOrchestrationInstanceCreated() != nil ||
		e.GetExecutionCompleted() != nil || e.GetEventSent() != nil
}

func failedCompletion(e *backend.HistoryEvent) bool {
	return e.GetExecutionCompleted().GetOrchestrationStatus() == api.RUNTIME_STATUS_FAILED
}

func describeEvent(e *backend.HistoryEvent) string {
	switch {
	case e.GetTaskScheduled() != nil:
		return "activity " + e.GetTaskScheduled().GetName()
	case e.GetTimerCreated() != nil:
		return "timer"
	case e.GetSubOrchestrationInstanceCreated() != nil:
		return "sub-orchestration " + e.GetSubOrchestrationInstanceCreated().GetName()
	case e.GetEventSent() != nil:
		return "event " + e.GetEventSent().GetName()
	default:
		return "complete " + e.GetExecutionCompleted().GetOrchestrationStatus().String()
	}
}
