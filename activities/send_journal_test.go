package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"membership/db/dbtest"
	"membership/members"
)

// TestJournalLines: what record writes, readJournal reads back equal, whatever the strings
// hold; a send handed over without an outcome counts as in flight, one with an outcome not.
func TestJournalLines(t *testing.T) {
	cases := []struct {
		name     string
		lines    []members.NoticeOutcome
		want     []members.NoticeOutcome
		inFlight int
	}{
		{"sent", []members.NoticeOutcome{
			{ID: 1, Status: members.NoticeSending},
			{ID: 1, Status: members.NoticeSent, ProviderMessageID: "<1765.abc@example.org>"},
		}, []members.NoticeOutcome{{ID: 1, Status: members.NoticeSent, ProviderMessageID: "<1765.abc@example.org>"}}, 0},
		{"refusals with tabs, newlines and quotes", []members.NoticeOutcome{
			{ID: 7, Status: members.NoticeFailed, ErrorCode: "550", ErrorMessage: "mailbox\tunknown\n\"x\" äöü"},
			{ID: 8, Status: members.NoticeQueued, ErrorCode: "timeout", ErrorMessage: `i/o timeout \ back`},
		}, []members.NoticeOutcome{
			{ID: 7, Status: members.NoticeFailed, ErrorCode: "550", ErrorMessage: "mailbox\tunknown\n\"x\" äöü"},
			{ID: 8, Status: members.NoticeQueued, ErrorCode: "timeout", ErrorMessage: `i/o timeout \ back`},
		}, 0},
		{"in flight", []members.NoticeOutcome{
			{ID: 2, Status: members.NoticeSending},
			{ID: 3, Status: members.NoticeSending},
			{ID: 3, Status: members.NoticeSent, ProviderMessageID: "p3"},
			{ID: 4, Status: members.NoticeSending},
		}, []members.NoticeOutcome{{ID: 3, Status: members.NoticeSent, ProviderMessageID: "p3"}}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jf := journalWith(t, openJournal(t, t.TempDir()), tc.lines...)
			got, inFlight, err := readJournal(jf.f.Name())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) || inFlight != tc.inFlight {
				t.Errorf("read back %+v, %d in flight; want %+v, %d", got, inFlight, tc.want, tc.inFlight)
			}
			if err := jf.f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestJournalCutOff: a kill mid-write leaves a last line cut short, or bytes that are no
// line of ours; they are left out (that send goes once more), the lines before them count.
func TestJournalCutOff(t *testing.T) {
	dir := t.TempDir()
	body := "5\tsending\t\"\"\t\"\"\t\"\"\n5\tsent\t\"m5\"\t\"\"\t\"\"\n" +
		"6\tweird\t\"\"\t\"\"\t\"\"\n" + // a status no send records
		"x\tsent\t\"\"\t\"\"\t\"\"\n" + // no id
		"6\tsending\t\"\"\t\"\"\t\"\"\n6\tsent\t\"m6"
	if err := os.WriteFile(filepath.Join(dir, "batch-1"+journalSuffix), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	outcomes, inFlight, err := JournalCounts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if outcomes != 1 || inFlight != 1 {
		t.Errorf("JournalCounts = %d outcomes, %d in flight; want 1 and 1", outcomes, inFlight)
	}
}

// TestJournalOrphans: files left by an earlier process, and a batch's whose final write
// failed, are settled — in one call per file — and removed; a settle that fails keeps the file
// for the next try. A batch whose outcomes reached the database leaves no file.
func TestJournalOrphans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	journalWith(t, openJournal(t, dir), members.NoticeOutcome{ID: 1, Status: members.NoticeSent, ProviderMessageID: "m1"})
	// The process is killed: the file is never ended. The next one finds it.
	j := openJournal(t, dir)
	if err := j.end(journalWith(t, j), true); err != nil {
		t.Fatal(err)
	}
	failed := journalWith(t, j, members.NoticeOutcome{ID: 2, Status: members.NoticeFailed, ErrorCode: "550"})
	if err := j.end(failed, false); err != nil {
		t.Fatal(err)
	}

	var settled [][]members.NoticeOutcome
	down := errors.New("database down")
	if _, err := j.settleOrphans(ctx, func(context.Context, []members.NoticeOutcome) error { return down }); !errors.Is(err, down) {
		t.Fatalf("settleOrphans with the database down = %v", err)
	}
	n, err := j.settleOrphans(ctx, func(_ context.Context, o []members.NoticeOutcome) error {
		settled = append(settled, o)
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("settleOrphans = %d, %v; want 2 outcomes", n, err)
	}
	want := [][]members.NoticeOutcome{
		{{ID: 1, Status: members.NoticeSent, ProviderMessageID: "m1"}},
		{{ID: 2, Status: members.NoticeFailed, ErrorCode: "550"}},
	}
	if !slices.EqualFunc(settled, want, slices.Equal) {
		t.Errorf("settled %+v, want %+v", settled, want)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("files left in the journal: %v", files)
	}
	if n, err := j.settleOrphans(ctx, nil); n != 0 || err != nil {
		t.Errorf("settleOrphans again = %d, %v; want nothing to do", n, err)
	}
}

// TestRecoverSendsOnTheLedger: notices a killed process left "sending" get the outcomes its
// journal holds on the next start — sent with the provider's id, or failed — and the one whose
// send was in flight stays "sending", to go once more.
func TestRecoverSendsOnTheLedger(t *testing.T) {
	ctx := context.Background()
	store := members.NewStore(dbtest.SQLite(t), members.Options{Region: "DE"}, dbtest.Log())
	m, err := store.Create(ctx, "user:1", members.MemberInput{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.org",
		Status: members.StatusActive, EmailConsent: true})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"campaign:1:member:1:email", "campaign:1:member:1:sms", "campaign:1:member:1:other"}
	var rows []members.Notice
	for _, k := range keys {
		rows = append(rows, members.Notice{Key: k, MemberID: &m.ID, Purpose: PurposeCampaign, Channel: ChannelEmail,
			Template: TemplateCampaign, Provider: "smtp", Status: members.NoticeQueued})
	}
	claimed, err := store.ClaimNotices(ctx, rows, keys)
	if err != nil {
		t.Fatal(err)
	}
	sent, refused, inFlight := claimed[keys[0]].ID, claimed[keys[1]].ID, claimed[keys[2]].ID

	dir := t.TempDir()
	journalWith(t, openJournal(t, dir),
		members.NoticeOutcome{ID: sent, Status: members.NoticeSending}, members.NoticeOutcome{ID: sent, Status: members.NoticeSent, ProviderMessageID: "<m@x>"},
		members.NoticeOutcome{ID: refused, Status: members.NoticeSending},
		members.NoticeOutcome{ID: refused, Status: members.NoticeFailed, ErrorCode: "550", ErrorMessage: "no such user"},
		members.NoticeOutcome{ID: inFlight, Status: members.NoticeSending})

	// The next process.
	n := &Notices{Members: store, Journal: openJournal(t, dir), Log: dbtest.Log()}
	if got, err := n.RecoverSends(ctx); err != nil || got != 2 {
		t.Fatalf("RecoverSends = %d, %v; want 2", got, err)
	}
	for key, want := range map[string]members.NoticeStatus{keys[0]: members.NoticeSent, keys[1]: members.NoticeFailed, keys[2]: members.NoticeSending} {
		got, err := store.NoticeByKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != want {
			t.Errorf("%s is %s, want %s", key, got.Status, want)
		}
	}
	if got, _ := store.NoticeByKey(ctx, keys[0]); got.ProviderMessageID != "<m@x>" {
		t.Errorf("sent notice's provider id = %q", got.ProviderMessageID)
	}
}

// openJournal opens the journal in dir, failing the test on an error.
func openJournal(t *testing.T, dir string) *SendJournal {
	t.Helper()
	j, err := OpenSendJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// journalWith begins a batch's file in j and records lines in it.
func journalWith(t *testing.T, j *SendJournal, lines ...members.NoticeOutcome) *journalFile {
	t.Helper()
	jf, err := j.begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range lines {
		if err := jf.record(o); err != nil {
			t.Fatal(err)
		}
	}
	return jf
}
