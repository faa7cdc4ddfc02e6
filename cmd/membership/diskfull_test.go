package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db"
	"membership/taskhub"
)

// TestDiskFull serves both SQLite stores from a small tmpfs and fills it while a campaign is
// sending: the API's and the member form's writes answer 507 saying the disk is full (the form
// keeps what was typed), nothing is half-written, reads, the member list and /healthz keep
// working, both files pass integrity_check; the campaign's sends already made are held until
// they can be recorded. Once the filler is deleted, without a restart, writes succeed again and
// the campaign finishes, each e-mail delivered exactly once.
func TestDiskFull(t *testing.T) {
	mnt := mountSmallDisk(t, 32<<20)
	addr := freeAddr(t)
	gdb := openCrashDB(t, mnt)
	const club = 20
	token := seedClub(t, gdb, club)
	phoneMember := smsMember(t, gdb)
	releaseCrashTest(t, mnt)
	box := startMailbox(t)
	s := &contractServer{dir: mnt, addr: addr, base: "http://" + addr}
	s.child = startChild(t, mnt, addr, "MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=", "MEMBERSHIP_FEES_RUN_AT=23:59",
		"MEMBERSHIP_NOTIFY_EMAIL_PROVIDER=smtp", "MEMBERSHIP_NOTIFY_EMAIL_SMTP_HOST="+box.host,
		"MEMBERSHIP_NOTIFY_EMAIL_SMTP_PORT="+strconv.Itoa(box.port), "MEMBERSHIP_NOTIFY_EMAIL_SMTP_TLS=none",
		"MEMBERSHIP_NOTIFY_EMAIL_RATE_LIMIT=4", "MEMBERSHIP_CAMPAIGNS_BATCH_SIZE=5",
		"MEMBERSHIP_TASKHUB_LOCK_TIMEOUT=30s")
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })
	m := regexp.MustCompile(`(?m)^First start: created the admin \S+ with the password\n\n    (\S+)$`).FindStringSubmatch(s.child.stderr.String())
	if m == nil {
		t.Fatalf("no first admin password printed:\n%s", s.child.stderr.String())
	}
	s.AdminPassword = m[1]
	b := s.login(t)
	membersBefore := countRows(t, gdb, "SELECT COUNT(*) FROM members")
	listBefore := apiMemberTotal(t, s, token)

	// The campaign is sending when the disk fills (4 e-mails a second, batches of 5): its
	// notices, its steps and its activities' results cannot be written for a while.
	var started struct {
		CampaignID int64 `json:"campaign_id"`
	}
	body := fmt.Sprintf(`{"name": "Disk full", "channels": ["email"], "audience": {}, "subject": %q, "message": "Hello {{.FirstName}}"}`, crashSubject)
	if status := crashAPI(t, addr, token, http.MethodPost, "/api/v1/campaigns", body, &started); status != http.StatusAccepted {
		t.Fatalf("start campaign: %d", status)
	}
	waitFor(t, 20*time.Second, "the campaign under way", func() bool { return box.count() >= 3 })

	filler := fillDisk(t, mnt, gdb)
	fullAt := time.Now()

	t.Run("writes refused", func(t *testing.T) {
		for i := range 3 {
			r := s.api(t, token, http.MethodPost, "/api/v1/members", map[string]any{"first_name": "Voll", "last_name": fmt.Sprintf("Platte %d", i), "email": fmt.Sprintf("voll%d@example.org", i)})
			p := wantProblem(t, "create a member on a full disk", r, http.StatusInsufficientStorage)
			if d, _ := p["detail"].(string); !strings.Contains(d, "disk is full") {
				t.Errorf("problem detail %q, want it to say the disk is full", d)
			}
		}
		r := b.post(t, "/members", url.Values{"first_name": {"Formular"}, "last_name": {"Voll"}, "email": {"formular@example.org"}, "status": {"active"}})
		wantStatus(t, "member form on a full disk", r, http.StatusInsufficientStorage)
		for _, want := range []string{"disk is full", `value="Formular"`, `data-testid="member-form"`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("member form on a full disk: no %q on the page:\n%s", want, r.Body)
			}
		}
		// A workflow's start writes both stores: refused as a whole, nothing left to resume.
		r = s.api(t, token, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", phoneMember), nil)
		t.Logf("phone verification started on a full disk: %d %s", r.Status, r.Body)
		if r.Status != http.StatusAccepted {
			wantProblem(t, "start a phone verification on a full disk", r, http.StatusInsufficientStorage)
		}
		if n := countRows(t, gdb, "SELECT COUNT(*) FROM verifications"); n != 0 {
			t.Errorf("%d verifications after the refused start, want none", n)
		}
		if n := countRows(t, gdb, "SELECT COUNT(*) FROM members"); n != membersBefore {
			t.Errorf("%d members after the refused writes, want %d", n, membersBefore)
		}
	})

	t.Run("reads work", func(t *testing.T) {
		if n := apiMemberTotal(t, s, token); n != listBefore {
			t.Errorf("member list total %d, want %d", n, listBefore)
		}
		wantStatus(t, "member list page on a full disk", b.get(t, "/members"), http.StatusOK)
		wantStatus(t, "healthz on a full disk", s.api(t, "", http.MethodGet, "/healthz", nil), http.StatusOK)
		// Not ready, naming the disk, so that monitoring says why changes are refused.
		r := s.api(t, "", http.MethodGet, "/readyz", nil)
		if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), `"disk":"disk full: `) {
			t.Errorf("readyz on a full disk: %d %s, want 503 naming the disk", r.Status, r.Body)
		}
	})

	// Let the campaign's work fail for a while.
	time.Sleep(3 * time.Second)
	st := instanceHistory(t, addr, token, getCrashCampaign(t, addr, token, started.CampaignID).InstanceID)
	if st.RuntimeStatus == "Failed" || st.RuntimeStatus == "Terminated" {
		t.Fatalf("the campaign's instance %s on a full disk", st.RuntimeStatus)
	}
	t.Logf("campaign on a full disk: instance %s, %d e-mails delivered", st.RuntimeStatus, box.count())

	checkStores(t, mnt)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	t.Logf("disk full for %s", freed.Sub(fullAt).Round(time.Millisecond))

	if r := s.api(t, "", http.MethodGet, "/readyz", nil); r.Status != http.StatusOK {
		t.Errorf("readyz after space was freed: %d %s", r.Status, r.Body)
	}
	r := s.api(t, token, http.MethodPost, "/api/v1/members", map[string]any{"first_name": "Wieder", "last_name": "Platz", "email": "wieder@example.org"})
	wantStatus(t, "create a member after space was freed", r, http.StatusCreated)
	t.Logf("space freed to the first write answered 201: %s", time.Since(freed).Round(time.Microsecond))
	r = b.post(t, "/members", url.Values{"first_name": {"Formular"}, "last_name": {"Frei"}, "email": {"frei@example.org"}, "status": {"active"}})
	wantStatus(t, "member form after space was freed", r, http.StatusSeeOther)

	var verification struct{ ID string }
	if status := crashAPI(t, addr, token, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", phoneMember), "", &verification); status != http.StatusAccepted {
		t.Fatalf("start a phone verification after space was freed: %d", status)
	}
	var code struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	waitFor(t, 10*time.Second, "the phone code sent after space was freed", func() bool {
		return instanceHistory(t, addr, token, verification.ID).custom(&code) && !code.ExpiresAt.IsZero()
	})

	var c struct {
		Status string `json:"status"`
		Counts struct {
			Total, Sent, Failed, Skipped int
		} `json:"counts"`
	}
	took := waitFor(t, 60*time.Second, "the campaign finishes after space was freed", func() bool {
		crashAPI(t, addr, token, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", started.CampaignID), "", &c)
		return c.Status == "completed" || c.Status == "failed"
	})
	t.Logf("space freed to campaign %s: %s; counts %+v", c.Status, took.Round(time.Millisecond), c.Counts)
	if c.Status != "completed" || c.Counts.Failed != 0 || c.Counts.Sent+c.Counts.Skipped != c.Counts.Total || c.Counts.Total == 0 {
		t.Errorf("campaign %s with %+v, want completed with every notice sent", c.Status, c.Counts)
	}
	got := box.received()
	if len(got) != c.Counts.Sent {
		t.Errorf("%d recipients got the e-mail, want %d", len(got), c.Counts.Sent)
	}
	for to, n := range got {
		if n != 1 {
			t.Errorf("%s got the e-mail %d times, want once", to, n)
		}
	}
	checkStores(t, mnt)
	if t.Failed() {
		t.Logf("server log:\n%s", s.child.stderr.String())
	}
}

