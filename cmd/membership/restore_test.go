package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"membership/db"
	"membership/members"
	"membership/taskhub"
)

// TestRestoreUnderLoad backs a serving process up in the middle of a campaign, restores the
// backup into a fresh data folder and serves that: the campaign finishes there, every notice
// the backup held as sent stays sent and is not tried again, and the restored server e-mails
// exactly the recipients the backup had not reached, each once (over SMTP, which, unlike the
// outbox, would show a repeated send). restore refuses the data folder of a running serve and
// a damaged backup, naming the file, and changes nothing then. Small batches make a batch
// likely to finish between the two stores' snapshots: with the app database copied first,
// the hub would remember a batch whose sends the app copy lacked, and lose them.
func TestRestoreUnderLoad(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	token := seedClub(t, openCrashDB(t, dir), 300)
	releaseCrashTest(t, dir)
	box := startMailbox(t)
	// 40 e-mails a second: the campaign runs for a few seconds, long enough to back it up mid-way.
	extra := []string{"MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=", "MEMBERSHIP_FEES_RUN_AT=23:59",
		"MEMBERSHIP_NOTIFY_EMAIL_PROVIDER=smtp", "MEMBERSHIP_NOTIFY_EMAIL_SMTP_HOST=" + box.host,
		"MEMBERSHIP_NOTIFY_EMAIL_SMTP_PORT=" + strconv.Itoa(box.port), "MEMBERSHIP_NOTIFY_EMAIL_SMTP_TLS=none",
		"MEMBERSHIP_NOTIFY_EMAIL_RATE_LIMIT=40", "MEMBERSHIP_CAMPAIGNS_BATCH_SIZE=10"}
	first := startChild(t, dir, addr, extra...)
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })
	id := postCrashCampaign(t, addr, token)
	waitFor(t, 30*time.Second, "the campaign under way", func() bool {
		return getCrashCampaign(t, addr, token, id).Counts.Sent >= 30
	})

	backups := t.TempDir()
	if out, err := storesCLI(dir, "backup", backups); err != nil {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}

	t.Run("refused while serving", func(t *testing.T) {
		out, err := storesCLI(dir, "restore", backups)
		if err == nil || !strings.Contains(err.Error(), "restore refused") || !strings.Contains(err.Error(), "another membership serve") {
			t.Fatalf("restore over a serving instance's data: %v\n%s", err, out)
		}
		if leftovers, _ := filepath.Glob(filepath.Join(dir, "*"+restoringSuffix)); len(leftovers) > 0 {
			t.Errorf("a refused restore left %v", leftovers)
		}
	})

	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-first.done
	atStop := getDBCampaign(t, openCrashDB(t, dir), id)

	for _, store := range []string{"membership-", "taskhub-"} {
		t.Run("refused damaged "+store, func(t *testing.T) {
			damaged := t.TempDir()
			copyBackup(t, backups, damaged)
			files, _ := filepath.Glob(filepath.Join(damaged, store+"*.db"))
			if len(files) != 1 {
				t.Fatalf("backup files %v", files)
			}
			flipPages(t, files[0])
			fresh := t.TempDir()
			out, err := storesCLI(fresh, "restore", damaged)
			if err == nil || !strings.Contains(err.Error(), files[0]) || !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("restore of a damaged backup: %v\n%s", err, out)
			}
			if left, _ := filepath.Glob(filepath.Join(fresh, "*.db*")); len(left) > 0 {
				t.Errorf("a refused restore wrote %v", left)
			}
		})
	}

	// What the backup held, read from a scratch copy (opening the backup itself would write to it).
	peek := t.TempDir()
	copyBackup(t, backups, peek)
	app, _ := filepath.Glob(filepath.Join(peek, "membership-*.db"))
	if err := os.Rename(app[0], filepath.Join(peek, "membership.db")); err != nil {
		t.Fatal(err)
	}
	held := map[string]int{}    // key → attempts of the notices the backup holds as sent
	heldTo := map[string]bool{} // their addresses
	var heldRows []struct {
		Key, Email string
		Attempts   int
	}
	err := openCrashDB(t, peek).Raw(`SELECT n.key, n.attempts, m.email FROM notices n JOIN members m ON m.id = n.member_id
		WHERE n.campaign_id = ? AND n.status = 'sent'`, id).Scan(&heldRows).Error
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range heldRows {
		held[r.Key], heldTo[r.Email] = r.Attempts, true
	}

	restored, addr2 := t.TempDir(), freeAddr(t)
	box.reset() // from here on, what the restored server sends
	out, err := storesCLI(restored, "restore", backups)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	t.Logf("backup held %d sent; the server had sent %d of %d when stopped\n%s", len(held), atStop.Counts.Sent, atStop.Counts.Total, out)
	if len(held) == 0 || len(held) >= atStop.Counts.Total-atStop.Counts.Skipped {
		t.Fatalf("the backup was not taken mid-campaign: %d sent in it", len(held))
	}
	releaseCrashTest(t, restored)
	startChild(t, restored, addr2, extra...)
	waitFor(t, 30*time.Second, "restored server ready", func() bool { return ready(addr2) })
	var after members.Campaign
	waitFor(t, 30*time.Second, "the restored campaign completes", func() bool {
		after = getCrashCampaign(t, addr2, token, id)
		return after.Status == members.CampaignCompleted
	})

	want := after.Counts.Total - after.Counts.Skipped
	if after.Counts.Sent != want || after.Counts.Failed != 0 || want < 150 {
		t.Fatalf("final counts %+v, want all %d sent", after.Counts, want)
	}
	gdb := openCrashDB(t, restored)
	var final []struct {
		Key      string
		Status   string
		Attempts int
	}
	if err := gdb.Raw("SELECT key, status, attempts FROM notices WHERE campaign_id = ?", id).Scan(&final).Error; err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, n := range final {
		if n.Status == "sent" {
			sent++
		}
		if a, ok := held[n.Key]; ok && (n.Status != "sent" || n.Attempts != a) {
			t.Errorf("%s was sent in the backup; now %s after %d attempts (was %d)", n.Key, n.Status, n.Attempts, a)
		}
	}
	if sent != want || len(final) != want {
		t.Errorf("%d notices, %d sent; want %d, one per recipient", len(final), sent, want)
	}
	var audience []string
	if err := gdb.Raw("SELECT m.email FROM notices n JOIN members m ON m.id = n.member_id WHERE n.campaign_id = ?", id).Scan(&audience).Error; err != nil {
		t.Fatal(err)
	}
	got := box.received()
	for _, to := range audience {
		switch n := got[to]; {
		case heldTo[to] && n > 0:
			t.Errorf("%s had the e-mail by the backup, and got it %d more times", to, n)
		case !heldTo[to] && n != 1:
			t.Errorf("%s, not reached by the backup, got the e-mail %d times after the restore, want 1", to, n)
		}
	}
	t.Logf("after the restore: %d e-mails to %d members", box.count(), len(got))
}

