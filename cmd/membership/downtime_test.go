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
	memberID := smsMember(t, gdb)
	releaseCrashTest(t, dir)
	const lifetime = 5 * time.Second
	extra := []string{"MEMBERSHIP_VERIFICATION_PHONE_TIMEOUT=" + lifetime.String(), "MEMBERSHIP_FEES_RUN_AT=23:59", "MEMBERSHIP_CAMPAIGNS_QUIET_HOURS="}
	first := startChild(t, dir, addr, extra...)
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })

	var started struct{ ID string }
	if status := crashAPI(t, addr, token, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", memberID), "", &started); status != http.StatusAccepted {
		t.Fatalf("start phone verification: %d", status)
	}
	var code struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	waitFor(t, 10*time.Second, "the code sent and its expiry timer set", func() bool {
		st := instanceHistory(t, addr, token, started.ID)
		return countEvents(st, "TimerCreated") == 1 && st.custom(&code) && !code.ExpiresAt.IsZero()
	})
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if late := time.Since(code.ExpiresAt); late >= 0 {
		t.Fatalf("the server stopped %s after the code expired, not before", late)
	}
	// Down past the expiry, with a margin.
	time.Sleep(time.Until(code.ExpiresAt.Add(time.Second)))

	restart := time.Now()
	startChild(t, dir, addr, extra...)
	var st durableStatus
	waitFor(t, 15*time.Second, "the verification ends after the restart", func() bool {
		st = instanceHistory(t, addr, token, started.ID)
		return st.RuntimeStatus == "Completed"
	})
	took := time.Since(restart)
	t.Logf("restart to expired: %s; history %v", took.Round(time.Millisecond), eventTypes(st))
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

// TestFeeReminderStepsDueWhileStopped stops the server while a fee reminder waits between its
// steps and starts it again after both waits have passed: each timer fires once, the
// reminder goes through its SMS step and the overdue step right after the start, and every
// step's notice is sent once.
func TestFeeReminderStepsDueWhileStopped(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	gdb := openCrashDB(t, dir)
	token := seedClub(t, gdb, 20)
	var fee struct{ ID, MemberID int64 }
	err := gdb.Raw(`SELECT f.id, f.member_id FROM fees f JOIN members m ON m.id = f.member_id
		WHERE m.phone <> '' AND m.email <> '' AND m.status = 'active' ORDER BY f.id LIMIT 1`).Scan(&fee).Error
	if err != nil || fee.ID == 0 {
		t.Fatalf("a fee of a member with a phone: %+v, %v", fee, err)
	}
	// Not due for years: the scheduler leaves it alone, the test's reminder is the only one.
	if err := gdb.Exec("UPDATE fees SET status = 'open', paid_on = NULL, due_on = '2099-01-01' WHERE id = ?", fee.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("UPDATE members SET sms_consent = TRUE, email_consent = TRUE WHERE id = ?", fee.MemberID).Error; err != nil {
		t.Fatal(err)
	}
	releaseCrashTest(t, dir)
	extra := []string{"MEMBERSHIP_FEES_RUN_AT=23:59", "MEMBERSHIP_CAMPAIGNS_QUIET_HOURS="}
	first := startChild(t, dir, addr, extra...)
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })

	id := fmt.Sprintf("fee-reminder:%d", fee.ID)
	const smsAfter, overdueAfter = 5 * time.Second, 6 * time.Second
	input := fmt.Sprintf(`{"fee_id": %d, "sms_after": %d, "overdue_after": %d}`, fee.ID, smsAfter, overdueAfter)
	var started struct{ ID string }
	if status := crashAPI(t, addr, token, http.MethodPost, "/runtime/webhooks/durabletask/orchestrators/FeeReminder/"+url.PathEscape(id), input, &started); status != http.StatusAccepted {
		t.Fatalf("start FeeReminder: %d", status)
	}
	var step struct {
		WaitUntil time.Time `json:"wait_until"`
	}
	waitFor(t, 10*time.Second, "the e-mail step sent and the wait for payment set", func() bool {
		st := instanceHistory(t, addr, token, id)
		return countEvents(st, "TimerCreated") == 1 && st.custom(&step) && !step.WaitUntil.IsZero()
	})
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if late := time.Since(step.WaitUntil); late >= 0 {
		t.Fatalf("the server stopped %s after the SMS step was due, not before", late)
	}
	// Down past both waits (the second ends overdueAfter-smsAfter after the first), with a margin.
	time.Sleep(time.Until(step.WaitUntil.Add(overdueAfter - smsAfter + time.Second)))

	restart := time.Now()
	startChild(t, dir, addr, extra...)
	var st durableStatus
	waitFor(t, 15*time.Second, "the reminder ends after the restart", func() bool {
		st = instanceHistory(t, addr, token, id)
		return st.RuntimeStatus == "Completed"
	})
	took := time.Since(restart)
	t.Logf("restart to overdue: %s; history %v", took.Round(time.Millisecond), eventTypes(st))
	if took > 5*time.Second {
		t.Errorf("the due steps ran %s after the restart, want within 5s", took)
	}
	var out string
	if err := json.Unmarshal(st.Output, &out); err != nil || out != "Overdue" {
		t.Errorf("output %s, want \"Overdue\"", st.Output)
	}
	if created, fired := countEvents(st, "TimerCreated"), countEvents(st, "TimerFired"); fired != created || created == 0 {
		t.Errorf("%d timers created, %d fired; want each to fire once: %v", created, fired, eventTypes(st))
	}
	var notices []struct{ Key, Status string }
	if err := openCrashDB(t, dir).Raw("SELECT key, status FROM notices WHERE key LIKE ? ORDER BY key", fmt.Sprintf("fee:%d:step:%%", fee.ID)).Scan(&notices).Error; err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf("fee:%d:step:1:member:%d:email", fee.ID, fee.MemberID),
		fmt.Sprintf("fee:%d:step:2:member:%d:sms", fee.ID, fee.MemberID),
		fmt.Sprintf("fee:%d:step:3:member:%d:email", fee.ID, fee.MemberID),
	}
	if len(notices) != len(want) {
		t.Fatalf("notices %+v, want one sent per step: %v", notices, want)
	}
	for i, n := range notices {
		if n.Key != want[i] || n.Status != "sent" {
			t.Errorf("notice %d: %s %s, want %s sent", i, n.Key, n.Status, want[i])
		}
	}
}

// durableStatus is an instance's status from the durable management API, with its history.
type durableStatus struct {
	RuntimeStatus string          `json:"runtimeStatus"`
	Output        json.RawMessage `json:"output"`
	CustomStatus  json.RawMessage `json:"customStatus"`
	HistoryEvents []struct {
		EventType string `json:"EventType"`
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

// custom decodes the custom status into v (an object, or a string that holds one) and
// reports whether it could.
func (st durableStatus) custom(v any) bool {
	raw := st.CustomStatus
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
	}
	return len(raw) > 0 && json.Unmarshal(raw, v) == nil
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
