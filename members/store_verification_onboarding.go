package members

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// ActionOnboardingIncomplete is the audit action of a join whose verifications did not both
// succeed: the member stays pending, and the row says which one did not.
const ActionOnboardingIncomplete = "onboarding_incomplete"

// Activate makes a pending member active once both verifications succeeded. A member who is
// no longer pending (an admin activated or archived them meanwhile) is left as they are, and
// activated is false.
func (v *Verifications) Activate(ctx context.Context, actor string, memberID int64) (activated bool, err error) {
	for range 3 {
		m, err := v.members.Get(ctx, memberID)
		if err != nil {
			return false, err
		}
		if m.Status != StatusPending {
			return false, nil
		}
		active := StatusActive
		_, err = v.members.Update(ctx, actor, memberID, MemberPatch{Status: &active}, &m.Version)
		if errors.Is(err, ErrConflict) {
			continue // changed meanwhile: look again
		}
		if err != nil {
			return false, err
		}
		return true, nil
	}
	return false, fmt.Errorf("activate member %d: it keeps changing: %w", memberID, ErrConflict)
}

// RecordOnboardingIncomplete writes to the member's audit log why a join left them pending:
// the outcome of each verification ("Verified", "Expired", …). actor names the join's workflow,
// which records this once: a second call with the same actor (a retried activity) writes
// nothing.
func (v *Verifications) RecordOnboardingIncomplete(ctx context.Context, actor string, memberID int64, phone, email string) error {
	err := v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		err := tx.Model(&AuditEntry{}).Where("member_id = ? AND actor = ? AND action = ?", memberID, actor, ActionOnboardingIncomplete).Count(&n).Error
		if err != nil || n > 0 {
			return err
		}
		return v.members.audit(tx,
			AuditEntry{Actor: actor, MemberID: &memberID, Action: ActionOnboardingIncomplete, Field: "phone_verification", OldValue: VerificationPending, NewValue: phone},
			AuditEntry{Actor: actor, MemberID: &memberID, Action: ActionOnboardingIncomplete, Field: "email_verification", OldValue: VerificationPending, NewValue: email},
		)
	})
	if err != nil {
		return fmt.Errorf("record incomplete join of member %d: %w", memberID, err)
	}
	return nil
}
