package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Fees lists a member's fees, newest period first.
func (s *Store) Fees(ctx context.Context, memberID int64) ([]Fee, error) {
	return byMember[Fee](s.db.WithContext(ctx), memberID, "period_start DESC, id DESC", 0)
}

// GetFee reads one fee.
func (s *Store) GetFee(ctx context.Context, id int64) (*Fee, error) {
	return s.getFee(s.db.WithContext(ctx), id)
}

func (s *Store) getFee(tx *gorm.DB, id int64) (*Fee, error) {
	var f Fee
	err := tx.Take(&f, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("fee %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load fee %d: %w", id, err)
	}
	return &f, nil
}

// createFeesSQL opens one plan's fee for one period for every active member on that plan whose
// membership covers the period. ON CONFLICT leans on the unique (member_id, period_start)
// index, so running it again, or in two processes at once, creates nothing twice. (The WHERE
// clause also keeps SQLite from reading ON CONFLICT as a join's ON.)
const createFeesSQL = `
INSERT INTO fees (member_id, plan_id, period_start, period_end, due_on, amount, currency, status, created_at, updated_at)
SELECT m.id, p.id, ?, ?, ?, p.fee_amount, p.currency, 'open', ?, ?
FROM members m JOIN plans p ON p.id = m.plan_id
WHERE p.id = ? AND p.fee_amount > 0 AND m.status = 'active'
  AND m.joined_on <= ? AND (m.membership_ends_on IS NULL OR m.membership_ends_on >= ?)
ON CONFLICT (member_id, period_start) DO NOTHING`

// CreateFeesForPeriod opens the fees of the period that contains asOf (in the club's time zone)
// for every active member on a plan, and returns how many it created. Fees fall due on the
// first day of their period. It is idempotent.
func (s *Store) CreateFeesForPeriod(ctx context.Context, asOf time.Time) (int, error) {
	plans, err := s.ListPlans(ctx)
	if err != nil {
		return 0, err
	}
	day := DateOf(asOf.In(s.opts.Location))
	now := s.now()
	created := 0
	for _, p := range plans {
		start, end := p.Period.Bounds(day)
		res := s.db.WithContext(ctx).Exec(createFeesSQL, start, end, start, now, now, p.ID, end, start)
		if res.Error != nil {
			return created, fmt.Errorf("create fees of plan %d for %s: %w", p.ID, start, res.Error)
		}
		created += int(res.RowsAffected)
	}
	if created > 0 {
		s.log.InfoContext(ctx, "fees created", slog.Int("count", created), slog.String("day", day.String()))
	}
	return created, nil
}

// DueFees lists the open fees due on or before asOf's day, oldest first: the ones the fee
// scheduler starts reminders for. A fee chosen for a direct debit run that has not built its
// file yet is left out: the bank is about to collect it.
func (s *Store) DueFees(ctx context.Context, asOf time.Time) ([]Fee, error) {
	var out []Fee
	day := DateOf(asOf.In(s.opts.Location))
	err := s.db.WithContext(ctx).Where("status = ? AND due_on <= ?", FeeOpen, day).
		Where("NOT EXISTS (SELECT 1 FROM collection_items ci WHERE ci.fee_id = fees.id AND ci.status = 'included')").
		Order("due_on, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list fees due by %s: %w", day, err)
	}
	return out, nil
}

// MarkFeePaid records a payment. Marking a paid fee again with the same day and method is a
// no-op (the API and the reminder workflow may both report one payment); with other data it
// is ErrConflict.
func (s *Store) MarkFeePaid(ctx context.Context, actor string, feeID int64, paidOn Date, method string) (*Fee, error) {
	var v ValidationError
	switch {
	case paidOn.IsZero():
		v.Add("paid_on", "required", "is required")
	case paidOn.After(s.today()):
		v.Add("paid_on", "in_future", "must not be in the future")
	}
	if !validPaymentMethod(method) {
		methods := fmt.Sprint(PaymentMethods())
		v.Add("method", "invalid_method", "must be one of "+methods, "Methods", methods)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return s.changeFee(ctx, actor, feeID, ActionFeePaid, func(f *Fee) (bool, error) {
		if f.Status == FeePaid {
			if f.PaidOn == paidOn && f.Method == method {
				return false, nil
			}
			return false, fmt.Errorf("fee %d was paid on %s by %s: %w", f.ID, f.PaidOn, f.Method, ErrConflict)
		}
		f.Status, f.PaidOn, f.Method = FeePaid, paidOn, method
		return true, nil
	}, "on "+paidOn.String()+" by "+method)
}

// MarkFeeOverdue marks an open fee overdue; an overdue fee stays as it is. A paid fee is
// ErrConflict: the payment arrived before the reminders ran out.
func (s *Store) MarkFeeOverdue(ctx context.Context, actor string, feeID int64) (*Fee, error) {
	return s.changeFee(ctx, actor, feeID, ActionFeeOverdue, func(f *Fee) (bool, error) {
		switch f.Status {
		case FeeOverdue:
			return false, nil
		case FeePaid:
			return false, fmt.Errorf("fee %d is paid: %w", f.ID, ErrConflict)
		}
		now := s.now()
		f.Status, f.OverdueAt = FeeOverdue, &now
		return true, nil
	}, "")
}

// changeFee loads a fee, lets change move it and, when it did, writes it back (guarded by the
// status it was read with) with an audit row naming the fee.
func (s *Store) changeFee(ctx context.Context, actor string, feeID int64, action string, change func(*Fee) (bool, error), detail string) (*Fee, error) {
	var out *Fee
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		f, err := s.getFee(tx, feeID)
		if err != nil {
			return err
		}
		old := f.Status
		changed, err := change(f)
		if err != nil || !changed {
			out = f
			return err
		}
		f.UpdatedAt = s.now()
		res := tx.Model(&Fee{}).Where("id = ? AND status = ?", f.ID, old).Updates(map[string]any{
			"status": f.Status, "paid_on": f.PaidOn, "method": f.Method, "overdue_at": f.OverdueAt, "updated_at": f.UpdatedAt,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("fee %d changed meanwhile: %w", f.ID, ErrConflict)
		}
		out = f
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &f.MemberID, Action: action,
			Field: feeRef(f.ID), OldValue: string(old), NewValue: joinNonEmpty(string(f.Status), detail)})
	})
	if err != nil {
		return nil, fmt.Errorf("%s fee %d: %w", action, feeID, err)
	}
	return out, nil
}

// feeRef names a fee in the audit log and the timeline.
func feeRef(id int64) string { return "fee:" + strconv.FormatInt(id, 10) }

func joinNonEmpty(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// formatMoney writes minor units as an amount with two decimals: 3500 EUR is "35.00 EUR".
func formatMoney(amount int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", amount/100, amount%100, currency)
}
