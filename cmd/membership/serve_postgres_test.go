package main

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"membership/db/dbtest"
)

// TestTwoProcessesOnPostgres runs two serve processes against one PostgreSQL (app database and
// task hub), kills the one running an activity, and checks the other takes the work over once
// the dead process's lock expires — seconds, with a short lock timeout — and finishes it.
func TestTwoProcessesOnPostgres(t *testing.T) {
	appDB, hubDB := dbtest.PostgresDatabase(t), dbtest.PostgresDatabase(t)
	markers := t.TempDir()
	env := []string{
		"MEMBERSHIP_DATABASE_DRIVER=postgres", "MEMBERSHIP_DATABASE_DSN=" + appDB,
		"MEMBERSHIP_TASKHUB_BACKEND=postgres", "MEMBERSHIP_TASKHUB_DSN=" + hubDB,
		"MEMBERSHIP_TEST_MARKERS=" + markers,
	}
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := startChild(t, t.TempDir(), addrA, append(env, "MEMBERSHIP_TASKHUB_LOCK_TIMEOUT=3s")...)
	waitFor(t, 60*time.Second, "first process ready", func() bool { return ready(addrA) })
	b := startChild(t, t.TempDir(), addrB, append(env, "MEMBERSHIP_TASKHUB_LOCK_TIMEOUT=3s")...)
	waitFor(t, 60*time.Second, "second process ready", func() bool { return ready(addrB) })

	started := filepath.Join(markers, "started-two")
	waitFor(t, 60*time.Second, "activity two in flight", func() bool { return exists(started) })
	pidText, err := os.ReadFile(started)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(pidText))
	victim, survivor := a, b
	if b.cmd.Process.Pid == pid {
		victim, survivor = b, a
	} else if a.cmd.Process.Pid != pid {
		t.Fatalf("activity ran in pid %d, neither child", pid)
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	if err := os.Remove(started); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(markers, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, 60*time.Second, "the surviving process finishes the orchestration", func() bool {
		return exists(filepath.Join(markers, "finished-three"))
	})
	t.Logf("takeover to completion: %s", took)
	if text, err := os.ReadFile(started); err == nil && string(text) != strconv.Itoa(survivor.cmd.Process.Pid) {
		t.Fatalf("activity two re-ran in pid %s, not the survivor %d", text, survivor.cmd.Process.Pid)
	}
}
