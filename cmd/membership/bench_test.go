package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"membership"
	"membership/activities"
	"membership/config"
	"membership/db/dbtest"
)

// runBench runs `membership bench args…` as the command line would, and returns what it printed.
func runBench(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"bench"}, args...), strings.NewReader(""), &out, &errOut, nil)
	t.Logf("bench %s:\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
	if err != nil {
		t.Fatalf("bench %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

// wantLines fails unless every pattern matches a line of out; it returns each match's groups.
func wantLines(t *testing.T, out string, patterns ...string) [][]string {
	t.Helper()
	var groups [][]string
	for _, p := range patterns {
		m := regexp.MustCompile("(?m)^" + p + "$").FindStringSubmatch(out)
		if m == nil {
			t.Errorf("no line matches %q", p)
		}
		groups = append(groups, m)
	}
	return groups
}

// benchServeChildren lets the bench's serve children be this test binary (TestMain serves when
// MEMBERSHIP_TEST_CHILD is set), whose own orchestration (CrashTest) is let finish at once.
func benchServeChildren(t *testing.T) {
	t.Helper()
	markers := t.TempDir()
	releaseCrashTest(t, markers)
	benchChildEnv = []string{childEnv + "=serve", "MEMBERSHIP_TEST_MARKERS=" + markers}
	t.Cleanup(func() { benchChildEnv = nil })
}

// TestBenchInProcessSMTP: a small in-process run over SMTP prints the campaign's rate, the
// sink's count, span and repeats, the peak memory, and writes the heap profile half-way.
func TestBenchInProcessSMTP(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "heap.prof")
	out := runBench(t, "-members", "200", "-provider", "smtp", "-baseline=false", "-memprofile", prof)
	wantLines(t, out,
		`heap profile: .*heap\.prof, at \d+ of 200 sent`,
		`history: the campaign's orchestration held at most \d+ events at a time .*`,
		`campaign: 200 e-mails through smtp, start to final report \S+: \d+/s`,
		`processes: 0 \(the campaign ran in this process; app database sqlite, task hub sqlite\)`,
		`smtp sink: 200 e-mails over \d+ connections, first to last \d+\.\d{3} s \(\d+/s\)`,
		`duplicates: 0 recipients got more than one`,
		`peak RSS \(VmHWM\): \d+\.\d MB`,
	)
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("heap profile: %v, %v", fi, err)
	}
}

// TestBenchKillAt: one serve child over SQLite, SIGKILLed at 30 % of a campaign over SMTP and
// started again: every recipient gets the e-mail (0 lost), and no more repeat than sends were
// left in flight at the kill.
func TestBenchKillAt(t *testing.T) {
	benchServeChildren(t)
	// Small batches, so that the kill falls between batches of a campaign still running.
	out := runBench(t, "-members", "300", "-batch", "10", "-provider", "smtp", "-baseline=false", "-processes", "1", "-kill-at", "0.3")
	m := wantLines(t, out,
		`kill at 30 %: lost (\d+) \(recipients never received\), repeated (\d+) \(recipients received more than once\); killed at \d+ sent, \d+ notices left sending, \d+ of them with their outcome in the send journal, (\d+) in flight \(the most that may repeat\)`,
		`child 1: peak RSS \(VmHWM\) \d+\.\d MB, before its restart \d+\.\d MB`,
		`smtp sink: \d+ e-mails over \d+ connections, first to last .*`,
		`processes: 1 \(serve children; app database sqlite, task hub sqlite\)`,
		`history: .* through the management API, \d+ samples failed\)`,
	)
	if t.Failed() {
		return
	}
	lost, repeated, inFlight := mustAtoi(t, m[0][1]), mustAtoi(t, m[0][2]), mustAtoi(t, m[0][3])
	if lost != 0 {
		t.Errorf("%d recipients never got the e-mail", lost)
	}
	if repeated > inFlight {
		t.Errorf("%d recipients got it twice, but only %d sends were in flight at the kill", repeated, inFlight)
	}
	// With the journal only the sends in flight may repeat: a batch's sends at once times the
	// batches at once.
	cfg, err := config.Load(membership.DefaultConfig, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if bound := activities.DefaultSendConcurrency * cfg.TaskHub.Parallelism; repeated > bound {
		t.Errorf("%d recipients got it twice, more than the %d sends that can be in flight", repeated, bound)
	}
}

// TestBenchPostgresTwoProcesses: two serve children share both stores on PostgreSQL, in
// databases of the run's own; the campaign reaches every recipient once.
func TestBenchPostgresTwoProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbtest.PostgresURL())
	if err != nil {
		dbtest.Unavailable(t, "PostgreSQL", err.Error())
	}
	_ = c.Close(ctx)
	benchServeChildren(t)
	out := runBench(t, "-members", "200", "-provider", "smtp", "-processes", "2", "-postgres", dbtest.PostgresURL())
	wantLines(t, out,
		`campaign: 200 e-mails through smtp, start to final report \S+: \d+/s`,
		`processes: 2 \(serve children; app database postgres, task hub postgres\)`,
		`child 1: peak RSS \(VmHWM\) \d+\.\d MB`,
		`child 2: peak RSS \(VmHWM\) \d+\.\d MB`,
		`smtp sink: 200 e-mails over \d+ connections, first to last .*`,
		`duplicates: 0 recipients got more than one`,
		`engine baseline: 200 no-op activities in batches of 100, .*`,
	)
}

// TestBenchFlags: combinations that would measure nothing are refused before anything runs.
func TestBenchFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-provider", "twilio"}, "use outbox or smtp"},
		{[]string{"-processes", "2"}, "needs -postgres"},
		{[]string{"-kill-at", "0.3", "-provider", "smtp"}, "-kill-at needs -processes"},
		{[]string{"-kill-at", "0.3", "-processes", "1"}, "-kill-at needs -processes"},
		{[]string{"-kill-at", "1.5", "-processes", "1", "-provider", "smtp"}, "a share between 0 and 1"},
		{[]string{"-processes", "1", "-memprofile", "x"}, "in this process only"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"bench"}, tc.args...), strings.NewReader(""), &out, &out, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
