package sepa

import (
	"errors"
	"testing"
)

// Check digits below were computed independently of checkDigits:
//
//	python3 -c "s='09999999999DE00'; n=int(''.join(str(int(c,36)) for c in s)); print(98-n%97)"  # 98
//	... '00000000000DE00' → 36, '00000012345DE00' → 13
//
// DE98ZZZ09999999999 is the Bundesbank's published test identifier.
func TestValidateCreditorID(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"Bundesbank test id", "DE98ZZZ09999999999", "DE98ZZZ09999999999", nil},
		{"lower case with spaces", "de98 zzz 0999 9999 999", "DE98ZZZ09999999999", nil},
		{"all zeros", "DE36ZZZ00000000000", "DE36ZZZ00000000000", nil},
		{"other business code keeps checksum", "DE98ABC09999999999", "DE98ABC09999999999", nil},
		{"other national id", "DE13ZZZ00000012345", "DE13ZZZ00000012345", nil},
		{"checksum off by one", "DE97ZZZ09999999999", "", ErrCreditorIDChecksum},
		{"national id digit changed", "DE98ZZZ09999999998", "", ErrCreditorIDChecksum},
		{"guessed zeros id is wrong", "DE79ZZZ00000000000", "", ErrCreditorIDChecksum},
		{"DE too short", "DE98ZZZ0999999999", "", ErrCreditorIDFormat},
		{"DE too long", "DE98ZZZ099999999999", "", ErrCreditorIDFormat},
		{"letters as check digits", "DEXXZZZ09999999999", "", ErrCreditorIDFormat},
		{"garbage", "hello world!", "", ErrCreditorIDFormat},
		{"empty", "", "", ErrCreditorIDFormat},
		{"an IBAN is not a creditor id", "DE89370400440532013000", "", ErrCreditorIDFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateCreditorID(tt.in)
			if tt.err == nil {
				if err != nil || got != tt.want {
					t.Fatalf("ValidateCreditorID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("ValidateCreditorID(%q) error = %v; want %v", tt.in, err, tt.err)
			}
		})
	}
}
