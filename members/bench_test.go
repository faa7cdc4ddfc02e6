package members_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"membership/config"
	"membership/db"
	"membership/db/dbtest"
	"membership/members"
)

// BenchmarkStore100k measures the list and the export on a club of 100,000 members in SQLite.
// The club is seeded once, here, and shared by the sub-benchmarks (a benchmark with
// sub-benchmarks runs its own body once). Besides ns/op each reports the median and the 95th
// percentile of single calls. Seeding takes a minute or two; MEMBERS_BENCH_DB=path keeps the
// seeded file there and reuses it on the next run.
func BenchmarkStore100k(b *testing.B) {
	ctx := context.Background()
	gdb := dbtest.SQLite(b)
	if path := os.Getenv("MEMBERS_BENCH_DB"); path != "" {
		var err error
		if gdb, err = db.Open(ctx, config.Database{Driver: "sqlite", DSN: path}, dbtest.Log()); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close(gdb) })
		if err := db.Migrate(ctx, gdb, dbtest.Log()); err != nil {
			b.Fatal(err)
		}
	}
	s := members.NewStore(gdb, members.Options{
		Region: "DE", AllowedRegions: []string{"DE", "AT", "CH"}, Location: time.UTC,
		Now: func() time.Time { return testNow },
	}, dbtest.Log())
	if st, err := s.Stats(ctx); err != nil || st.Active+st.Pending+st.Paused+st.Archived != 100_000 {
		start := time.Now()
		if err := s.SeedDemo(ctx, 100_000, rand.New(rand.NewPCG(42, 42))); err != nil {
			b.Fatalf("seed: %v", err)
		}
		b.Logf("seeded 100,000 members in %s", time.Since(start).Round(time.Millisecond))
	}

	lists := []struct {
		name string
		q    members.ListQuery
	}{
		{"search+status", members.ListQuery{Filter: members.Filter{Q: "müll", Status: "active"}}},
		{"search two words", members.ListQuery{Filter: members.Filter{Q: "anna schm"}}},
		{"search phone digits", members.ListQuery{Filter: members.Filter{Q: "0151 12"}}},
		{"search common prefix", members.ListQuery{Filter: members.Filter{Q: "s", Status: "active"}}},
		{"status only", members.ListQuery{Filter: members.Filter{Status: "active"}}},
		{"status, plan and verified", members.ListQuery{Filter: members.Filter{Status: "active", Plan: "Erwachsene", Verified: ptr(true)}}},
		{"fee overdue", members.ListQuery{Filter: members.Filter{FeeOverdue: ptr(true)}}},
		{"ends within 60 days by end", members.ListQuery{Filter: members.Filter{EndsWithinDays: ptr(60)}, Sort: "membership_ends_on"}},
		{"all sorted by -created_at page 100", members.ListQuery{Filter: members.Filter{Status: "all"}, Sort: "-created_at", Page: 100}},
	}
	for _, l := range lists {
		b.Run("List/"+l.name, func(b *testing.B) {
			var total int64
			lat := make([]time.Duration, 0, 1024)
			cpu0 := cpuTime()
			for b.Loop() {
				t0 := time.Now()
				var err error
				if _, total, err = s.List(ctx, l.q); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatency(b, lat, cpuTime()-cpu0)
			b.ReportMetric(float64(total), "matches")
		})
	}
	b.Run("Iterate/all", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			n := 0
			if err := s.Iterate(ctx, members.ListQuery{Filter: members.Filter{Status: "all"}}, func(*members.Member) error { n++; return nil }); err != nil {
				b.Fatal(err)
			}
			if n != 100_000 {
				b.Fatalf("iterated %d members, want 100000", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100_000, "µs/member")
		b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

// reportLatency reports the median and 95th percentile of the calls' wall-clock times and the
// CPU time per call.
func reportLatency(b *testing.B, lat []time.Duration, cpu time.Duration) {
	b.Helper()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
}
