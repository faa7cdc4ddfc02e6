package members

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Issue makes the code of a run's challenge (1 for the first code, one more for each code sent
// again) and stores only its hash, with its expiry and a fresh set of attempts. The plain code
// comes back in Issued.Code for the caller to send, and is gone after that.
//
// Issuing is idempotent per challenge: once MarkSent recorded the code as sent, asking again
// returns the challenge without a code. A challenge whose send did not finish gets a new code,
// so a retried send carries a code that matches the stored hash. A new challenge is refused
// while the resend cooldown runs, when the number (address) has had its codes for the hour,
// when the member has no number, or when the number is from a region the club does not accept.
func (v *Verifications) Issue(ctx context.Context, instanceID string, challenge int) (Issued, error) {
	var out Issued
	err := v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := v.get(tx, instanceID)
		if err != nil {
			return err
		}
		switch {
		case !row.Running():
			out = Issued{Challenge: challenge, Refused: RefusedEnded, Detail: "the verification has ended (" + row.Status + ")"}
			return nil
		case row.Challenge > challenge || (row.Challenge == challenge && row.SentAt != nil):
			out = v.issuedOf(row)
			return nil
		}
		m, err := v.members.get(tx, row.MemberID)
		if err != nil {
			return err
		}
		address := runAddress(row, m)
		if refused := v.refuseAddress(row.Kind, address); refused.Refused != "" {
			out = refused
			return nil
		}
		now := v.now()
		if fresh := row.Challenge != challenge; fresh {
			if row.SentAt != nil && now.Before(row.SentAt.Add(v.opts.ResendCooldown)) {
				out = Issued{Challenge: challenge, Refused: RefusedCooldown, ResendAfter: row.SentAt.Add(v.opts.ResendCooldown),
					Detail: "a new code can be sent once the last one is " + v.opts.ResendCooldown.String() + " old"}
				return nil
			}
			retryAt, err := v.take(tx, v.opts.SendsPerNumberPerHour, now, "to", string(row.Kind), address)
			if err != nil {
				return err
			}
			if !retryAt.IsZero() {
				out = Issued{Challenge: challenge, Refused: RefusedLimit, ResendAfter: retryAt,
					Detail: fmt.Sprintf("at most %d codes an hour go to one %s", v.opts.SendsPerNumberPerHour, kindNoun(row.Kind))}
				return nil
			}
		}
		code := v.keys.codeFor(instanceID, challenge, v.opts.CodeLength)
		expires := now.Add(v.timeout(row.Kind))
		err = tx.Model(&Verification{}).Where("id = ?", row.ID).Updates(map[string]any{
			"challenge": challenge, "code_hash": v.HashCode(instanceID, challenge, code),
			"address_hash": v.addressHash(row.Kind, address), "expires_at": expires, "sent_at": nil,
			"attempts_left": v.opts.MaxAttempts, "last_result": "", "updated_at": now,
		}).Error
		if err != nil {
			return fmt.Errorf("store code: %w", err)
		}
		out = Issued{MemberID: row.MemberID, Kind: row.Kind, Purpose: row.Purpose, To: row.NewAddress, Seq: row.Seq, Challenge: challenge, Code: code, SentAt: now, ExpiresAt: expires,
			ResendAfter: now.Add(v.opts.ResendCooldown), AttemptsLeft: v.opts.MaxAttempts}
		return nil
	})
	if err != nil {
		return Issued{}, fmt.Errorf("issue challenge %d of %s: %w", challenge, instanceID, err)
	}
	return out, nil
}

// refuseAddress says why no code can go to address, or nothing.
func (v *Verifications) refuseAddress(kind VerificationKind, address string) Issued {
	if address == "" {
		return Issued{Refused: RefusedNoAddress, Detail: "the member has no " + kindNoun(kind)}
	}
	if kind == VerifyPhone {
		// The club's regions may have narrowed since the number was stored.
		if _, err := NormalizePhone(address, v.members.opts.Region, v.members.opts.AllowedRegions); err != nil {
			return Issued{Refused: RefusedRegion, Detail: err.Error()}
		}
	}
	return Issued{}
}

