package members

import (
	"slices"
	"time"
)

// FeeStatus is where a fee stands. A fee is overdue only once the reminder workflow has marked
// it so (after its reminders); an open fee past its due day is still open.
type FeeStatus string

// The fee statuses.
const (
	FeeOpen    FeeStatus = "open"
	FeePaid    FeeStatus = "paid"
	FeeOverdue FeeStatus = "overdue"
	// FeeSubmitted: in a SEPA direct debit file sent to the bank, not yet booked. It becomes
	// paid when no return came within the club's return days, open again on a return.
	FeeSubmitted FeeStatus = "submitted"
)

// Fee is what one member owes for one period of their plan. Amount and currency are copied
// from the plan when the fee is created, so a later price change does not alter old fees.
type Fee struct {
	ID          int64      `json:"id"`
	MemberID    int64      `json:"member_id"`
	PlanID      int64      `json:"plan_id"`
	PeriodStart Date       `json:"period_start"`
	PeriodEnd   Date       `json:"period_end"`
	DueOn       Date       `json:"due_on"`
	Amount      int64      `json:"amount"`
	Currency    string     `json:"currency"`
	PaidOn      Date       `json:"paid_on"`
	Method      string     `json:"method"`
	Status      FeeStatus  `json:"status"`
	OverdueAt   *time.Time `json:"overdue_at"`
	// ReturnReason is the bank's reason code (AC04, MD06, AM04 …) when a direct debit of the fee
	// came back; the fee is open again then.
	ReturnReason string    `json:"return_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// PaymentMethods lists the accepted values of a payment's method.
func PaymentMethods() []string {
	return []string{"cash", "bank_transfer", "direct_debit", "card", "other"}
}

func validPaymentMethod(m string) bool { return slices.Contains(PaymentMethods(), m) }
