package members_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"membership/db/dbtest"
	"membership/members"
)

// benchStore is a store of a Berlin club on a fresh SQLite file, its clock fixed.
func benchStore(b *testing.B) *members.Store {
	b.Helper()
	return members.NewStore(dbtest.SQLite(b), members.Options{
		Region: "DE", AllowedRegions: []string{"DE", "AT", "CH"}, Location: time.UTC,
		Now: func() time.Time { return testNow },
	}, dbtest.Log())
}

// heapSampler is an io.Writer that discards what it gets and records the largest live heap it
// saw, read every 64 writes: the export's memory must stay flat however many members it writes.
type heapSampler struct {
	writes int
	peak   uint64
	sample []metrics.Sample
}

func newHeapSampler() *heapSampler {
	return &heapSampler{sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

func (h *heapSampler) Write(p []byte) (int, error) {
	if h.writes++; h.writes%64 == 1 {
		metrics.Read(h.sample)
		h.peak = max(h.peak, h.sample[0].Value.Uint64())
	}
	return len(p), nil
}

// BenchmarkExportCSV writes clubs of 10,000 and 100,000 members as CSV (default columns, Excel
// mode) to a discarding writer. Besides ns/op and B/op it reports the bytes allocated per
// member and the peak live heap during the export: both should stay level from 10k to 100k.
func BenchmarkExportCSV(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10_000, 100_000} {
		s := benchStore(b)
		start := time.Now()
		if err := s.SeedDemo(ctx, n, rand.New(rand.NewPCG(42, 42))); err != nil {
			b.Fatalf("seed: %v", err)
		}
		b.Logf("seeded %d members in %s", n, time.Since(start).Round(time.Millisecond))
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			cpu0 := cpuTime()
			for b.Loop() {
				w := newHeapSampler()
				if err := members.WriteCSV(ctx, w, s, members.ListQuery{Filter: members.Filter{Status: "all"}}, members.CSVOptions{Excel: true}); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, w.peak)
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// importFile is a CSV file of n valid new members, as a German club's Excel would write it.
func importFile(n int) string {
	var sb strings.Builder
	sb.WriteString("\uFEFFVorname;Nachname;E-Mail;Handy;Geburtsdatum;Straße;PLZ;Ort;Status;Tarif;Gürtel;SMS-Einwilligung\r\n")
	for i := range n {
		fmt.Fprintf(&sb, "Vorname%d;Müller-%d;m%d@example.org;0151 %08d;%02d.%02d.%d;Hauptstraße %d;%05d;Köln;aktiv;Erwachsene;%d. Kyu;ja\r\n",
			i, i, i, 20000000+i, 1+i%28, 1+i%12, 1960+i%45, 1+i%200, 10000+i%89999, 1+i%6)
	}
	return sb.String()
}

// BenchmarkImportCSV parses and imports 10,000 valid rows into an empty club: one transaction,
// each row validated and audited as a form would be.
func BenchmarkImportCSV(b *testing.B) {
	ctx := context.Background()
	data := importFile(10_000)
	b.SetBytes(int64(len(data)))
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		s := benchStore(b)
		if _, err := s.CreatePlan(ctx, actor, members.PlanInput{Name: "Erwachsene", FeeAmount: 3500, Currency: "EUR", Period: members.Monthly}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		f, err := members.ParseImport(strings.NewReader(data), members.ImportLimits{MaxBytes: 10 << 20, MaxRows: 50_000})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := s.Import(ctx, actor, f, members.ImportOptions{})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - cpu0
		if rep.Created != 10_000 || len(rep.Errors) > 0 {
			b.Fatalf("report: %d created, errors %v", rep.Created, rep.Errors[:min(3, len(rep.Errors))])
		}
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}
