package sepa

import (
	"io"
	"testing"
)

func BenchmarkWritePain008(b *testing.B) {
	d := sampleDocument(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePain008(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
