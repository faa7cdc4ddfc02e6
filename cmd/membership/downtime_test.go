package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"
)

// TestTimerDueWhileStopped stops the server (SIGTERM) while a phone verification waits for
// its code and starts it again after the code has expired: the expiry timer, due while nothing
// ran, fires once, promptly after the start, and the verification ends expired — in the run's
// history, its output and what the code API answers.
func TestTimerDueWhileStopped(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	gdb := openCrashDB(t, dir)
	token := seedClub(t, gdb, 20)
	var memberID int64
	if err := gdb.Raw("SELECT id FROM members WHERE phone <> '' AND status = 'active' ORDER BY id LIMIT 1").Scan(&memberID).Error; err != nil || memberID == 0 {
		t.Fatalf("a member with a phone: %d, %v", memberID, err)
	}
	if err := gdb.Exec("UPDATE members SET sms_consent = TRUE WHERE id = ?", memberID).Error; err != nil {
		t.Fatal(err)
	}
	release(t, dir)
	const lifetime = 3 * time.Second
	extra := []string{"MEMBERSHIP_VERIFICATION_PHONE_TIMEOUT=" + lifetime.String(), "MEMBERSHIP_FEES_RUN_AT=23:59", "MEMBERSHIP_CAMPAIGNS_QUIET_HOURS="}
	first := startChild(t, dir, addr, extra...)
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })

	var started struct{ ID string }
	if status := crashAPI(t, addr, token, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", memberID), "", &started); status != http.StatusAccepted {
		t.Fatalf("start phone verification: %d", status)
	}
	issued := time.Now()
	waitFor(t, 10*time.Second, "the code sent and its expiry timer set", func() bool {
		return countEvents(instanceHistory(t, addr, token, started.ID), "TimerCreated") == 1
	})
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if time.Since(issued) >= lifetime {
		t.Fatalf("the server stopped %s after the code went out, not before it expired", time.Since(issued))
	}
	// Down past the expiry, with a margin.
	time.Sleep(time.Until(issued.Add(lifetime + time.Second)))

	restart := time.Now()
	startChild(t, dir, addr, extra...)
	var st durableStatus
	waitFor(t, 15*time.Second, "the verification ends after the restart", func() bool {
		st = instanceHistory(t, addr, token, started.ID)
		return st.RuntimeStatus == "Completed"
	})
	took := time.Since(restart)
	t.Logf("restart to expired: %s", took.Round(time.Millisecond))
	for _, e := range st.HistoryEvents {
		t.Logf("%s %s", e.Timestamp.Format("15:04:05.000"), e.EventType)
	}
	t.Logf("issued %s restart %s", issued.Format("15:04:05.000"), restart.Format("15:04:05.000"))
	if took > 5*time.Second {
		t.Errorf("the due timer fired %s after the restart, want within 5s", took)
	}
	var out string
	if err := json.Unmarshal(st.Output, &out); err != nil || out != "Expired" {
		t.Errorf("output %s, want \"Expired\"", st.Output)
	}
	if n := countEvents(st, "TimerFired"); n != 1 {
		t.Errorf("the expiry timer fired %d times, want once: %v", n, eventTypes(st))
	}
	if n := countEvents(st, "TimerCreated"); n != 1 {
		t.Errorf("%d timers created, want one: %v", n, eventTypes(st))
	}
	var res struct {
		Result string `json:"result"`
	}
	status := crashAPI(t, addr, token, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone/code", memberID), `{"code": "123456"}`, &res)
	if status != http.StatusOK || res.Result != "expired" {
		t.Errorf("a code entered after the restart: %d %q, want 200 expired", status, res.Result)
	}
}

// durableStatus is an instance's status from the durable management API, with its history.
type durableStatus struct {
	RuntimeStatus string          `json:"runtimeStatus"`
	Output        json.RawMessage `json:"output"`
	HistoryEvents []struct {
		EventType string    `json:"EventType"`
		Timestamp time.Time `json:"Timestamp"`
	} `json:"historyEvents"`
}

// instanceHistory reads an instance's status and history; while the server starts it answers
// an empty status.
func instanceHistory(t *testing.T, addr, token, id string) durableStatus {
	t.Helper()
	var st durableStatus
	if !ready(addr) {
		return st
	}
	crashAPI(t, addr, token, http.MethodGet, "/runtime/webhooks/durabletask/instances/"+url.PathEscape(id)+"?showHistory=true", "", &st)
	return st
}

func countEvents(st durableStatus, eventType string) int {
	n := 0
	for _, e := range st.HistoryEvents {
		if e.EventType == eventType {
			n++
		}
	}
	return n
}

func eventTypes(st durableStatus) []string {
	var types []string
	for _, e := range st.HistoryEvents {
		types = append(types, e.EventType)
	}
	return types
}
