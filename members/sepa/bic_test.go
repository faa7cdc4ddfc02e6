package sepa

import (
	"errors"
	"testing"
)

func TestValidateBIC(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"COBADEFFXXX", "COBADEFFXXX", true},
		{"cobadeff", "COBADEFF", true},
		{"DEUT DE FF 500", "DEUTDEFF500", true},
		{"GENODEF1M04", "GENODEF1M04", true},
		{"INGDDEFF", "INGDDEFF", true},
		{"", "", false},
		{"COBADEF", "", false},          // 7 chars
		{"COBADEFFXX", "", false},       // 10 chars
		{"COBADEFFXXXX", "", false},     // 12 chars
		{"C0BADEFFXXX", "", false},      // digit in bank code
		{"COBAD3FFXXX", "", false},      // digit in country
		{"COBADE1FXXX", "", false},      // location starts with 1
		{"COBADEFOXXX", "", false},      // location ends with letter O
		{"COBA-DEFF-XXX", "", false},    // punctuation
		{"COBADEFFXX\u00dc", "", false}, // umlaut
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ValidateBIC(tt.in)
			if tt.ok {
				if err != nil || got != tt.want {
					t.Fatalf("ValidateBIC(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrBIC) {
				t.Fatalf("ValidateBIC(%q) error = %v; want ErrBIC", tt.in, err)
			}
		})
	}
}
