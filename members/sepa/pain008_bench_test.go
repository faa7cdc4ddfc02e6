package sepa

import (
	"io"
	"testing"
)

// BenchmarkWritePain008 is the whole call for a 10,000-debit club run with
// distinct accounts: validation (IBAN library included) plus XML output.
func BenchmarkWritePain008(b *testing.B) {
	d := sampleDocument(10_000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePain008(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPain008XMLOnly isolates the XML output of the same document, to
// show how the time of BenchmarkWritePain008 splits.
func BenchmarkPain008XMLOnly(b *testing.B) {
	c, err := checkDocument(sampleDocument(10_000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := writeChecked(io.Discard, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateIBAN is the per-account cost that dominates
// BenchmarkWritePain008: go-iban compiles its regular expressions per call.
func BenchmarkValidateIBAN(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateIBAN("DE89 3704 0044 0532 0130 00"); err != nil {
			b.Fatal(err)
		}
	}
}