// storesCLI runs a subcommand in this process on both stores of the data folder dir, as startChild
// lays them out.
func storesCLI(dir string, args ...string) (string, error) {
	var out bytes.Buffer
	environ := append(os.Environ(),
		"MEMBERSHIP_SERVER_DATA_DIR="+dir,
		"MEMBERSHIP_DATABASE_DSN="+filepath.Join(dir, "membership.db"),
		"MEMBERSHIP_TASKHUB_DSN="+filepath.Join(dir, "taskhub.db"),
	)
	err := run(context.Background(), args, strings.NewReader(""), &out, &out, environ)
	return out.String(), err
}

// releaseCrashTest lets the process tests' own orchestration (CrashTest) finish in every child.
func releaseCrashTest(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyBackup(t *testing.T, from, to string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(from, "*.db"))
	if err != nil || len(files) != 2 {
		t.Fatalf("backup files %v: %v", files, err)
	}
	for _, f := range files {
		if err := copyFileSynced(f, filepath.Join(to, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
}

// flipPages inverts every byte of the file's pages 2 to 4 (b-tree pages after a VACUUM).
func flipPages(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := int(b[16])<<8 | int(b[17])
	if page == 1 {
		page = 65536
	}
	for i := page; i < min(len(b), 4*page); i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// smtpMailbox is an SMTP server on loopback that keeps how often each address got the campaign's
// e-mail: the members' mailboxes, which see every send, repeated or not.
type smtpMailbox struct {
	srv  *smtp.Server
	host string
	port int
	mu   sync.Mutex
	to   map[string]int
}

func startMailbox(t *testing.T) *smtpMailbox {
	t.Helper()
	b := &smtpMailbox{to: map[string]int{}}
	b.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: b}, nil }))
	b.srv.Domain = "localhost"
	b.srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().(*net.TCPAddr)
	b.host, b.port = a.IP.String(), a.Port
	go func() { _ = b.srv.Serve(l) }()
	t.Cleanup(func() { _ = b.srv.Close() })
	return b
}

