package postgres_test

import (
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// BenchmarkFanOut: 10,000 no-op activities, flat and in batches of 100, on
// one and two worker sets (Backends) sharing a schema. Compare with
// taskhubtest's BenchmarkSQLiteFanOut.
func BenchmarkFanOut(b *testing.B) {
	taskhubtest.RunFanOutBenchmarks(b, func(b *testing.B, n int) []backend.Backend {
		schema := newSchema(b)
		var out []backend.Backend
		for range n {
			out = append(out, open(b, schema, postgres.Options{}))
		}
		return out
	})
}

// BenchmarkReaction measures event-to-reaction latency after 30 s idle.
func BenchmarkReaction(b *testing.B) {
	taskhubtest.BenchReaction(b, open(b, newSchema(b), postgres.Options{}), 30*time.Second)
}
