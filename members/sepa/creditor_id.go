package sepa

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors of ValidateCreditorID.
var (
	ErrCreditorIDFormat   = errors.New("creditor id: invalid format")
	ErrCreditorIDChecksum = errors.New("creditor id: wrong check digits")
)

// creditorIDLengths holds the total length per country where we know it for
// sure. Germany's Gläubiger-ID is always DEkkZZZ + 11 characters; other
// countries only get the generic EPC structure check (max 35 characters).
var creditorIDLengths = map[string]int{
	"DE": 18,
}

// ValidateCreditorID checks a SEPA creditor identifier as the EPC defines it: country,
// two check digits, a 3-character creditor business code and the national
// identifier. The business code is chosen freely by the creditor and is
// deliberately not part of the checksum, so one identifier can be used with
// several codes. The check digits are ISO 7064 MOD 97-10 over the national
// identifier + country + "00". Returns the normalized identifier or an error
// wrapping ErrCreditorIDFormat or ErrCreditorIDChecksum.
func ValidateCreditorID(s string) (string, error) {
	n := NormalizeIBAN(s)
	if len(n) < 8 || len(n) > 35 || !isUpperAlnum(n) ||
		!isUpperLetter(n[0]) || !isUpperLetter(n[1]) || !isDigit(n[2]) || !isDigit(n[3]) {
		return "", fmt.Errorf("%w: %q", ErrCreditorIDFormat, n)
	}
	country := n[:2]
	if want, ok := creditorIDLengths[country]; ok && len(n) != want {
		return "", fmt.Errorf("%w: %q has %d characters, %s needs %d", ErrCreditorIDFormat, n, len(n), country, want)
	}
	want := checkDigits(country, n[7:])
	if n[2:4] != want {
		return "", fmt.Errorf("%w: %q (expected %s)", ErrCreditorIDChecksum, n, want)
	}
	return n, nil
}

// checkDigits computes the two check digits of a creditor identifier from its
// country code and national identifier, or of an IBAN from its country code and
// BBAN (both upper-case alphanumerics): ISO 7064 MOD 97-10 for both.
func checkDigits(country, nationalID string) string {
	r := mod97(nationalID + country + "00")
	d := strconv.Itoa(98 - r)
	if len(d) == 1 {
		d = "0" + d
	}
	return d
}

// mod97 is ISO 7064 MOD 97-10 over an alphanumeric string with letters
// expanded to A=10 … Z=35. It folds digit by digit so any length works with
// plain int arithmetic (no math/big as in IBAN libraries).
func mod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			r = (r*10 + int(c-'0')) % 97
		case isUpperLetter(c):
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		}
	}
	return r
}
