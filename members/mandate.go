package members

import (
	"time"

	"membership/members/sepa"
)

// MandateStatus is whether a mandate may still be collected on.
type MandateStatus string

// The mandate statuses. A member has at most one active mandate; a revoked one stays for the
// record, and its reference is never given again.
const (
	MandateActive  MandateStatus = "active"
	MandateRevoked MandateStatus = "revoked"
)

// MandateRecurrent is the one mandate type we collect on: membership fees recur.
const MandateRecurrent = "recurrent"

// Mandate is a member's SEPA direct debit mandate (Lastschriftmandat): whose account pays
// (Holder may be a parent paying for a child), the unique reference the bank file names and
// the day it was signed. FirstCollectedOn is set once a debit on it went to the bank, which
// makes the next ones recurring (RCUR) instead of first (FRST) debits.
type Mandate struct {
	ID               int64         `json:"id"`
	MemberID         int64         `json:"member_id"`
	Reference        string        `json:"reference"`
	IBAN             string        `json:"iban"`
	BIC              string        `json:"bic"`
	Holder           string        `json:"holder"`
	SignedOn         Date          `json:"signed_on"`
	Type             string        `json:"type"`
	Status           MandateStatus `json:"status"`
	FirstCollectedOn Date          `json:"first_collected_on"`
	RevokedAt        *time.Time    `json:"revoked_at"`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
}

// MaskedIBAN is the IBAN as pages other than the member's own show it: country, check digits
// and the last four characters.
func (m *Mandate) MaskedIBAN() string { return maskIBAN(m.IBAN) }

// Masked is a copy with the IBAN masked, for lists and exports that are not the member's page.
func (m Mandate) Masked() Mandate {
	m.IBAN = m.MaskedIBAN()
	return m
}

// Sequence is the SEPA sequence type the mandate's next debit has.
func (m *Mandate) Sequence() sepa.SequenceType {
	if m.FirstCollectedOn.IsZero() {
		return sepa.SeqFirst
	}
	return sepa.SeqRecurrent
}

// MandateInput is a mandate as an admin, the API or the CSV import enters it. An empty
// Reference is generated; a Reference of the member's active mandate amends that mandate.
type MandateInput struct {
	IBAN      string `json:"iban"`
	BIC       string `json:"bic"`
	Holder    string `json:"holder"`
	Reference string `json:"reference"`
	SignedOn  Date   `json:"signed_on"`
}

// IsZero reports an input with nothing in it (a CSV row without mandate columns).
func (in MandateInput) IsZero() bool {
	return in.IBAN == "" && in.BIC == "" && in.Holder == "" && in.Reference == "" && in.SignedOn.IsZero()
}
