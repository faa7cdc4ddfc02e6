package sepa

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/almerlucke/go-iban/iban"
)

// Sentinel errors of ValidateIBAN; callers tell them apart with errors.Is to
// show the member a precise message.
var (
	ErrIBANFormat   = errors.New("iban: invalid format")
	ErrIBANCountry  = errors.New("iban: unknown country")
	ErrIBANLength   = errors.New("iban: wrong length for country")
	ErrIBANChecksum = errors.New("iban: wrong check digits")
)

// NormalizeIBAN drops all white space and upper-cases s, which is how IBANs
// are typed from paper ("de89 3704 ...") and how they must be stored.
func NormalizeIBAN(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

// ValidateIBAN returns the normalized IBAN or an error wrapping one of
// ErrIBANFormat, ErrIBANCountry, ErrIBANLength, ErrIBANChecksum.
//
// The library does the real validation (country table, BBAN format, mod 97),
// but its errors are plain strings. The format is checked here first so the
// common typing mistakes get a reliable sentinel, and the library's remaining
// failures are mapped by the step that produced them (see ibanLibraryError).
func ValidateIBAN(s string) (string, error) {
	n := NormalizeIBAN(s)
	if len(n) < 5 || len(n) > 34 || !isUpperAlnum(n) ||
		!isUpperLetter(n[0]) || !isUpperLetter(n[1]) || !isDigit(n[2]) || !isDigit(n[3]) {
		return "", fmt.Errorf("%w: %q", ErrIBANFormat, n)
	}
	if _, err := iban.NewIBAN(n); err != nil {
		return "", fmt.Errorf("%w: %q: %v", ibanLibraryError(err), n, err)
	}
	return n, nil
}

// ibanLibraryError maps an error of github.com/almerlucke/go-iban (pinned
// version v0.0.0-20220324081643-09bcab81b879) onto our sentinels. The library
// checks characters, country, length, BBAN format and check digits in that
// order and only says which in its message; TestValidateIBAN pins the mapping
// so a library upgrade that rewords a message fails loudly.
func ibanLibraryError(err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "Unsupported country code"):
		return ErrIBANCountry
	case strings.HasPrefix(msg, "IBAN length"):
		return ErrIBANLength
	case strings.Contains(msg, "check digits"):
		return ErrIBANChecksum
	default:
		// Characters, header and BBAN layout ("letters in the wrong place").
		return ErrIBANFormat
	}
}

// IBANFor is the IBAN of the account bban (upper-case alphanumerics) in country,
// its check digits computed as ISO 13616 says: IBANFor("DE", "370400440532013000")
// is DE89370400440532013000. The demo seed and tests make valid accounts with it.
func IBANFor(country, bban string) string { return country + checkDigits(country, bban) + bban }

// FormatIBAN groups an IBAN in blocks of four for display, as printed on
// bank cards: "DE89 3704 0044 0532 0130 00".
func FormatIBAN(s string) string {
	return group4(NormalizeIBAN(s))
}

// MaskIBAN hides the account number for lists and e-mails, keeping the
// country, the check digits and the last four characters so a member can
// still recognize the account: "DE89 **** **** **** **30 00". The result has
// the same length and grouping as FormatIBAN.
func MaskIBAN(s string) string {
	n := NormalizeIBAN(s)
	if len(n) <= 8 {
		// Nothing left to hide without revealing everything; mask all but the
		// country so a short garbage value never leaks.
		if len(n) <= 2 {
			return n
		}
		return group4(n[:2] + strings.Repeat("*", len(n)-2))
	}
	return group4(n[:4] + strings.Repeat("*", len(n)-8) + n[len(n)-4:])
}

func group4(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isDigit(c byte) bool       { return c >= '0' && c <= '9' }
func isUpperLetter(c byte) bool { return c >= 'A' && c <= 'Z' }

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && !isUpperLetter(s[i]) {
			return false
		}
	}
	return true
}
