package taskhub

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"
)

// The crash helper runs in a child process that the test kills while a work
// item is locked, as a power cut or an OOM kill would.
const (
	crashDBEnv   = "TASKHUB_CRASH_DB"
	crashModeEnv = "TASKHUB_CRASH_MODE"
	lockedMarker = "TASKHUB-WORK-ITEM-LOCKED"
	crashID      = api.InstanceID("crash")
	// longLock is far beyond the test's patience: only ReleaseStaleLocks
	// can free the dead process's work item in time.
	longLock = 10 * time.Minute
)

// crashRegistry runs Crash → Work. blockIn names where the child parks
// forever with the work item locked: "orchestration" or "activity"; "" runs
// through.
func crashRegistry(t testing.TB, blockIn string) *task.TaskRegistry {
	park := func(where string) {
		if where == blockIn {
			fmt.Println(lockedMarker)
			select {}
		}
	}
	return registry(t,
		map[string]task.Orchestrator{"Crash": func(ctx *task.OrchestrationContext) (any, error) {
			park("orchestration")
			var out string
			err := ctx.CallActivity("Work").Await(&out)
			return out, err
		}},
		map[string]task.Activity{"Work": func(task.ActivityContext) (any, error) {
			park("activity")
			return "done", nil
		}})
}

// TestCrashHelper is the child process of TestReleaseStaleLocksAfterCrash.
func TestCrashHelper(t *testing.T) {
	dsn := os.Getenv(crashDBEnv)
	if dsn == "" {
		t.Skip("helper process of TestReleaseStaleLocksAfterCrash")
	}
	h, err := Open(t.Context(), Options{DSN: dsn, LockTimeout: longLock}, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	startHub(t, h, crashRegistry(t, os.Getenv(crashModeEnv)))
	if _, err := StartFixed(t.Context(), h.Client(), "Crash", crashID, nil); err != nil {
		t.Fatalf("start: %v", err)
	}
	select {} // until killed
}

func TestReleaseStaleLocksAfterCrash(t *testing.T) {
	for _, mode := range []string{"orchestration", "activity"} {
		t.Run(mode+" locked", func(t *testing.T) {
			dsn := testDSN(t)
			crashChild(t, dsn, mode)

			h := openTestHub(t, Options{DSN: dsn, LockTimeout: longLock})
			n, err := h.ReleaseStaleLocks(t.Context())
			if err != nil || n != 1 {
				t.Fatalf("ReleaseStaleLocks = %d, %v; want 1 work item, nil", n, err)
			}
			if n, err := h.ReleaseStaleLocks(t.Context()); err != nil || n != 0 {
				t.Errorf("second ReleaseStaleLocks = %d, %v; want 0, nil", n, err)
			}
			startHub(t, h, crashRegistry(t, ""))
			// Far below the 10-minute lock: the work was freed, not expired.
			wantCompleted(t, awaitCompletion(t, h.Client(), crashID, 30*time.Second), "done")
			if _, err := h.ReleaseStaleLocks(t.Context()); err == nil {
				t.Error("ReleaseStaleLocks after Start succeeded, want an error")
			}
		})
	}
}

// crashChild runs TestCrashHelper on dsn and kills it once its work item
// is locked.
func crashChild(t *testing.T, dsn, mode string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+dsn, crashModeEnv+"="+mode)
	cmd.Stderr = t.Output()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("child stdout: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	locked := false
	for sc := bufio.NewScanner(out); sc.Scan(); {
		if strings.Contains(sc.Text(), lockedMarker) {
			locked = true
			break
		}
		t.Logf("child: %s", sc.Text())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) {
		t.Fatalf("child ended with %v, want it killed", err)
	}
	if !locked {
		t.Fatal("child ended before it locked a work item")
	}
}
