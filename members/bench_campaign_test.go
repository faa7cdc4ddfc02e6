package members_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// The store methods a campaign's send spends its database time in, measured on their own: the
// freeze of a 10,000-member audience before the first e-mail, and per batch of 100 the members
// read and the notices claimed. Each reports the CPU time per operation besides ns/op, since on
// a shared machine wall-clock time mostly measures the neighbours.

// seededBenchStore seeds a demo club of n members into gdb and returns its store.
func seededBenchStore(b *testing.B, gdb *gorm.DB, n int) *members.Store {
	b.Helper()
	s := members.NewStore(gdb, members.Options{
		Region: "DE", AllowedRegions: []string{"DE", "AT", "CH"}, Location: time.UTC,
		Now: func() time.Time { return testNow },
	}, dbtest.Log())
	if err := s.SeedDemo(context.Background(), n, rand.New(rand.NewPCG(42, 42))); err != nil {
		b.Fatalf("seed %d members: %v", n, err)
	}
	return s
}

// eachBenchDB runs fn on a SQLite file and on PostgreSQL (skipped when it is not there).
func eachBenchDB(b *testing.B, fn func(b *testing.B, gdb *gorm.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

// BenchmarkFreezeAudience10k freezes a fresh two-channel campaign to every live member of a
// 10,000-member club, in batches of 100, per operation; creating the campaign is not timed.
func BenchmarkFreezeAudience10k(b *testing.B) {
	eachBenchDB(b, func(b *testing.B, gdb *gorm.DB) {
		ctx := context.Background()
		s := seededBenchStore(b, gdb, 10_000)
		var rows int
		cpu := time.Duration(0)
		for b.Loop() {
			b.StopTimer()
			c, err := s.CreateCampaign(ctx, actor, campaignInput())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			cpu0 := cpuTime()
			fr, err := s.FreezeCampaignAudience(ctx, c.ID, 100)
			if err != nil {
				b.Fatal(err)
			}
			cpu += cpuTime() - cpu0
			rows = fr.Counts.Total
		}
		b.ReportMetric(float64(rows), "recipients")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
}

// BenchmarkClaimNotices100 claims one batch of 100 campaign e-mails per operation: "fresh"
// claims keys never seen (a batch's first attempt, the common case), "again" the same 100
// keys each time (a batch run once more after a crash or a transient error).
func BenchmarkClaimNotices100(b *testing.B) {
	eachBenchDB(b, func(b *testing.B, gdb *gorm.DB) {
		ctx := context.Background()
		s := seededBenchStore(b, gdb, 100)
		ids := benchMemberIDs(b, s, 100)
		body := strings.Repeat("Hello, your membership ends soon; renew it here. ", 8)
		batch := func(op int) ([]members.Notice, []string) {
			rows := make([]members.Notice, len(ids))
			keys := make([]string, 0, len(ids))
			for i := range ids {
				key := fmt.Sprintf("campaign:%d:member:%d:email", op, ids[i])
				rows[i] = members.Notice{Key: key, MemberID: &ids[i], Purpose: "campaign", Channel: "email",
					Template: "campaign", Subject: "Renew", Body: body, Provider: "outbox", Status: members.NoticeQueued}
				if i%10 == 9 {
					rows[i].Status, rows[i].Body, rows[i].ErrorMessage = members.NoticeSkipped, "", "no e-mail consent"
					continue
				}
				keys = append(keys, key)
			}
			return rows, keys
		}
		// Counted across the sub-benchmark's runs: with -count, b.Run runs it again on the
		// same club, whose keys of the last run must not come back as fresh.
		op := 0
		for _, bc := range []struct {
			name  string
			fresh bool
		}{{"fresh", true}, {"again", false}} {
			b.Run(bc.name, func(b *testing.B) {
				var cpu time.Duration
				for b.Loop() {
					op++
					n := -1 // the same keys each time
					if bc.fresh {
						n = op
					}
					rows, keys := batch(n)
					cpu0 := cpuTime()
					got, err := s.ClaimNotices(ctx, rows, keys)
					if err != nil {
						b.Fatal(err)
					}
					cpu += cpuTime() - cpu0
					if len(got) != len(rows) {
						b.Fatalf("claimed %d notices, want %d", len(got), len(rows))
					}
				}
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
		}
	})
}

// BenchmarkMembersByID100 reads a batch's 100 members by id per operation from a 10,000-member
// club.
func BenchmarkMembersByID100(b *testing.B) {
	gdb := dbtest.SQLite(b)
	ctx := context.Background()
	s := seededBenchStore(b, gdb, 10_000)
	all := benchMemberIDs(b, s, 10_000)
	var cpu time.Duration
	i := 0
	for b.Loop() {
		ids := all[i%100*100 : i%100*100+100]
		i++
		cpu0 := cpuTime()
		got, err := s.MembersByID(ctx, ids)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - cpu0
		if len(got) != 100 {
			b.Fatalf("read %d members, want 100", len(got))
		}
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// benchMemberIDs is the ids of the first n members in id order.
func benchMemberIDs(b *testing.B, s *members.Store, n int) []int64 {
	b.Helper()
	var ids []int64
	err := s.Iterate(context.Background(), members.ListQuery{Filter: members.Filter{Status: "all"}}, func(m *members.Member) error {
		if len(ids) < n {
			ids = append(ids, m.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(ids) < n {
		b.Fatalf("club has %d members, want %d", len(ids), n)
	}
	return ids
}