func (v *Verifications) timeout(kind VerificationKind) time.Duration {
	if kind == VerifyPhone {
		return v.opts.PhoneTimeout
	}
	return v.opts.EmailTimeout
}

// issuedOf describes the challenge a row holds, without its code.
func (v *Verifications) issuedOf(row *Verification) Issued {
	out := Issued{Challenge: row.Challenge, AttemptsLeft: row.AttemptsLeft}
	if row.SentAt != nil {
		out.SentAt, out.ResendAfter = *row.SentAt, row.SentAt.Add(v.opts.ResendCooldown)
	}
	if row.ExpiresAt != nil {
		out.ExpiresAt = *row.ExpiresAt
	}
	return out
}

// MarkSent records that the challenge's code went out; from then on it can be entered.
func (v *Verifications) MarkSent(ctx context.Context, instanceID string, challenge int) error {
	now := v.now()
	err := v.db.WithContext(ctx).Model(&Verification{}).
		Where("instance_id = ? AND challenge = ? AND sent_at IS NULL", instanceID, challenge).
		Updates(map[string]any{"sent_at": now, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("mark challenge %d of %s sent: %w", challenge, instanceID, err)
	}
	v.changed()
	return nil
}

// Check compares the hash of an entered code with the challenge's. A wrong code uses one of the
// attempts; the last one locks the run. checkID names the entry: checking the same entry again
// (a retried activity) answers what the first check found and uses no second attempt.
func (v *Verifications) Check(ctx context.Context, instanceID, checkID, hash string) (CheckResult, error) {
	var out CheckResult
	err := v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := v.get(tx, instanceID)
		if err != nil {
			return err
		}
		if checkID != "" && row.LastCheckID == checkID {
			out = CheckResult{Result: row.LastResult, AttemptsLeft: row.AttemptsLeft}
			return nil
		}
		if out.Result = v.settled(row); out.Result != "" {
			out.AttemptsLeft = row.AttemptsLeft
			return nil
		}
		now := v.now()
		status := row.Status
		switch {
		case row.ExpiresAt != nil && now.After(*row.ExpiresAt):
			out = CheckResult{Result: CodeExpired, AttemptsLeft: row.AttemptsLeft}
		case row.CodeHash != "" && hmac.Equal([]byte(hash), []byte(row.CodeHash)):
			out, status = CheckResult{Result: CodeVerified, AttemptsLeft: row.AttemptsLeft}, VerificationMatched
		default:
			out = CheckResult{Result: CodeWrong, AttemptsLeft: row.AttemptsLeft - 1}
			if out.AttemptsLeft <= 0 {
				out = CheckResult{Result: CodeLocked}
			}
		}
		return tx.Model(&Verification{}).Where("id = ?", row.ID).Updates(map[string]any{
			"status": status, "attempts_left": out.AttemptsLeft, "last_check_id": checkID,
			"last_result": out.Result, "updated_at": now,
		}).Error
	})
	if err != nil {
		return CheckResult{}, fmt.Errorf("check code of %s: %w", instanceID, err)
	}
	v.changed()
	return out, nil
}

// settled is the answer for a run that no code can change any more, or "".
func (v *Verifications) settled(row *Verification) string {
	switch {
	case row.Status == VerificationMatched || row.Status == VerificationVerified:
		return CodeVerified
	case row.Status == VerificationFailed || (row.Running() && row.Challenge > 0 && row.AttemptsLeft <= 0):
		return CodeLocked
	case !row.Running():
		return CodeExpired
	case !row.CodeOut():
		// No code is out yet: nothing typed can be right, and nothing typed costs an attempt.
		return CodeWrong
	}
	return ""
}

