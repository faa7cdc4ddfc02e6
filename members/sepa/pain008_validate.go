package sepa

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// FieldError names the field of a Document that cannot be sent, so the UI
// can point at the member whose data is wrong.
type FieldError struct {
	Debit int    // index into Document.Debits, -1 for the document itself
	Field string // Go field name, e.g. "DebtorIBAN" or "Creditor.ID"
	Err   error
}

func (e *FieldError) Error() string {
	if e.Debit < 0 {
		return fmt.Sprintf("sepa: document %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("sepa: debit %d %s: %v", e.Debit, e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

var (
	errRequired     = errors.New("is required")
	errSEPAText     = errors.New("must be 1-35 characters of A-Z a-z 0-9 +?/:().,' -")
	errSequenceType = errors.New("must be FRST, RCUR, OOFF or FNAL")
	errNoDebits     = errors.New("has no debits")
	errSignedLate   = errors.New("mandate signed after the collection date")
)

// collectionDay is the ISO date of t in its own location, which is what
// the user picked in the calendar.
func collectionDay(t time.Time) string { return t.Format("2006-01-02") }

// checkedDebit is a debit with every field in the form it is written in.
type checkedDebit struct {
	endToEndID, mandateRef, signed string
	name, iban, bic, remittance    string
	amount                         int64
}

// checkedDocument is the validated, normalized form of a Document, grouped
// by sequence type in sequenceOrder.
type checkedDocument struct {
	messageID, created, collection string
	creditorName, creditorID       string
	creditorIBAN, creditorBIC      string
	total                          int64
	count                          int
	debits                         []checkedDebit
	groups                         [len(sequenceOrder)][]int32 // indices into debits
	groupSums                      [len(sequenceOrder)]int64
}

func sequenceIndex(s SequenceType) int {
	for i, t := range sequenceOrder {
		if t == s {
			return i
		}
	}
	return -1
}

// checkDocument validates everything before the first byte is written, so a
// bad debit never leaves half a file behind.
func checkDocument(d Document) (*checkedDocument, error) {
	docErr := func(field string, err error) error { return &FieldError{Debit: -1, Field: field, Err: err} }
	c := &checkedDocument{}
	if !isSEPAText(d.MessageID, 35) {
		return nil, docErr("MessageID", errSEPAText)
	}
	c.messageID = d.MessageID
	if d.Created.IsZero() {
		return nil, docErr("Created", errRequired)
	}
	c.created = d.Created.Format("2006-01-02T15:04:05")
	if d.Collection.IsZero() {
		return nil, docErr("Collection", errRequired)
	}
	c.collection = collectionDay(d.Collection)
	if c.creditorName = ToSEPAText(d.Creditor.Name, 70); c.creditorName == "" {
		return nil, docErr("Creditor.Name", errRequired)
	}
	var err error
	if c.creditorID, err = ValidateCreditorID(d.Creditor.ID); err != nil {
		return nil, docErr("Creditor.ID", err)
	}
	if c.creditorIBAN, err = ValidateIBAN(d.Creditor.IBAN); err != nil {
		return nil, docErr("Creditor.IBAN", err)
	}
	if d.Creditor.BIC != "" {
		if c.creditorBIC, err = ValidateBIC(d.Creditor.BIC); err != nil {
			return nil, docErr("Creditor.BIC", err)
		}
	}
	if len(d.Debits) == 0 {
		return nil, docErr("Debits", errNoDebits)
	}
	checked, err := checkDebits(d.Debits, collectionDay(d.Collection))
	if err != nil {
		return nil, err
	}
	c.debits = checked
	for i := range checked {
		g := sequenceIndex(d.Debits[i].Sequence)
		c.groups[g] = append(c.groups[g], int32(i))
		c.groupSums[g] += checked[i].amount
		c.total += checked[i].amount
	}
	c.count = len(checked)
	return c, nil
}

// parallelFrom is the number of debits from which validation is spread over
// the CPUs. The IBAN library compiles its regular expressions on every call
// (about 15 µs per IBAN), which dominates a 10,000-debit run; below this
// size goroutines cost more than they save.
const parallelFrom = 256

// checkDebits validates all debits, in parallel for large runs. Each worker
// owns a contiguous chunk, so the reported error is always the one of the
// lowest failing index, exactly as a sequential loop would report it.
func checkDebits(debits []Debit, collection string) ([]checkedDebit, error) {
	out := make([]checkedDebit, len(debits))
	workers := 1
	if len(debits) >= parallelFrom {
		workers = min(runtime.GOMAXPROCS(0), len(debits)/(parallelFrom/2))
	}
	errs := make([]*FieldError, workers)
	chunk := (len(debits) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(debits))
		wg.Go(func() {
			// Families often pay from one account; remember the IBANs this
			// worker already validated so each is checked once.
			seen := make(map[string]string)
			for i := lo; i < hi; i++ {
				cd, err := checkDebit(&debits[i], collection, seen)
				if err != nil {
					err.Debit = i
					errs[w] = err
					return
				}
				out[i] = cd
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkDebit validates one debit; seen caches raw → normalized IBANs that
// passed ValidateIBAN.
func checkDebit(d *Debit, collection string, seen map[string]string) (checkedDebit, *FieldError) {
	fail := func(field string, err error) (checkedDebit, *FieldError) {
		return checkedDebit{}, &FieldError{Field: field, Err: err}
	}
	c := checkedDebit{endToEndID: d.EndToEndID, amount: d.Amount}
	if sequenceIndex(d.Sequence) < 0 {
		return fail("Sequence", fmt.Errorf("%w, not %q", errSequenceType, d.Sequence))
	}
	if !isSEPAText(d.EndToEndID, 35) {
		return fail("EndToEndID", errSEPAText)
	}
	if d.Amount <= 0 || d.Amount > maxAmountCents {
		return fail("Amount", fmt.Errorf("%d cents must be between 1 and %d", d.Amount, int64(maxAmountCents)))
	}
	if err := ValidMandateReference(d.MandateRef); err != nil {
		return fail("MandateRef", err)
	}
	c.mandateRef = d.MandateRef
	if d.MandateSigned.IsZero() {
		return fail("MandateSigned", errRequired)
	}
	c.signed = collectionDay(d.MandateSigned)
	// A debit may not be collected on a mandate signed later; comparing the
	// ISO dates as strings avoids time zone surprises of time.Before.
	if c.signed > collection {
		return fail("MandateSigned", fmt.Errorf("%w: signed %s, collected %s", errSignedLate, c.signed, collection))
	}
	if c.name = ToSEPAText(d.DebtorName, 70); c.name == "" {
		return fail("DebtorName", errRequired)
	}
	var err error
	if iban, ok := seen[d.DebtorIBAN]; ok {
		c.iban = iban
	} else if c.iban, err = ValidateIBAN(d.DebtorIBAN); err != nil {
		return fail("DebtorIBAN", err)
	} else {
		seen[d.DebtorIBAN] = c.iban
	}
	if d.DebtorBIC != "" {
		if c.bic, err = ValidateBIC(d.DebtorBIC); err != nil {
			return fail("DebtorBIC", err)
		}
	}
	c.remittance = ToSEPAText(d.Remittance, 140)
	return c, nil
}