// apiMemberTotal is the member list's total through the API.
func apiMemberTotal(t *testing.T, s *contractServer, token string) int {
	t.Helper()
	var list struct {
		Total int `json:"total"`
	}
	r := s.api(t, token, http.MethodGet, "/api/v1/members?per_page=5", nil)
	wantStatus(t, "member list", r, http.StatusOK)
	r.JSON(t, &list)
	return list.Total
}

// mountSmallDisk mounts a tmpfs of size bytes in a temp folder, unmounted when the test ends.
// Mounting needs root; under CI=true its failure fails the test.
func mountSmallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size/1024)+"k", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("mount a %d KiB tmpfs (needs root): %v %s", size/1024, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Registered first, so it runs last: after the server has been killed and the stores closed.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fillDisk writes a filler file into dir until the filesystem has no byte left and returns its
// path. First it checkpoints both stores' WALs down to nothing: a WAL keeps its size after a
// checkpoint and SQLite writes over it, so without this the next few writes would still find
// room and the test would depend on how large the WALs happened to grow.
func fillDisk(t *testing.T, dir string, app *gorm.DB) string {
	t.Helper()
	if err := app.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatalf("checkpoint the app database: %v", err)
	}
	hub, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "taskhub.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	if _, err := hub.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatalf("checkpoint the task hub: %v", err)
	}
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4096, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill the disk: %v", err)
				}
				break
			}
		}
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	t.Logf("disk filled: filler %d KiB, %d bytes free", info.Size()/1024, fs.Bavail*uint64(fs.Bsize))
	return path
}

// checkStores runs integrity_check on both stores in dir, each through its own copy of SQLite.
func checkStores(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	if err := db.CheckSQLiteFile(ctx, filepath.Join(dir, "membership.db")); err != nil {
		t.Errorf("app database: %v", err)
	}
	if err := taskhub.CheckSQLiteFile(ctx, filepath.Join(dir, "taskhub.db")); err != nil {
		t.Errorf("task hub: %v", err)
	}
}
