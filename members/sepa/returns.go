package sepa

import (
	"fmt"
	"slices"
	"strings"
)

// Return is one debit the debtor's bank sent back (R-transaction): returned
// for a reason (AC04 account closed, MD06 refund requested, ...).
type Return struct {
	Line       int    // 1-based line (CSV) or entry number (camt, see ParseCamt054)
	EndToEndID string // may be empty in CSV
	MandateRef string
	IBAN       string
	Amount     int64  // cents, always positive
	Reason     string // ISO 20022 ExternalReturnReason1Code, e.g. AC04, MD06
}

// LineError is a row of a returns file that could not be read; the other
// rows are still returned so one typo does not block the whole import.
type LineError struct {
	Line    int
	Message string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// reasonCodes are the return reasons German banks commonly send for SEPA
// Core direct debits. Only codes, no texts: the UI translates them.
var reasonCodes = []string{
	"AC01", "AC04", "AC06", "AG01", "AG02", "AM04", "AM05", "BE05", "FF01",
	"MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02",
	"RR03", "RR04", "SL01",
}

// ReasonCodes returns the common return reason codes, sorted. It is a copy,
// so callers may change it.
func ReasonCodes() []string { return slices.Clone(reasonCodes) }

// ReasonKnown reports whether code is one of ReasonCodes (case-insensitive).
// Unknown codes are still valid returns; the UI then shows the raw code.
func ReasonKnown(code string) bool {
	_, ok := slices.BinarySearch(reasonCodes, strings.ToUpper(strings.TrimSpace(code)))
	return ok
}
