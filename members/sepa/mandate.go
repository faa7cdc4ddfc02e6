package sepa

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMandateReference is wrapped by ValidMandateReference.
var ErrMandateReference = errors.New("mandate reference: invalid")

// maxMandateReference is the SEPA limit of MndtId (Max35Text).
const maxMandateReference = 35

// MandateReference builds the mandate reference of a member's seq-th mandate
// (a new mandate is needed when the account changes). It is deterministic so
// it can be recomputed instead of stored twice, and it uses only letters,
// digits and '-': spaces and '/' are allowed by the charset but some banks
// reject references with spaces or a leading or double '/', so we never
// produce them. A long member number is cut so the sequence always survives.
func MandateReference(memberNumber string, seq int) string {
	var num strings.Builder
	for _, c := range ToSEPAText(memberNumber, 70) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			num.WriteRune(c)
		case c == ' ' || c == '-' || c == '.' || c == '/':
			if s := num.String(); s != "" && !strings.HasSuffix(s, "-") {
				num.WriteByte('-')
			}
		}
	}
	n := strings.Trim(num.String(), "-")
	if n == "" {
		n = "0"
	}
	suffix := "-" + strconv.Itoa(seq)
	if room := maxMandateReference - len("M-") - len(suffix); len(n) > room {
		n = strings.TrimRight(n[:room], "-")
	}
	return "M-" + n + suffix
}

// ValidMandateReference reports whether s may be sent as MndtId: 1–35
// characters of the SEPA character set, not starting with '/' and without
// "//" (EPC rule for references, so they cannot clash with structured ones).
func ValidMandateReference(s string) error {
	switch {
	case !isSEPAText(s, maxMandateReference):
		return fmt.Errorf("%w: %q must be 1-%d characters of A-Z a-z 0-9 +?/:().,' -", ErrMandateReference, s, maxMandateReference)
	case strings.HasPrefix(s, "/") || strings.Contains(s, "//"):
		return fmt.Errorf("%w: %q must not start with '/' or contain '//'", ErrMandateReference, s)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%w: %q has leading or trailing spaces", ErrMandateReference, s)
	}
	return nil
}
