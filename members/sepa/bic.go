package sepa

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrBIC is returned by ValidateBIC for anything that is not a BIC.
var ErrBIC = errors.New("bic: invalid format")

// bicPattern is ISO 9362: four letters bank code, two letters country, two
// characters location (the first not '0' or '1', the second not the letter
// 'O', as the EPC validation rules require) and an optional 3-character branch.
var bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$`)

// ValidateBIC returns the normalized (upper case, no spaces) BIC or an error
// wrapping ErrBIC. The BIC is optional in SEPA since 2016, so callers skip
// this for empty input; "" itself is not a BIC and is rejected here.
func ValidateBIC(s string) (string, error) {
	n := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if !bicPattern.MatchString(n) {
		return "", fmt.Errorf("%w: %q", ErrBIC, n)
	}
	return n, nil
}
