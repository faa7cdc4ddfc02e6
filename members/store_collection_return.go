package members

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"membership/members/sepa"
)

// Results of one line of a return file.
const (
	ReturnRecorded  = "returned"
	ReturnAlready   = "already"
	ReturnUnmatched = "unmatched"
)

// RecordReturns books the bank's returns (R-transactions) of direct debits: each fee goes back
// to open with the reason code, its item is returned, and a returned first debit makes the
// mandate's next debit a first one again. A line names its debit by end-to-end id, or by
// mandate reference and amount (the latest debit collected on it). A line already booked is
// "already", one that matches no debit of ours "unmatched"; neither stops the others. The
// caller starts a reminder for each fee "returned".
func (s *Store) RecordReturns(ctx context.Context, actor string, rets []sepa.Return) ([]ReturnResult, error) {
	out := make([]ReturnResult, 0, len(rets))
	for _, r := range rets {
		res := ReturnResult{Line: r.Line, Reason: r.Reason, Status: ReturnUnmatched}
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			item, err := s.returnedItem(tx, r)
			if err != nil || item == nil {
				return err
			}
			res.FeeID, res.ItemID, res.Member = item.FeeID, item.ID, item.MemberID
			if item.Status == ItemReturned {
				res.Status = ReturnAlready
				return nil
			}
			res.Status = ReturnRecorded
			return s.bookReturn(tx, actor, item, r.Reason)
		})
		if err != nil {
			return out, fmt.Errorf("book return of line %d: %w", r.Line, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// returnedItem finds the debit a return line names, or nil.
func (s *Store) returnedItem(tx *gorm.DB, r sepa.Return) (*CollectionItem, error) {
	var item CollectionItem
	q := tx.Model(&CollectionItem{})
	switch {
	case r.EndToEndID != "":
		q = q.Where("end_to_end_id = ?", r.EndToEndID)
	case r.MandateRef != "":
		q = q.Where("mandate_id IN (SELECT id FROM mandates WHERE reference = ?) AND status IN ('submitted', 'paid', 'returned')", r.MandateRef)
		if r.Amount > 0 {
			q = q.Where("amount = ?", r.Amount)
		}
		q = q.Order("id DESC")
	default:
		return nil, nil
	}
	err := q.Take(&item).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find debit: %w", err)
	}
	if item.Status == ItemIncluded {
		return nil, nil // not in a file yet: the bank cannot have returned it
	}
	return &item, nil
}

// bookReturn moves one debit and its fee back: the fee is open with the reason, unpaid again
// when the run had settled it.
func (s *Store) bookReturn(tx *gorm.DB, actor string, item *CollectionItem, reason string) error {
	now := s.now()
	f, err := s.getFee(tx, item.FeeID)
	if err != nil {
		return err
	}
	err = tx.Model(&CollectionItem{}).Where("id = ?", item.ID).
		Updates(map[string]any{"status": ItemReturned, "return_reason": reason, "returned_at": now}).Error
	if err != nil {
		return fmt.Errorf("mark debit %s returned: %w", item.EndToEndID, err)
	}
	if f.Status == FeeSubmitted || (f.Status == FeePaid && f.Method == "direct_debit") {
		err = tx.Model(&Fee{}).Where("id = ?", f.ID).Updates(map[string]any{
			"status": FeeOpen, "return_reason": reason, "paid_on": nil, "method": "", "updated_at": now}).Error
		if err != nil {
			return fmt.Errorf("reopen fee %d: %w", f.ID, err)
		}
	}
	if item.Sequence == "FRST" {
		// A first debit that came back does not count: the next one is a first debit again.
		err = tx.Model(&Mandate{}).Where("id = ?", item.MandateID).Updates(map[string]any{"first_collected_on": nil, "updated_at": now}).Error
		if err != nil {
			return fmt.Errorf("reset mandate of debit %s: %w", item.EndToEndID, err)
		}
	}
	return s.audit(tx, AuditEntry{Actor: actor, MemberID: &item.MemberID, Action: ActionFeeReturned,
		Field: feeRef(f.ID), OldValue: string(f.Status), NewValue: "open " + reason})
}
