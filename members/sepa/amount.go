package sepa

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxAmountCents is the EPC maximum of a single SEPA direct debit,
// 999,999,999.99 EUR.
const maxAmountCents = 99_999_999_999

// appendCents appends cents as a decimal with exactly two fraction digits
// ("1234" → "12.34"). Integer math only: money never goes through a float.
func appendCents(b []byte, cents int64) []byte {
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	c := cents % 100
	b = append(b, byte('0'+c/10), byte('0'+c%10))
	return b
}

// FormatCents renders cents as the decimal SEPA files use ("35.00").
func FormatCents(cents int64) string {
	return string(appendCents(nil, cents))
}

var errAmount = errors.New("invalid amount")

// ParseAmount reads an amount as banks write it in exports and returns its
// absolute value in cents: "35,00", "35.00", "1.234,50", "1,234.50", "35",
// "-35,00", "35,00 EUR", "35,00 €". The last '.' or ',' followed by one or
// two digits is the decimal separator; any other separators must group
// thousands, so "1.2.3" or "3,5,0" are errors rather than guesses. Returns
// are booked negative on statements, hence the absolute value.
func ParseAmount(s string) (int64, error) {
	orig := s
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "EUR"), "€"))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: %q", errAmount, orig)
	}
	intPart, frac := s, ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 && len(s)-i-1 <= 2 {
		intPart, frac = s[:i], s[i+1:]
		if frac == "" || !allDigits(frac) {
			return 0, fmt.Errorf("%w: %q", errAmount, orig)
		}
	}
	if intPart == "" {
		intPart = "0"
	}
	digits, ok := stripThousands(intPart)
	if !ok {
		return 0, fmt.Errorf("%w: %q", errAmount, orig)
	}
	if len(digits) > 12 {
		return 0, fmt.Errorf("%w: %q is too large", errAmount, orig)
	}
	euros, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", errAmount, orig)
	}
	cents := euros * 100
	switch len(frac) {
	case 1:
		cents += int64(frac[0]-'0') * 10
	case 2:
		cents += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	return cents, nil
}

// stripThousands removes one kind of thousands separator ('.', ',', ' ' or
// '\”) from s if every group after the first has exactly three digits.
func stripThousands(s string) (string, bool) {
	if allDigits(s) {
		return s, true
	}
	i := strings.IndexAny(s, ".,' ")
	if i < 0 {
		return "", false
	}
	sep := s[i]
	groups := strings.Split(s, string(sep))
	if len(groups[0]) == 0 || len(groups[0]) > 3 || !allDigits(groups[0]) {
		return "", false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !allDigits(g) {
			return "", false
		}
	}
	return strings.Join(groups, ""), true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
