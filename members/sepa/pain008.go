package sepa

import "time"

// SequenceType says where a debit stands in the life of its mandate. Since
// November 2016 FRST may be followed by RCUR in the same way as RCUR, but
// banks still require the field and group by it.
type SequenceType string

// The SEPA sequence types (ISO 20022 SequenceType3Code).
const (
	SeqFirst     SequenceType = "FRST"
	SeqRecurrent SequenceType = "RCUR"
	SeqOneOff    SequenceType = "OOFF"
	SeqFinal     SequenceType = "FNAL"
)

// sequenceOrder is the order of the <PmtInf> blocks, stable so that the same
// input always gives the same file.
var sequenceOrder = [...]SequenceType{SeqFirst, SeqRecurrent, SeqOneOff, SeqFinal}

// Creditor is the club collecting the fees.
type Creditor struct {
	Name string // converted to the SEPA character set, max 70
	ID   string // SEPA creditor identifier (Gläubiger-ID)
	IBAN string
	BIC  string // optional
}

// Debit is one fee collected from one member's account.
type Debit struct {
	EndToEndID    string // ≤35, SEPA charset; shown to the member on the statement
	Amount        int64  // euro cents, > 0
	MandateRef    string
	MandateSigned time.Time // date of signature of the mandate
	DebtorName    string    // converted to the SEPA character set, max 70
	DebtorIBAN    string
	DebtorBIC     string // optional; NOTPROVIDED is sent instead
	Sequence      SequenceType
	Remittance    string // unstructured, converted, max 140; optional
}

// Document is one pain.008 file: one message, one collection date.
type Document struct {
	MessageID  string // ≤35, SEPA charset, unique per creditor
	Created    time.Time
	Collection time.Time // requested collection date; only the date is used
	Creditor   Creditor
	Debits     []Debit
}
