package members_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"membership/db/dbtest"
	"membership/members"
)

// BenchmarkCollectionFile10k builds the bank file of a run of 10,000 fees, each on a mandate of
// its own: the choice of the fees, then the file with its 10,000 IBANs validated and the fees,
// mandates and audit log updated in one transaction. The target is under 2 s.
func BenchmarkCollectionFile10k(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	gdb := dbtest.SQLite(b)
	s := members.NewStore(gdb, members.Options{Region: "DE", Location: time.UTC, Now: func() time.Time { return testNow }}, dbtest.Log())
	clubSettings(b, s)
	if _, err := s.CreatePlan(ctx, actor, members.PlanInput{Name: "Erwachsene", FeeAmount: 3500, Currency: "EUR", Period: members.Monthly}); err != nil {
		b.Fatal(err)
	}
	// The members and their mandates come in through the CSV import, as a club's would.
	var sb strings.Builder
	sb.WriteString("Vorname;Nachname;E-Mail;Tarif;Status;Eintritt;IBAN;Kontoinhaber\r\n")
	for i := range n {
		fmt.Fprintf(&sb, "Vorname%d;Müller-%d;m%d@example.org;Erwachsene;aktiv;01.01.2025;%s;Jörg Müller-%d\r\n", i, i, i, testIBAN(i), i)
	}
	f, err := members.ParseImport(strings.NewReader(sb.String()), members.ImportLimits{MaxBytes: 10 << 20, MaxRows: 50_000})
	if err != nil {
		b.Fatal(err)
	}
	if rep, err := s.Import(ctx, actor, f, members.ImportOptions{}); err != nil || rep.Created != n {
		b.Fatalf("import: %+v, %v", rep, err)
	}
	if created, err := s.CreateFeesForPeriod(ctx, testNow); err != nil || created != n {
		b.Fatalf("fees: %d, %v", created, err)
	}
	var size int
	for b.Loop() {
		b.StopTimer()
		// Every round collects the same fees: the last round's are open again.
		for _, q := range []string{"DELETE FROM collection_items", "UPDATE fees SET status = 'open'", "UPDATE mandates SET first_collected_on = NULL"} {
			if err := gdb.Exec(q).Error; err != nil {
				b.Fatal(err)
			}
		}
		col, err := s.CreateCollection(ctx, actor, members.DateOf(testNow).AddDays(20))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.SelectCollectionFees(ctx, col.ID); err != nil {
			b.Fatal(err)
		}
		got, err := s.BuildCollectionFile(ctx, col.ID)
		if err != nil || got.Submitted != n {
			b.Fatalf("file: %+v, %v", got, err)
		}
		b.StopTimer()
		c, _ := s.GetCollection(ctx, col.ID)
		size = len(c.File)
		b.StartTimer()
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
}
