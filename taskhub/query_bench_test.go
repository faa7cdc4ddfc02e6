package taskhub_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/taskhub"
)

// BenchmarkList50k lists the first page (top=100) of 50,000 instances filtered by status: a
// common status (70% of the instances) and a rare one (2%), with and without input. The
// instances are written straight into the store, as the engine writes them. PostgreSQL runs
// twice: on the freshly loaded table, without statistics, and after ANALYZE, which
// autovacuum does to a table in use.
func BenchmarkList50k(b *testing.B) {
	const n = 50_000
	rows := make([]seedRow, n)
	for i := range rows {
		status := api.RUNTIME_STATUS_COMPLETED
		switch {
		case i%50 == 0:
			status = api.RUNTIME_STATUS_FAILED
		case i%10 < 3:
			status = api.RUNTIME_STATUS_RUNNING
		}
		rows[i] = seedRow{
			id:      fmt.Sprintf("phone-verification:member:%d:%d", i%2000, i),
			name:    []string{"PhoneVerification", "EmailVerification", "FeeReminder"}[i%3],
			status:  status,
			created: t0.Add(time.Duration(i) * time.Second),
		}
	}
	for _, backend := range []struct {
		name        string
		pg, analyze bool
	}{{"sqlite", false, false}, {"postgres", true, false}, {"postgres-analyzed", true, true}} {
		b.Run(backend.name, func(b *testing.B) {
			s := openStore(b, backend.pg, nil)
			s.seed(b, rows)
			if backend.analyze {
				if _, err := s.db.ExecContext(b.Context(), "ANALYZE Instances"); err != nil {
					b.Fatal(err)
				}
			}
			// The first list of a SQLite hub adds the status index; that is not what is measured.
			if _, err := s.x.List(b.Context(), taskhub.Query{Top: 1}); err != nil {
				b.Fatal(err)
			}
			for _, tc := range []struct {
				name  string
				q     taskhub.Query
				wantN int
			}{
				{"common status", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED}, Top: 100}, 100},
				{"rare status", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_FAILED}, Top: 100}, 100},
				{"two statuses with input", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_RUNNING, api.RUNTIME_STATUS_FAILED}, Top: 100, WithInput: true}, 100},
			} {
				b.Run(tc.name, func(b *testing.B) {
					for b.Loop() {
						page, err := s.x.List(b.Context(), tc.q)
						if err != nil {
							b.Fatal(err)
						}
						if len(page.Instances) != tc.wantN || page.Next == "" {
							b.Fatalf("page of %d, next %q", len(page.Instances), page.Next)
						}
					}
				})
			}
		})
	}
}