// MarkVerified completes a run whose code matched: it stamps the member's phone_verified_at
// (email_verified_at), which writes the audit row. When the member's number (address) changed
// while the code was out, nothing is stamped, the run fails, and changed is true.
func (v *Verifications) MarkVerified(ctx context.Context, actor, instanceID string) (changed bool, err error) {
	row, err := v.Get(ctx, instanceID)
	if err != nil {
		return false, err
	}
	switch row.Status {
	case VerificationVerified:
		return false, nil
	case VerificationMatched:
	default:
		return false, fmt.Errorf("mark %s verified: it is %s: %w", instanceID, row.Status, ErrConflict)
	}
	m, err := v.members.Get(ctx, row.MemberID)
	if err != nil {
		return false, err
	}
	now := v.now()
	switch row.Purpose {
	case PurposeSignIn:
		// A sign-in confirms nothing on the record; the handler makes the session (ClaimSignIn).
		return false, v.finish(ctx, row, now)
	case PurposeChange:
		// The member asked for the change: the record says they made it.
		if m, err = v.members.applyContact(ctx, row.CreatedBy, m, row.Kind, row.NewAddress); err != nil {
			return false, err
		}
	}
	address := addressOf(m, row.Kind)
	if address == "" || !hmac.Equal([]byte(v.addressHash(row.Kind, address)), []byte(row.AddressHash)) {
		return true, v.End(ctx, actor, instanceID, VerificationFailed, "the "+kindNoun(row.Kind)+" changed while the code was out")
	}
	mark := v.members.MarkPhoneVerified
	if row.Kind == VerifyEmail {
		mark = v.members.MarkEmailVerified
	}
	if _, err := mark(ctx, actor, row.MemberID, address, now); errors.Is(err, ErrConflict) {
		return true, v.End(ctx, actor, instanceID, VerificationFailed, "the "+kindNoun(row.Kind)+" changed while the code was out")
	} else if err != nil {
		return false, err
	}
	return false, v.finish(ctx, row, now)
}

// finish records a matched run as verified.
func (v *Verifications) finish(ctx context.Context, row *Verification, now time.Time) error {
	cols := map[string]any{"status": VerificationVerified, "ended_at": now, "updated_at": now}
	if row.Purpose == PurposeChange {
		cols["new_address"] = "" // it is on the record now
	}
	err := v.db.WithContext(ctx).Model(&Verification{}).Where("id = ? AND status = ?", row.ID, VerificationMatched).Updates(cols).Error
	if err != nil {
		return fmt.Errorf("mark %s verified: %w", row.InstanceID, err)
	}
	v.changed()
	return nil
}

// End closes a run that is still under way as expired, failed or cancelled, with the reason in
// the member's audit log. Ending an ended run changes nothing.
func (v *Verifications) End(ctx context.Context, actor, instanceID, status, reason string) error {
	switch status {
	case VerificationExpired, VerificationFailed, VerificationCancelled:
	default:
		return fmt.Errorf("end %s as %q: not an end", instanceID, status)
	}
	err := v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := v.get(tx, instanceID)
		if err != nil {
			return err
		}
		now := v.now()
		res := tx.Model(&Verification{}).Where("id = ? AND status IN ?", row.ID, []string{VerificationPending, VerificationMatched}).
			Updates(map[string]any{"status": status, "reason": reason, "ended_at": now, "updated_at": now, "new_address": ""})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if row.Purpose == PurposeSignIn {
			if status != VerificationFailed {
				return nil // an unused or expired sign-in is no event in the member's life
			}
			return v.members.audit(tx, AuditEntry{Actor: actor, MemberID: &row.MemberID, Action: ActionPortalSignInFailed,
				Field: "portal", NewValue: reason})
		}
		return v.members.audit(tx, AuditEntry{Actor: actor, MemberID: &row.MemberID,
			Action: string(row.Kind) + "_verification_" + status, Field: string(row.Kind) + "_verification",
			OldValue: VerificationPending, NewValue: status + ": " + reason})
	})
	if err != nil {
		return fmt.Errorf("end verification %s: %w", instanceID, err)
	}
	v.changed()
	return nil
}
