package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/config"
	"membership/db"
	"membership/db/dbtest"
	"membership/members"
)

// crashSubject marks the campaign's e-mails in the outbox, apart from anything else the
// server sends meanwhile (fee reminders of the demo club).
const crashSubject = "Crash test: renew your membership"

// TestCampaignSurvivesKill sends a campaign to 2,000 members from a real serving process,
// SIGKILLs it mid-way and starts it again: the campaign resumes within seconds and completes,
// every member's notice is sent exactly once by the ledger, and the outbox (standing in for
// the members' mailboxes) holds one copy of each: the sends in flight at the kill, which the
// test counts from the notices left "sending", go out again under the same key.
func TestCampaignSurvivesKill(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	token := seedClub(t, openCrashDB(t, dir), 2000)
	// The process tests' own orchestration (CrashTest) runs in every child; let it finish.
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	extra := []string{"MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=", "MEMBERSHIP_FEES_RUN_AT=23:59"}
	first := startChild(t, dir, addr, extra...)
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })

	id := postCrashCampaign(t, addr, token)
	var before members.Campaign
	waitFor(t, 30*time.Second, "the campaign half-way", func() bool {
		before = getCrashCampaign(t, addr, token, id)
		return before.Counts.Sent >= 300
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if before.Counts.Sent >= before.Counts.Total-before.Counts.Skipped {
		t.Fatalf("the campaign finished before the kill: %+v", before.Counts)
	}
	gdb := openCrashDB(t, dir)
	inFlight := countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sending'", id)
	atKill := getDBCampaign(t, gdb, id)
	t.Logf("killed at %d of %d sent, %d sends in flight", atKill.Counts.Sent, atKill.Counts.Total, inFlight)

	restart := time.Now()
	startChild(t, dir, addr, extra...)
	waitFor(t, 30*time.Second, "server ready again", func() bool { return ready(addr) })
	resumed := waitFor(t, 30*time.Second, "the campaign resumes", func() bool {
		return getCrashCampaign(t, addr, token, id).Counts.Sent > atKill.Counts.Sent
	})
	t.Logf("restart to progress: %s", time.Since(restart).Round(time.Millisecond))
	if resumed > 15*time.Second {
		t.Errorf("the campaign took %s to resume after the server was ready", resumed)
	}
	var after members.Campaign
	waitFor(t, 60*time.Second, "the campaign completes", func() bool {
		after = getCrashCampaign(t, addr, token, id)
		return after.Status == members.CampaignCompleted
	})

	want := after.Counts.Total - after.Counts.Skipped
	if after.Counts.Sent != want || after.Counts.Failed != 0 || after.AudienceSize < 1500 {
		t.Fatalf("final counts %+v of %d members, want all %d sent", after.Counts, after.AudienceSize, want)
	}
	if n := countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sent'", id); n != want {
		t.Errorf("%d notices sent, want one per recipient: %d", n, want)
	}
	var mail struct{ Messages, Addresses int }
	err := gdb.Raw("SELECT COUNT(*) AS messages, COUNT(DISTINCT to_addr) AS addresses FROM outbox_messages WHERE subject = ?", crashSubject).Scan(&mail).Error
	if err != nil {
		t.Fatal(err)
	}
	dup := mail.Messages - mail.Addresses
	t.Logf("outbox: %d e-mails to %d members, %d duplicates (%d sends were in flight at the kill)", mail.Messages, mail.Addresses, dup, inFlight)
	if mail.Addresses != want {
		t.Errorf("%d members got the e-mail, want %d", mail.Addresses, want)
	}
	if dup > inFlight {
		t.Errorf("%d duplicates, but only %d sends were in flight at the kill", dup, inFlight)
	}
	// The outbox keeps a message under its notice's key once (notify.IdempotentByKey): the
	// sends repeated after the restart find the messages kept before the kill.
	if dup != 0 {
		t.Errorf("%d duplicates, want none: the outbox is idempotent by key", dup)
	}
}

// openCrashDB opens (and migrates) the app database in dir, closed when the test ends.
func openCrashDB(t *testing.T, dir string) *gorm.DB {
	t.Helper()
	gdb, err := openAppDB(context.Background(), &config.Config{Database: config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "membership.db")}}, dbtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(gdb) })
	return gdb
}

func countRows(t *testing.T, gdb *gorm.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := gdb.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func getDBCampaign(t *testing.T, gdb *gorm.DB, id int64) *members.Campaign {
	t.Helper()
	c, err := members.NewStore(gdb, members.Options{}, dbtest.Log()).GetCampaign(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// postCrashCampaign starts an e-mail campaign to every member through the API.
func postCrashCampaign(t *testing.T, addr, token string) int64 {
	t.Helper()
	body := fmt.Sprintf(`{"name": "Crash test", "channels": ["email"], "audience": {}, "subject": %q, "message": "Hello {{.FirstName}}"}`, crashSubject)
	var out struct {
		CampaignID int64 `json:"campaign_id"`
	}
	if status := crashAPI(t, addr, token, http.MethodPost, "/api/v1/campaigns", body, &out); status != http.StatusAccepted {
		t.Fatalf("start campaign: %d", status)
	}
	return out.CampaignID
}

func getCrashCampaign(t *testing.T, addr, token string, id int64) members.Campaign {
	t.Helper()
	var c members.Campaign
	if status := crashAPI(t, addr, token, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", id), "", &c); status != http.StatusOK {
		t.Fatalf("read campaign %d: %d", id, status)
	}
	return c
}

func crashAPI(t *testing.T, addr, token, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: %d, %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode
}
