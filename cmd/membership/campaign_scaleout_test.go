package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership"
	"membership/config"
	"membership/db"
	"membership/db/dbtest"
	"membership/members"
	"membership/web/auth"
)

// TestCampaignTwoProcessesOnPostgres: two serve processes share one PostgreSQL (app database and
// task hub); a campaign to 2,000 members starts, one process is SIGKILLed mid-way, and the other
// finishes it. Every recipient has exactly one sent notice; the outbox holds a second copy only
// of sends that were in flight at the kill, which the test counts and bounds.
func TestCampaignTwoProcessesOnPostgres(t *testing.T) {
	appDSN, hubDSN := dbtest.PostgresDatabase(t), dbtest.PostgresDatabase(t)
	ctx := context.Background()
	gdb, err := openAppDB(ctx, &config.Config{Database: config.Database{Driver: "postgres", DSN: appDSN}}, dbtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(gdb) })
	token := seedClub(t, gdb, 2000)

	markers := t.TempDir()
	// The process tests' own orchestration (CrashTest) runs in every child; let it finish.
	if err := os.WriteFile(filepath.Join(markers, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"MEMBERSHIP_DATABASE_DRIVER=postgres", "MEMBERSHIP_DATABASE_DSN=" + appDSN,
		"MEMBERSHIP_TASKHUB_BACKEND=postgres", "MEMBERSHIP_TASKHUB_DSN=" + hubDSN,
		"MEMBERSHIP_TASKHUB_LOCK_TIMEOUT=5s", "MEMBERSHIP_TEST_MARKERS=" + markers,
		"MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=", "MEMBERSHIP_FEES_RUN_AT=23:59",
	}
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := startChild(t, t.TempDir(), addrA, env...)
	waitFor(t, 60*time.Second, "process A ready", func() bool { return ready(addrA) })
	startChild(t, t.TempDir(), addrB, env...)
	waitFor(t, 60*time.Second, "process B ready", func() bool { return ready(addrB) })

	id := postCrashCampaign(t, addrA, token)
	waitFor(t, 60*time.Second, "the campaign a sixth of the way", func() bool {
		return getCrashCampaign(t, addrB, token, id).Counts.Sent >= 300
	})
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
	inFlight := countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sending'", id)
	atKill := getDBCampaign(t, gdb, id)
	t.Logf("killed A at %d of %d sent, %d sends in flight", atKill.Counts.Sent, atKill.Counts.Total, inFlight)
	if atKill.Status == members.CampaignCompleted {
		t.Fatal("the campaign finished before the kill; nothing was tested")
	}

	var after members.Campaign
	took := waitFor(t, 120*time.Second, "process B completes the campaign", func() bool {
		after = getCrashCampaign(t, addrB, token, id)
		return after.Status == members.CampaignCompleted
	})
	t.Logf("kill to completion on B: %s", took.Round(time.Millisecond))

	want := after.Counts.Total - after.Counts.Skipped
	if after.Counts.Sent != want || after.Counts.Failed != 0 || after.AudienceSize < 1500 {
		t.Fatalf("final counts %+v of %d members, want all %d sent", after.Counts, after.AudienceSize, want)
	}
	if n := countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sent'", id); n != want {
		t.Errorf("%d notices sent, want one per recipient: %d", n, want)
	}
	var mail struct{ Messages, Addresses int }
	if err := gdb.Raw("SELECT COUNT(*) AS messages, COUNT(DISTINCT to_addr) AS addresses FROM outbox_messages WHERE subject = ?", crashSubject).Scan(&mail).Error; err != nil {
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
}

// seedClub adds a demo club of n members who all consented to e-mail, and returns an admin
// API token.
func seedClub(t *testing.T, gdb *gorm.DB, n int) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(membership.DefaultConfig, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	store := members.NewStore(gdb, membersOptions(cfg), dbtest.Log())
	if err := store.SeedDemo(ctx, n, rand.New(rand.NewPCG(7, 7))); err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("UPDATE members SET email_consent = TRUE WHERE email <> ''").Error; err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.NewStore(gdb, authOptions(cfg), dbtest.Log()).CreateToken(ctx, "crash test", auth.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// smsMember picks the first active member of a seeded club who has a phone, and gives them SMS
// consent: the one a test verifies a phone for.
func smsMember(t *testing.T, gdb *gorm.DB) int64 {
	t.Helper()
	var id int64
	if err := gdb.Raw("SELECT id FROM members WHERE phone <> '' AND status = 'active' ORDER BY id LIMIT 1").Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("a member with a phone: %d, %v", id, err)
	}
	if err := gdb.Exec("UPDATE members SET sms_consent = TRUE WHERE id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}
