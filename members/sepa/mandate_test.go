package sepa

import (
	"errors"
	"strings"
	"testing"
)

func TestMandateReference(t *testing.T) {
	tests := []struct {
		number string
		seq    int
		want   string
	}{
		{"1042", 1, "M-1042-1"},
		{"A-17", 2, "M-A-17-2"},
		{"Jürgen 7", 1, "M-Juergen-7-1"},
		{"2024/15", 3, "M-2024-15-3"},
		{"#&*", 1, "M-0-1"},
		{"", 1, "M-0-1"},
		{strings.Repeat("9", 40), 12, "M-" + strings.Repeat("9", 30) + "-12"},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			got := MandateReference(tt.number, tt.seq)
			if got != tt.want {
				t.Fatalf("MandateReference(%q, %d) = %q; want %q", tt.number, tt.seq, got, tt.want)
			}
			if err := ValidMandateReference(got); err != nil {
				t.Fatalf("generated reference %q is invalid: %v", got, err)
			}
			if again := MandateReference(tt.number, tt.seq); again != got {
				t.Fatalf("not deterministic: %q then %q", got, again)
			}
		})
	}
}

func TestValidMandateReference(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"M-1042-1", true},
		{"ABC+?/:().,' -1", true},
		{strings.Repeat("A", 35), true},
		{strings.Repeat("A", 36), false},
		{"", false},
		{"M_1042", false},
		{"Müller", false},
		{"/M1042", false},
		{"M//1042", false},
		{" M1042", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := ValidMandateReference(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidMandateReference(%q) = %v; want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMandateReference) {
				t.Fatalf("error %v does not wrap ErrMandateReference", err)
			}
		})
	}
}
