// Package sepa holds what a club needs to collect fees by SEPA Core direct
// debit: validation of IBAN, BIC and creditor identifier, mandate
// references, the pain.008.001.08 file a bank accepts, and the parsing of
// the returns (camt.054 or a bank's CSV export) that come back.
//
// The package is pure on purpose: no database, no HTTP and no imports from
// the rest of the project, so it can be tested and benchmarked on its own
// and the callers decide where data comes from.
package sepa