func (b *smtpMailbox) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.to = map[string]int{}
}

func (b *smtpMailbox) received() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.to)
}

func (b *smtpMailbox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.to {
		n += c
	}
	return n
}

// mailSession takes one connection's e-mails; only the campaign's count.
type mailSession struct {
	box  *smtpMailbox
	rcpt []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { s.rcpt = nil; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}
func (s *mailSession) Reset()        { s.rcpt = nil }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte("Subject: "+crashSubject)) {
		return nil
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	for _, to := range s.rcpt {
		s.box.to[to]++
	}
	return nil
}

// TestRestoreOverCrashedData restores over the stores of a process that died: their WALs
// still hold committed writes the backup does not have. restore moves each database aside with
// its WAL (left beside the restored file, SQLite would replay it into it), so the restored
// stores are sound and hold exactly the backup; the old data is kept for the admin.
func TestRestoreOverCrashedData(t *testing.T) {
	live, backups, crashed := t.TempDir(), t.TempDir(), t.TempDir()
	gdb := openCrashDB(t, live)
	seedClub(t, gdb, 20)
	releaseCrashTest(t, live)
	addr := freeAddr(t)
	c := startChild(t, live, addr, "MEMBERSHIP_FEES_RUN_AT=23:59")
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })
	if out, err := storesCLI(live, "backup", backups); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	inBackup := countRows(t, gdb, "SELECT COUNT(*) FROM members")
	if err := gdb.Exec("UPDATE members SET first_name = 'After' WHERE id IN (SELECT id FROM members LIMIT 5)").Error; err != nil {
		t.Fatal(err)
	}
	if err := gdb.Exec("DELETE FROM members WHERE id IN (SELECT id FROM members ORDER BY id DESC LIMIT 3)").Error; err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
	// The files as the crash left them: each database with a WAL (this test's connection keeps
	// the app database's, with the writes above).
	for _, f := range []string{"membership.db", "membership.db-wal", "taskhub.db", "taskhub.db-wal"} {
		if err := copyFileSynced(filepath.Join(live, f), filepath.Join(crashed, f)); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(filepath.Join(crashed, "membership.db-wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL to restore over: %v", err)
	}

	out, err := storesCLI(crashed, "restore", backups)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	for _, f := range []string{"membership.db-wal", "membership.db-shm", "taskhub.db-wal", "taskhub.db-shm"} {
		if exists(filepath.Join(crashed, f)) {
			t.Errorf("%s left beside the restored database", f)
		}
	}
	kept, _ := filepath.Glob(filepath.Join(crashed, "*.db.before-restore-*"))
	if len(kept) != 4 || !strings.Contains(out, "kept as "+filepath.Join(crashed, "membership.db.before-restore-")) {
		t.Errorf("the replaced database and its WAL kept as %v; restore said:\n%s", kept, out)
	}
	if err := db.CheckSQLiteFile(context.Background(), filepath.Join(crashed, "membership.db")); err != nil {
		t.Fatalf("restored app database: %v", err)
	}
	if err := taskhub.CheckSQLiteFile(context.Background(), filepath.Join(crashed, "taskhub.db")); err != nil {
		t.Fatalf("restored task hub: %v", err)
	}
	restored := openCrashDB(t, crashed)
	if n := countRows(t, restored, "SELECT COUNT(*) FROM members"); n != inBackup {
		t.Errorf("%d members after the restore, want the backup's %d", n, inBackup)
	}
	if n := countRows(t, restored, "SELECT COUNT(*) FROM members WHERE first_name = 'After'"); n != 0 {
		t.Errorf("%d writes made after the backup came back with it", n)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(crashed, "*"+restoringSuffix)); len(leftovers) > 0 {
		t.Errorf("restore left %v", leftovers)
	}
}
