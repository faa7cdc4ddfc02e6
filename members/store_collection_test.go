package members_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
	"membership/members/sepa"
)

// testIBAN is a valid German IBAN for account n at bank code 37040044.
func testIBAN(n int) string { return sepa.IBANFor("DE", fmt.Sprintf("37040044%010d", n)) }

// clubSettings stores a club's creditor data: 14 days' notice, 10 return days.
func clubSettings(t testing.TB, s *members.Store) {
	t.Helper()
	_, err := s.SaveCollectionSettings(context.Background(), actor, members.CollectionSettings{
		CreditorName: "Karate-Dojo Musterstadt e.V.", CreditorID: "DE98ZZZ09999999999", IBAN: "DE89 3704 0044 0532 0130 00",
		BIC: "COBADEFFXXX", PrenotifyDays: 14, ReturnDays: 10})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMandateValidation(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	m := payer(t, s, "Aiko", "", nil)
	tests := []struct {
		name  string
		in    members.MandateInput
		field string
	}{
		{"missing IBAN", members.MandateInput{}, "iban"},
		{"checksum off by one", members.MandateInput{IBAN: "DE89370400440532013001"}, "iban"},
		{"German IBAN one digit short", members.MandateInput{IBAN: "DE8937040044053201300"}, "iban"},
		{"unknown country", members.MandateInput{IBAN: "XX89370400440532013000"}, "iban"},
		{"bad BIC", members.MandateInput{IBAN: testIBAN(1), BIC: "COBA"}, "bic"},
		{"reference with umlaut", members.MandateInput{IBAN: testIBAN(1), Reference: "MÜLLER-1"}, "reference"},
		{"signed tomorrow", members.MandateInput{IBAN: testIBAN(1), SignedOn: members.DateOf(testNow).AddDays(1)}, "signed_on"},
		{"holder too long", members.MandateInput{IBAN: testIBAN(1), Holder: strings.Repeat("x", 71)}, "holder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.SetMandate(context.Background(), actor, m.ID, tc.in)
			if errs := fieldErrors(t, err); errs[tc.field] == "" || len(errs) != 1 {
				t.Errorf("errors = %v, want one on %s", errs, tc.field)
			}
		})
	}
	if ms, _ := s.Mandates(context.Background(), m.ID); len(ms) != 0 {
		t.Errorf("invalid input stored %d mandates", len(ms))
	}
}

