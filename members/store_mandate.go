package members

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"membership/members/sepa"
)

// Audit actions of mandates and club settings.
const (
	ActionMandateSet     = "mandate_set"
	ActionMandateRevoked = "mandate_revoked"
	ActionSettings       = "settings"
)

// Mandates lists a member's mandates, the active one first, then newest first.
func (s *Store) Mandates(ctx context.Context, memberID int64) ([]Mandate, error) {
	return byMember[Mandate](s.db.WithContext(ctx), memberID, "status = 'active' DESC, id DESC", 0)
}

// ActiveMandate is the member's active mandate, or ErrNotFound.
func (s *Store) ActiveMandate(ctx context.Context, memberID int64) (*Mandate, error) {
	return s.activeMandate(s.db.WithContext(ctx), memberID)
}

func (s *Store) activeMandate(tx *gorm.DB, memberID int64) (*Mandate, error) {
	var m Mandate
	err := tx.Where("member_id = ? AND status = ?", memberID, MandateActive).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("active mandate of member %d: %w", memberID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load mandate of member %d: %w", memberID, err)
	}
	return &m, nil
}

// SetMandate records a member's mandate. The input's reference names the member's active
// mandate to amend it (a new IBAN, holder or BIC on the same mandate); an empty or new
// reference replaces the active mandate with a new one (the old one revoked). Every change of
// the IBAN is in the audit log, masked.
func (s *Store) SetMandate(ctx context.Context, actor string, memberID int64, in MandateInput) (*Mandate, error) {
	var out *Mandate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, _, err := s.setMandate(tx, actor, memberID, in)
		out = m
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set mandate of member %d: %w", memberID, err)
	}
	return out, nil
}

// setMandate is SetMandate in tx; it also reports whether anything changed.
func (s *Store) setMandate(tx *gorm.DB, actor string, memberID int64, in MandateInput) (*Mandate, bool, error) {
	member, err := s.get(tx, memberID)
	if err != nil {
		return nil, false, err
	}
	in, err = s.validMandate(in, member)
	if err != nil {
		return nil, false, err
	}
	cur, err := s.activeMandate(tx, memberID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	now := s.now()
	if cur != nil && (in.Reference == "" || in.Reference == cur.Reference) {
		if cur.IBAN == in.IBAN && cur.BIC == in.BIC && cur.Holder == in.Holder && (in.SignedOn.IsZero() || cur.SignedOn == in.SignedOn) {
			return cur, false, nil
		}
		old := *cur
		cur.IBAN, cur.BIC, cur.Holder, cur.UpdatedAt = in.IBAN, in.BIC, in.Holder, now
		if !in.SignedOn.IsZero() {
			cur.SignedOn = in.SignedOn
		}
		if err := tx.Model(cur).Select("iban", "bic", "holder", "signed_on", "updated_at").Updates(cur).Error; err != nil {
			return nil, false, fmt.Errorf("amend mandate %s: %w", cur.Reference, err)
		}
		return cur, true, s.audit(tx, mandateChanges(actor, &old, cur)...)
	}
	if cur != nil {
		if err := s.revokeMandate(tx, actor, cur); err != nil {
			return nil, false, err
		}
	}
	if in.SignedOn.IsZero() {
		in.SignedOn = s.today()
	}
	m := &Mandate{MemberID: memberID, Reference: in.Reference, IBAN: in.IBAN, BIC: in.BIC, Holder: in.Holder,
		SignedOn: in.SignedOn, Type: MandateRecurrent, Status: MandateActive, CreatedAt: now, UpdatedAt: now}
	if m.Reference == "" {
		if m.Reference, err = s.nextMandateReference(tx, memberID); err != nil {
			return nil, false, err
		}
	}
	if err := tx.Omit("ID").Create(m).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, false, invalid("reference", "reference_taken", "is already used by another mandate")
		}
		return nil, false, fmt.Errorf("create mandate: %w", err)
	}
	return m, true, s.audit(tx, mandateChanges(actor, nil, m)...)
}

