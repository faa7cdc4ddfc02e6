package members

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/gorm"
)

// PersonalData gathers everything about member id (see PersonalData), read in one transaction
// so that its parts agree.
func (s *Store) PersonalData(ctx context.Context, id int64) (*PersonalData, error) {
	out := &PersonalData{ExportedAt: s.now()}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, id)
		if err != nil {
			return err
		}
		out.Member, out.Consents = m, consentsOf(m)
		for _, part := range []struct {
			what  string
			dst   any
			order string
		}{
			{"fees", &out.Fees, "period_start, id"},
			{"mandates", &out.Mandates, "id"},
			{"gradings", &out.RankHistory, "graded_on, id"},
			{"notices", &out.Notices, "created_at, id"},
			{"verifications", &out.Verifications, "created_at, id"},
			{"audit log", &out.Audit, "at, id"},
			{"erasure requests", &out.ErasureRequests, "requested_at, id"},
		} {
			if err := tx.Where("member_id = ?", id).Order(part.order).Find(part.dst).Error; err != nil {
				return fmt.Errorf("read %s: %w", part.what, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("personal data of member %d: %w", id, err)
	}
	return out, nil
}

// Erase carries out a GDPR erasure (Art. 17) of member id in one transaction: the personal
// fields are wiped and the name pseudonymised ("Erased member #7"), consents withdrawn and
// verification marks dropped, the member archived and stamped erased_at; the texts of their notices
// and grading notes are cleared, the keyed hashes of their addresses and codes dropped from their
// verifications (a running one is cancelled), and the old and new values of their audit rows
// scrubbed, their mandates revoked and stripped of account and holder. Fees stay, and so do the
// audit rows of payments and direct debits, which the club's accounting must keep. One audit
// row records the erasure, without the erased data. Erasing an erased member changes nothing.
//
// Workflow histories in the task hub are not the domain's: the caller purges them.
func (s *Store) Erase(ctx context.Context, actor string, id int64) (*Member, error) {
	var out *Member
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, id)
		if err != nil {
			return err
		}
		if m.ErasedAt != nil {
			out = m
			return nil
		}
		e := erased(m, s.now())
		in := inputOf(&e)
		in.Status = StatusArchived
		s.fill(&e, &in, planOf(m))
		e.UpdatedAt, e.Version = s.now(), m.Version+1
		// Written directly, not through save: save audits each changed field with its old
		// value, which is exactly what must not survive.
		cols := map[string]any{"updated_at": e.UpdatedAt, "version": e.Version, "name_key": e.NameKey,
			"prior_status": e.PriorStatus, "erased_at": e.ErasedAt}
		for _, f := range memberFields() {
			cols[f.column] = f.value(&e)
		}
		res := tx.Model(&Member{}).Where("id = ? AND version = ?", id, m.Version).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("wipe member: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("member %d changed meanwhile: %w", id, ErrConflict)
		}
		if err := s.writeTerms(tx, &e); err != nil {
			return err
		}
		if err := s.erasePersonalRows(tx, id); err != nil {
			return err
		}
		out = &e
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &id, Action: ActionErase})
	})
	if err != nil {
		return nil, fmt.Errorf("erase member %d: %w", id, err)
	}
	s.log.InfoContext(ctx, "member erased", slog.Int64("member_id", id), slog.String("actor", actor))
	return out, nil
}

// erasePersonalRows clears what other tables hold about the member. A new table with personal
// data about a member adds its statement here and its rows to PersonalData.
func (s *Store) erasePersonalRows(tx *gorm.DB, id int64) error {
	now := s.now()
	for _, st := range []struct {
		what string
		run  *gorm.DB
	}{
		{"audit values", tx.Model(&AuditEntry{}).Where("member_id = ? AND action NOT IN ?", id,
			[]string{ActionFeePaid, ActionFeeOverdue, ActionFeeSubmitted, ActionFeeReturned}).
			Updates(map[string]any{"old_value": "", "new_value": ""})},
		{"notices", tx.Model(&Notice{}).Where("member_id = ?", id).
			Updates(map[string]any{"subject": "", "body": "", "error_message": ""})},
		{"grading notes", tx.Model(&Grading{}).Where("member_id = ?", id).Update("notes", "")},
		// A request's dates, states and deciders stay: the record that the club answered it.
		{"erasure request reasons", tx.Model(&ErasureRequest{}).Where("member_id = ?", id).Update("reason", "")},
		// A mandate's reference and dates stay with the debits made on it (the bank may still
		// ask); the account and its holder go, and no fee is collected on it again.
		{"mandates", tx.Model(&Mandate{}).Where("member_id = ?", id).
			Updates(map[string]any{"iban": "", "bic": "", "holder": "", "status": MandateRevoked, "updated_at": now})},
		{"running verifications", tx.Model(&Verification{}).Where("member_id = ? AND status IN ?", id, []string{VerificationPending, VerificationMatched}).
			Updates(map[string]any{"status": VerificationCancelled, "reason": "member erased", "ended_at": now, "updated_at": now})},
		// An erased member is signed out of the portal everywhere.
		{"portal sessions", tx.Model(&PortalSession{}).
			Where("revoked_at IS NULL AND id IN (SELECT session_id FROM portal_session_members WHERE member_id = ?)", id).
			Updates(map[string]any{"revoked_at": now, "revoked_by": "erasure"})},
		// An address hash is pseudonymous, not anonymous: whoever holds the key and a guess
		// of the number can confirm it.
		{"verification hashes", tx.Model(&Verification{}).Where("member_id = ?", id).
			Updates(map[string]any{"code_hash": "", "address_hash": "", "last_check_id": "", "new_address": ""})},
	} {
		if st.run.Error != nil {
			return fmt.Errorf("erase %s: %w", st.what, st.run.Error)
		}
	}
	return nil
}
