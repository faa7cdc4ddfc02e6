package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub"
)

// The process tests run this test binary as a child that serves for real (TestMain dispatches
// on childEnv); the parent kills or stops it and watches marker files the child's activities
// write into the data folder.
const childEnv = "MEMBERSHIP_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "serve" {
		os.Exit(childServe())
	}
	code := m.Run()
	if code == 0 && !readmeStatusesAgree() {
		code = 1
	}
	os.Exit(code)
}

// childServe runs `serve` with a three-step orchestration whose middle activity waits for a
// file — the activity stays in flight until the parent lets it go or kills the process.
func childServe() int {
	dir := os.Getenv("MEMBERSHIP_SERVER_DATA_DIR")
	if shared := os.Getenv("MEMBERSHIP_TEST_MARKERS"); shared != "" {
		dir = shared // several processes share one folder of markers
	}
	marker := func(name string) string { return filepath.Join(dir, name) }
	extra := func(r *task.TaskRegistry) {
		_ = r.AddOrchestratorN("CrashTest", func(ctx *task.OrchestrationContext) (any, error) {
			for _, step := range []string{"one", "two", "three"} {
				if err := ctx.CallActivity("Step", task.WithActivityInput(step)).Await(nil); err != nil {
					return nil, err
				}
			}
			return "done", nil
		})
		_ = r.AddActivityN("Step", func(ctx task.ActivityContext) (any, error) {
			var step string
			if err := ctx.GetInput(&step); err != nil {
				return nil, err
			}
			_ = os.WriteFile(marker("started-"+step), []byte(strconv.Itoa(os.Getpid())), 0o600)
			for step == "two" {
				if _, err := os.Stat(marker("release")); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			return nil, os.WriteFile(marker("finished-"+step), nil, 0o600)
		})
	}
	started := func(ctx context.Context, hub *taskhub.Hub) error {
		_, err := taskhub.StartFixed(ctx, hub.Client(), "CrashTest", "crash-test", nil)
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	err := serveWith(ctx, env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()}, extra, started)
	if err != nil {
		fmt.Fprintln(os.Stderr, "membership:", err)
		return 1
	}
	return 0
}

type child struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited; err is then set
	err    error
}

func startChild(t *testing.T, dir, addr string, extraEnv ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		childEnv+"=serve",
		"MEMBERSHIP_SERVER_DATA_DIR="+dir,
		"MEMBERSHIP_SERVER_ADDR="+addr,
		"MEMBERSHIP_SERVER_BASE_URL=http://"+addr,
		"MEMBERSHIP_DATABASE_DSN="+filepath.Join(dir, "membership.db"),
		"MEMBERSHIP_TASKHUB_DSN="+filepath.Join(dir, "taskhub.db"),
		// The engine's default lock timeout is what a restarted process would otherwise wait out.
		"MEMBERSHIP_TASKHUB_LOCK_TIMEOUT=2m",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: stderr, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s", what, within)
	return 0
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func ready(addr string) bool {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// TestKilledServerResumes kills the serving process (SIGKILL) while an activity is in flight and
// checks that a restarted process finishes the orchestration within seconds, although the
// activity's work item was locked for two minutes by the dead process.
func TestKilledServerResumes(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	first := startChild(t, dir, addr)
	waitFor(t, 30*time.Second, "activity two in flight", func() bool { return exists(filepath.Join(dir, "started-two")) })
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	second := startChild(t, dir, addr)
	took := waitFor(t, 30*time.Second, "orchestration finished after restart", func() bool {
		return exists(filepath.Join(dir, "finished-three"))
	})
	t.Logf("restart to completion: %s", took)
	if !strings.Contains(second.stderr.String(), "released work items locked by a previous process") {
		t.Errorf("restart did not release the dead process's locks:\n%s", second.stderr)
	}
	// The workers may finish the orchestration before the listener is up: wait for it, briefly.
	waitFor(t, 10*time.Second, "restarted server ready", func() bool { return ready(addr) })
}

// TestGracefulShutdown sends SIGTERM while an activity runs: the process finishes the activity,
// stops cleanly with exit status 0 and releases the data folder for the next serve.
func TestGracefulShutdown(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	c := startChild(t, dir, addr)
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })
	waitFor(t, 30*time.Second, "activity two in flight", func() bool { return exists(filepath.Join(dir, "started-two")) })

	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Let the activity finish a moment after the signal: the drain must wait for it.
	time.Sleep(300 * time.Millisecond)
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
		if c.err != nil {
			t.Fatalf("exit: %v\n%s", c.err, c.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("did not stop after SIGTERM:\n%s", c.stderr)
	}
	if !strings.Contains(c.stderr.String(), "stopped cleanly") {
		t.Errorf("no clean stop:\n%s", c.stderr)
	}
	if !exists(filepath.Join(dir, "finished-two")) {
		t.Error("the in-flight activity was cut off instead of drained")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still accepting requests after shutdown")
	}
}

// TestSecondServeRefused: a second serve on the same data folder stops with a clear error.
func TestSecondServeRefused(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	startChild(t, dir, addr)
	waitFor(t, 30*time.Second, "first server ready", func() bool { return ready(addr) })
	second := startChild(t, dir, freeAddr(t))
	select {
	case <-second.done:
		var ee *exec.ExitError
		if !errors.As(second.err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("second serve: %v", second.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("second serve did not stop")
	}
	if !strings.Contains(second.stderr.String(), "another membership serve") {
		t.Fatalf("unclear error:\n%s", second.stderr)
	}
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
