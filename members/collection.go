package members

import (
	"strconv"
	"time"
)

// CollectionStatus is where a direct debit collection run stands.
type CollectionStatus string

// The collection statuses, in the order a run goes through them.
const (
	// CollectionPlanned: created, waiting for the day its pre-notifications go out.
	CollectionPlanned CollectionStatus = "planned"
	// CollectionNotifying: the fees are chosen and the payers are being told.
	CollectionNotifying CollectionStatus = "notifying"
	// CollectionFileReady: the pain.008 file is there for the bank; the fees are submitted and
	// the run waits for returns.
	CollectionFileReady CollectionStatus = "file_ready"
	// CollectionSettled: the return days are over; the fees without a return are paid.
	CollectionSettled   CollectionStatus = "settled"
	CollectionCancelled CollectionStatus = "cancelled"
	CollectionFailed    CollectionStatus = "failed"
)

// Collection is one direct debit run: the fees due by CollectOn with an active mandate,
// collected on that day in one bank file.
type Collection struct {
	ID         int64            `json:"id"`
	CollectOn  Date             `json:"collect_on"`
	Status     CollectionStatus `json:"status"`
	InstanceID string           `json:"instance_id"`
	MessageID  string           `json:"message_id"`
	File       []byte           `json:"-"`
	FileAt     *time.Time       `json:"file_at"`
	Error      string           `json:"error,omitempty"`
	CreatedBy  string           `json:"created_by"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
}

// HasFile reports whether the bank file is there.
func (c *Collection) HasFile() bool { return c.FileAt != nil }

// FileName is the bank file's download name.
func (c *Collection) FileName() string {
	return "lastschrift-" + c.CollectOn.String() + "-" + strconv.FormatInt(c.ID, 10) + ".xml"
}

// CollectionItemStatus is where one fee of a run stands.
type CollectionItemStatus string

// The item statuses.
const (
	ItemIncluded  CollectionItemStatus = "included"
	ItemSubmitted CollectionItemStatus = "submitted"
	ItemReturned  CollectionItemStatus = "returned"
	ItemPaid      CollectionItemStatus = "paid"
)

// CollectionItem is one fee in one run: the debit the bank file holds for it.
type CollectionItem struct {
	ID           int64                `json:"id"`
	CollectionID int64                `json:"collection_id"`
	FeeID        int64                `json:"fee_id"`
	MemberID     int64                `json:"member_id"`
	MandateID    int64                `json:"mandate_id"`
	Sequence     string               `json:"sequence"`
	Amount       int64                `json:"amount"`
	Currency     string               `json:"currency"`
	EndToEndID   string               `json:"end_to_end_id" gorm:"column:end_to_end_id"`
	Status       CollectionItemStatus `json:"status"`
	Notice       string               `json:"notice"`
	ReturnReason string               `json:"return_reason,omitempty"`
	ReturnedAt   *time.Time           `json:"returned_at"`
}

// endToEndID is the id the bank file gives a fee's debit in a run, and the one a return names.
func endToEndID(collectionID, feeID int64) string {
	return "C" + strconv.FormatInt(collectionID, 10) + "-F" + strconv.FormatInt(feeID, 10)
}

// CollectionCounts sum a run's items.
type CollectionCounts struct {
	Fees      int   `json:"fees"`
	Total     int64 `json:"total"`
	First     int   `json:"first"`
	Recurring int   `json:"recurring"`
	Notified  int   `json:"notified"`
	Failed    int   `json:"notice_failed"`
	Skipped   int   `json:"notice_skipped"`
	Submitted int   `json:"submitted"`
	Returned  int   `json:"returned"`
	Paid      int   `json:"paid"`
}

// CollectionSummary is a run with its counts, as lists and its page show it.
type CollectionSummary struct {
	Collection
	CollectionCounts
}

// CollectionRow is an item with its member's name and the mandate, for the run's page.
type CollectionRow struct {
	CollectionItem
	MemberName string `json:"member_name"`
	Reference  string `json:"mandate_reference"`
	IBAN       string `json:"iban"` // masked
}

// ReturnResult is what became of one line of a bank's return file.
type ReturnResult struct {
	Line   int    `json:"line"`
	FeeID  int64  `json:"fee_id,omitempty"`
	ItemID int64  `json:"debit_id,omitempty"`
	Member int64  `json:"member_id,omitempty"`
	Reason string `json:"reason"`
	// Status: "returned", "already" (recorded before), or "unmatched" (no debit of ours).
	Status string `json:"status"`
}
