package sepa

import (
	"errors"
	"fmt"
	"testing"
)

func TestValidateIBAN(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  error
	}{
		{"DE", "DE89370400440532013000", "DE89370400440532013000", nil},
		{"DE with spaces lower case", "de89 3704 0044 0532 0130 00", "DE89370400440532013000", nil},
		{"GB", "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", nil},
		{"NL", "NL91ABNA0417164300", "NL91ABNA0417164300", nil},
		{"AT", "at61 1904 3002 3457 3201", "AT611904300234573201", nil},
		{"FR with letter in account", "FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606", nil},
		{"CH", "CH93 0076 2011 6238 5295 7", "CH9300762011623852957", nil},
		{"tab and non-breaking space", "DE89\t3704\u00a00044 0532 0130 00", "DE89370400440532013000", nil},
		{"checksum: last digit off by one", "DE89370400440532013001", "", ErrIBANChecksum},
		{"checksum: wrong check digits", "DE88370400440532013000", "", ErrIBANChecksum},
		{"checksum: GB digit swapped", "GB82WEST12345698765423", "", ErrIBANChecksum},
		{"length: DE with 21 chars", "DE8937040044053201300", "", ErrIBANLength},
		{"length: DE with 23 chars", "DE893704004405320130000", "", ErrIBANLength},
		{"country: XX", "XX89370400440532013000", "", ErrIBANCountry},
		{"format: letters in DE account", "DE89ABCD0044053201300A", "", ErrIBANFormat},
		{"format: digits where GB needs bank letters", "GB82123412345698765432", "", ErrIBANFormat},
		{"format: check digits are letters", "DEAB370400440532013000", "", ErrIBANFormat},
		{"format: starts with digit", "1E89370400440532013000", "", ErrIBANFormat},
		{"format: punctuation", "DE89-3704-0044-0532-0130-00", "", ErrIBANFormat},
		{"format: umlaut", "DÜ89370400440532013000", "", ErrIBANFormat},
		{"format: empty", "", "", ErrIBANFormat},
		{"format: too long", "DE89370400440532013000000000000000000", "", ErrIBANFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateIBAN(tt.in)
			if tt.err == nil {
				if err != nil || got != tt.want {
					t.Fatalf("ValidateIBAN(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("ValidateIBAN(%q) error = %v; want %v", tt.in, err, tt.err)
			}
			if got != "" {
				t.Fatalf("ValidateIBAN(%q) = %q with error; want empty", tt.in, got)
			}
		})
	}
}

func TestFormatAndMaskIBAN(t *testing.T) {
	tests := []struct {
		in, format, mask string
	}{
		{"DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "DE89 **** **** **** **30 00"},
		{"de89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "DE89 **** **** **** **30 00"},
		{"NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "NL91 **** **** **43 00"},
		{"CH9300762011623852957", "CH93 0076 2011 6238 5295 7", "CH93 **** **** **** *295 7"},
		{"DE89", "DE89", "DE**"},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := FormatIBAN(tt.in); got != tt.format {
				t.Errorf("FormatIBAN(%q) = %q; want %q", tt.in, got, tt.format)
			}
			got := MaskIBAN(tt.in)
			if got != tt.mask {
				t.Errorf("MaskIBAN(%q) = %q; want %q", tt.in, got, tt.mask)
			}
			if len(got) != len(FormatIBAN(tt.in)) {
				t.Errorf("MaskIBAN(%q) has length %d; FormatIBAN has %d", tt.in, len(got), len(FormatIBAN(tt.in)))
			}
		})
	}
}

// TestIBANFor: the check digits IBANFor computes are those of real IBANs, and what it builds
// validates.
func TestIBANFor(t *testing.T) {
	for _, want := range []string{"DE89370400440532013000", "GB82WEST12345698765432", "NL91ABNA0417164300", "FR1420041010050500013M02606"} {
		if got := IBANFor(want[:2], want[4:]); got != want {
			t.Errorf("IBANFor(%s, %s) = %s, want %s", want[:2], want[4:], got, want)
		}
	}
	for n := range 50 {
		iban := IBANFor("DE", fmt.Sprintf("37040044%010d", n))
		if _, err := ValidateIBAN(iban); err != nil {
			t.Errorf("%s: %v", iban, err)
		}
	}
}