// TestMandateLifecycle: a new mandate gets a reference and the payer's name; amending its
// IBAN keeps the reference and logs both IBANs masked; a new reference replaces it (the old
// one revoked); revoking leaves none active.
func TestMandateLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	m := payer(t, s, "Aiko", "", nil)
	first, err := s.SetMandate(ctx, actor, m.ID, members.MandateInput{IBAN: "de89 3704 0044 0532 0130 00"})
	if err != nil {
		t.Fatal(err)
	}
	if first.IBAN != "DE89370400440532013000" || first.Holder != "Aiko Fee" || first.Reference == "" || first.SignedOn != members.DateOf(testNow) {
		t.Fatalf("mandate = %+v", first)
	}
	if err := sepa.ValidMandateReference(first.Reference); err != nil {
		t.Errorf("generated reference %q: %v", first.Reference, err)
	}
	again, err := s.SetMandate(ctx, actor, m.ID, members.MandateInput{IBAN: "DE89370400440532013000"})
	if err != nil || again.ID != first.ID {
		t.Fatalf("same input again = %+v, %v; want the same mandate", again, err)
	}
	amended, err := s.SetMandate(ctx, actor, m.ID, members.MandateInput{IBAN: testIBAN(7), Reference: first.Reference, Holder: "Yuki Fee"})
	if err != nil || amended.ID != first.ID || amended.IBAN != testIBAN(7) {
		t.Fatalf("amend = %+v, %v", amended, err)
	}
	log, _, err := s.AuditLog(ctx, members.AuditQuery{MemberID: m.ID, PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ibanRows int
	for _, e := range log {
		if strings.Contains(e.OldValue+e.NewValue, "0532013000") || strings.Contains(e.OldValue+e.NewValue, testIBAN(7)) {
			t.Errorf("audit row %+v holds a full IBAN", e)
		}
		if e.Action == members.ActionMandateSet && strings.HasSuffix(e.Field, ":iban") {
			ibanRows++
			if e.OldValue != sepa.MaskIBAN("DE89370400440532013000") || e.NewValue != sepa.MaskIBAN(testIBAN(7)) {
				t.Errorf("IBAN change logged as %q → %q", e.OldValue, e.NewValue)
			}
		}
	}
	if ibanRows != 1 {
		t.Errorf("%d audit rows for the IBAN change, want 1", ibanRows)
	}
	second, err := s.SetMandate(ctx, actor, m.ID, members.MandateInput{IBAN: testIBAN(8), Reference: "NEU-2025-1"})
	if err != nil || second.ID == first.ID || second.Reference != "NEU-2025-1" {
		t.Fatalf("new mandate = %+v, %v", second, err)
	}
	all, _ := s.Mandates(ctx, m.ID)
	if len(all) != 2 || all[0].ID != second.ID || all[1].Status != members.MandateRevoked {
		t.Fatalf("mandates = %+v; want the new one active, the old revoked", all)
	}
	other := payer(t, s, "Ren", "", nil)
	if _, err := s.SetMandate(ctx, actor, other.ID, members.MandateInput{IBAN: testIBAN(9), Reference: "NEU-2025-1"}); fieldErrors(t, err)["reference"] == "" {
		t.Errorf("a reference another member holds: %v", err)
	}
	if _, err := s.RevokeMandate(ctx, actor, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActiveMandate(ctx, m.ID); err == nil {
		t.Error("a mandate is still active after revoking")
	}
}

func TestCollectionSettingsValidation(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	_, err := s.SaveCollectionSettings(context.Background(), actor, members.CollectionSettings{
		CreditorID: "DE99ZZZ09999999999", IBAN: "DE00370400440532013000", BIC: "12345678", PrenotifyDays: 0, ReturnDays: 99})
	errs := fieldErrors(t, err)
	for _, f := range []string{"creditor_id", "iban", "bic", "prenotify_days", "return_days"} {
		if errs[f] == "" {
			t.Errorf("no error on %s: %v", f, errs)
		}
	}
	clubSettings(t, s)
	set, err := s.CollectionSettings(context.Background())
	if err != nil || set.IBAN != "DE89370400440532013000" || set.CreditorID != "DE98ZZZ09999999999" || !set.Complete() {
		t.Fatalf("settings = %+v, %v", set, err)
	}
}

// TestCollectionRun walks a run through the store on both databases: the choice of fees, the
// file, a return by mandate reference and amount, the settlement.
func TestCollectionRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		today := members.DateOf(testNow)
		if _, err := s.CreateCollection(ctx, actor, today.AddDays(20)); fieldErrors(t, err)["collect_on"] == "" {
			t.Fatalf("a run without creditor data: %v", err)
		}
		clubSettings(t, s)
		mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
		var ms []*members.Member
		for i, name := range []string{"Aiko", "Ren", "Sora", "Kai"} {
			m := payer(t, s, name, "Erwachsene", nil)
			ms = append(ms, m)
			if i < 3 {
				if _, err := s.SetMandate(ctx, actor, m.ID, members.MandateInput{IBAN: testIBAN(i)}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.CreateFeesForPeriod(ctx, testNow); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCollection(ctx, actor, today.AddDays(13)); fieldErrors(t, err)["collect_on"] == "" {
			t.Fatalf("a run 13 days ahead with 14 days' notice: %v", err)
		}
		col, err := s.CreateCollection(ctx, actor, today.AddDays(14))
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.SelectCollectionFees(ctx, col.ID)
		if err != nil || n.Fees != 3 || n.Total != 10500 || n.First != 3 {
			t.Fatalf("selected %+v, %v; want 3 first debits", n, err)
		}
		if again, _ := s.SelectCollectionFees(ctx, col.ID); again != n {
			t.Errorf("a second selection changed the counts: %+v", again)
		}
		due, _ := s.DueFees(ctx, testNow)
		if len(due) != 1 || due[0].MemberID != ms[3].ID {
			t.Errorf("due for reminders: %+v; want only the fee without a mandate", due)
		}
		// Sora pays cash before the file: her fee drops out of it.
		fees, _ := s.Fees(ctx, ms[2].ID)
		if _, err := s.MarkFeePaid(ctx, actor, fees[0].ID, today, "cash"); err != nil {
			t.Fatal(err)
		}
		if n, err = s.BuildCollectionFile(ctx, col.ID); err != nil || n.Fees != 2 || n.Submitted != 2 {
			t.Fatalf("file: %+v, %v; want 2 submitted", n, err)
		}
		got, _ := s.GetCollection(ctx, col.ID)
		if !got.HasFile() || got.Status != members.CollectionFileReady || !bytes.Contains(got.File, []byte("<NbOfTxs>2</NbOfTxs>")) {
			t.Fatalf("collection = %s, file %d bytes", got.Status, len(got.File))
		}
		if again, err := s.BuildCollectionFile(ctx, col.ID); err != nil || again != n {
			t.Errorf("a second build: %+v, %v", again, err)
		}
		if _, err := s.CancelCollection(ctx, col.ID); err == nil {
			t.Error("a run with a file was cancelled")
		}
		m0, _ := s.ActiveMandate(ctx, ms[0].ID)
		rets, err := s.RecordReturns(ctx, actor, []sepa.Return{
			{Line: 2, MandateRef: m0.Reference, Amount: 3500, Reason: "MD01"},
			{Line: 3, MandateRef: "NOBODY", Amount: 3500, Reason: "AC04"},
		})
		if err != nil || rets[0].Status != members.ReturnRecorded || rets[1].Status != members.ReturnUnmatched {
			t.Fatalf("returns = %+v, %v", rets, err)
		}
		if f, _ := s.GetFee(ctx, rets[0].FeeID); f.Status != members.FeeOpen || f.ReturnReason != "MD01" {
			t.Errorf("returned fee = %s %q", f.Status, f.ReturnReason)
		}
		if n, err = s.SettleCollection(ctx, col.ID); err != nil || n.Paid != 1 || n.Returned != 1 {
			t.Fatalf("settled %+v, %v", n, err)
		}
		f1, _ := s.Fees(ctx, ms[1].ID)
		if f1[0].Status != members.FeePaid || f1[0].Method != "direct_debit" || f1[0].PaidOn != col.CollectOn {
			t.Errorf("fee of Ren = %+v", f1[0])
		}
		// A refund after the run settled (MD06) reopens a paid fee.
		m1, _ := s.ActiveMandate(ctx, ms[1].ID)
		rets, err = s.RecordReturns(ctx, actor, []sepa.Return{{Line: 1, MandateRef: m1.Reference, Reason: "MD06"}})
		if err != nil || rets[0].Status != members.ReturnRecorded {
			t.Fatalf("refund = %+v, %v", rets, err)
		}
		if f, _ := s.GetFee(ctx, f1[0].ID); f.Status != members.FeeOpen || !f.PaidOn.IsZero() || f.ReturnReason != "MD06" {
			t.Errorf("refunded fee = %+v", f)
		}
		// The first debit of Aiko came back: her next debit is a first one again; Ren's recurs.
		if m, _ := s.ActiveMandate(ctx, ms[0].ID); m.Sequence() != sepa.SeqFirst {
			t.Errorf("Aiko's next debit: %s", m.Sequence())
		}
	})
}

// TestImportMandates: the import reads IBAN, Kontoinhaber, Mandatsreferenz and Mandatsdatum;
// a bad IBAN is an error on its line and column, and nothing is written.
func TestImportMandates(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	head := "Vorname;Nachname;E-Mail;IBAN;Kontoinhaber;Mandatsreferenz;Mandatsdatum\r\n"
	bad := head + "Aiko;Sato;aiko@example.org;" + testIBAN(1) + ";;;01.03.2024\r\n" +
		"Ren;Sato;ren@example.org;DE00370400440532013000;Yuki Sato;R-1;\r\n"
	rep := importCSV(t, s, bad, members.ImportOptions{})
	if len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Column != "IBAN" || rep.Errors[0].Field != "iban" {
		t.Fatalf("errors = %+v; want the IBAN of line 3", rep.Errors)
	}
	good := strings.Replace(bad, "DE00370400440532013000", testIBAN(2), 1)
	rep = importCSV(t, s, good, members.ImportOptions{})
	if len(rep.Errors) != 0 || rep.Created != 2 {
		t.Fatalf("report = %+v", rep)
	}
	list, _, err := s.List(ctx, members.ListQuery{Filter: members.Filter{Status: "all"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		md, err := s.ActiveMandate(ctx, m.ID)
		if err != nil {
			t.Fatalf("%s has no mandate: %v", m.FirstName, err)
		}
		switch m.FirstName {
		case "Aiko":
			if md.Holder != "Aiko Sato" || md.SignedOn != members.NewDate(2024, 3, 1) || md.IBAN != testIBAN(1) {
				t.Errorf("Aiko's mandate = %+v", md)
			}
		case "Ren":
			if md.Holder != "Yuki Sato" || md.Reference != "R-1" {
				t.Errorf("Ren's mandate = %+v", md)
			}
		}
	}
	// Exports never carry the mandate.
	if cols := strings.Join(members.CSVColumns(), ","); strings.Contains(cols, "iban") {
		t.Errorf("export columns %s offer the IBAN", cols)
	}
}

// TestEraseStripsMandate: an erasure revokes the member's mandate and wipes its account and
// holder; the GDPR export before it holds the mandate.
func TestEraseStripsMandate(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, dbtest.SQLite(t))
	m := payer(t, s, "Aiko", "", nil)
	if _, err := s.SetMandate(ctx, actor, m.ID, members.MandateInput{IBAN: testIBAN(3), Holder: "Yuki Sato"}); err != nil {
		t.Fatal(err)
	}
	pd, err := s.PersonalData(ctx, m.ID)
	if err != nil || len(pd.Mandates) != 1 || pd.Mandates[0].IBAN != testIBAN(3) {
		t.Fatalf("export mandates = %+v, %v", pd.Mandates, err)
	}
	if _, err := s.Erase(ctx, actor, m.ID); err != nil {
		t.Fatal(err)
	}
	ms, _ := s.Mandates(ctx, m.ID)
	if len(ms) != 1 || ms[0].IBAN != "" || ms[0].Holder != "" || ms[0].Status != members.MandateRevoked {
		t.Errorf("mandate after erasure = %+v", ms)
	}
}