// validMandate normalizes a mandate's input or says which field is wrong. The holder defaults
// to the member's guardian for a minor with one, else to the member.
func (s *Store) validMandate(in MandateInput, member *Member) (MandateInput, error) {
	var v ValidationError
	iban, err := sepa.ValidateIBAN(in.IBAN)
	switch {
	case strings.TrimSpace(in.IBAN) == "":
		v.Add("iban", "required", "is required")
	case err != nil:
		v.Add("iban", "invalid_iban", "is not a valid IBAN")
	}
	in.IBAN = iban
	if in.BIC = strings.TrimSpace(in.BIC); in.BIC != "" {
		bic, err := sepa.ValidateBIC(in.BIC)
		if err != nil {
			v.Add("bic", "invalid_bic", "is not a valid BIC")
		}
		in.BIC = bic
	}
	if in.Holder = strings.TrimSpace(in.Holder); in.Holder == "" {
		in.Holder = member.FullName()
		if member.GuardianName != "" && member.Age(s.today()) >= 0 && member.Age(s.today()) < 18 {
			in.Holder = member.GuardianName
		}
	}
	if utf8.RuneCountInString(in.Holder) > 70 {
		v.Add("holder", "too_long", "is longer than 70 characters", "Max", 70)
	}
	if in.Reference = strings.TrimSpace(in.Reference); in.Reference != "" {
		if err := sepa.ValidMandateReference(in.Reference); err != nil {
			v.Add("reference", "invalid_reference", "may hold up to 35 letters, digits and + ? / - : ( ) . , ' or spaces")
		}
	}
	if in.SignedOn.After(s.today()) {
		v.Add("signed_on", "in_future", "must not be in the future")
	}
	return in, v.err()
}

// nextMandateReference gives a member's next mandate its reference: the member's id and a
// running number, unique because references are never reused.
func (s *Store) nextMandateReference(tx *gorm.DB, memberID int64) (string, error) {
	var n int64
	if err := tx.Model(&Mandate{}).Where("member_id = ?", memberID).Count(&n).Error; err != nil {
		return "", fmt.Errorf("count mandates of member %d: %w", memberID, err)
	}
	return sepa.MandateReference(strconv.FormatInt(memberID, 10), int(n)+1), nil
}

// RevokeMandate ends the member's active mandate; no fee is collected on it from then on.
// Without an active mandate it is ErrNotFound.
func (s *Store) RevokeMandate(ctx context.Context, actor string, memberID int64) (*Mandate, error) {
	var out *Mandate
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.activeMandate(tx, memberID)
		if err != nil {
			return err
		}
		out = m
		return s.revokeMandate(tx, actor, m)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke mandate of member %d: %w", memberID, err)
	}
	return out, nil
}

func (s *Store) revokeMandate(tx *gorm.DB, actor string, m *Mandate) error {
	now := s.now()
	m.Status, m.RevokedAt, m.UpdatedAt = MandateRevoked, &now, now
	if err := tx.Model(m).Select("status", "revoked_at", "updated_at").Updates(m).Error; err != nil {
		return fmt.Errorf("revoke mandate %s: %w", m.Reference, err)
	}
	return s.audit(tx, AuditEntry{Actor: actor, MemberID: &m.MemberID, Action: ActionMandateRevoked,
		Field: mandateRef(m.Reference), OldValue: string(MandateActive), NewValue: string(MandateRevoked)})
}

// mandateChanges are the audit rows of a new mandate (old nil) or an amended one: one per
// changed field, the IBAN masked.
func mandateChanges(actor string, old, m *Mandate) []AuditEntry {
	if old == nil {
		return []AuditEntry{{Actor: actor, MemberID: &m.MemberID, Action: ActionMandateSet, Field: mandateRef(m.Reference),
			NewValue: m.MaskedIBAN() + " " + m.Holder}}
	}
	var out []AuditEntry
	add := func(field, o, n string) {
		if o != n {
			out = append(out, AuditEntry{Actor: actor, MemberID: &m.MemberID, Action: ActionMandateSet,
				Field: mandateRef(m.Reference) + ":" + field, OldValue: o, NewValue: n})
		}
	}
	if old.IBAN != m.IBAN {
		o, n := old.MaskedIBAN(), m.MaskedIBAN()
		if o == n {
			// Two IBANs that mask alike still differ: the log must not read as no change.
			n += " (new)"
		}
		add("iban", o, n)
	}
	add("bic", old.BIC, m.BIC)
	add("holder", old.Holder, m.Holder)
	add("signed_on", old.SignedOn.String(), m.SignedOn.String())
	return out
}

// mandateRef names a mandate in the audit log and the timeline.
func mandateRef(reference string) string { return "mandate:" + reference }
