package members

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SignInTargets are the records an address signs in to: members whose own e-mail (phone) it
// is, then minors whose guardian's it is, own records first. Archived members are left out.
func (s *Store) SignInTargets(ctx context.Context, kind VerificationKind, address string) ([]PortalReach, error) {
	return s.signInTargets(s.db.WithContext(ctx), kind, address)
}

func (s *Store) signInTargets(tx *gorm.DB, kind VerificationKind, address string) ([]PortalReach, error) {
	if address == "" {
		return nil, nil
	}
	own, guardian := "lower(email) = lower(?)", "lower(guardian_email) = lower(?)"
	if kind == VerifyPhone {
		own, guardian = "phone = ?", "guardian_phone = ?"
	}
	var rows []Member
	err := tx.Model(&Member{}).Select("id, email, phone, guardian_email, guardian_phone, birth_date").
		Where("status <> ? AND erased_at IS NULL", StatusArchived).
		Where(tx.Where(own, address).Or(guardian, address)).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find the records of a sign-in: %w", err)
	}
	today := s.today()
	var mine, minors []PortalReach
	for _, m := range rows {
		if addressOf(&m, kind) != "" && sameAddress(kind, addressOf(&m, kind), address) {
			mine = append(mine, PortalReach{MemberID: m.ID})
			continue
		}
		// A guardian reaches a minor only: an adult child's record is their own.
		if age := m.Age(today); age >= 0 && age < 18 {
			minors = append(minors, PortalReach{MemberID: m.ID, Guardian: true})
		}
	}
	return append(mine, minors...), nil
}

func sameAddress(kind VerificationKind, a, b string) bool {
	if kind == VerifyEmail {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// applyContact puts a verified new phone number or e-mail address on the member's record.
// Applying it again changes nothing, so a retried activity is harmless.
func (s *Store) applyContact(ctx context.Context, actor string, m *Member, kind VerificationKind, address string) (*Member, error) {
	if address == "" || sameAddress(kind, addressOf(m, kind), address) {
		return m, nil
	}
	patch := MemberPatch{Email: &address}
	if kind == VerifyPhone {
		patch = MemberPatch{Phone: &address}
	}
	return s.Update(ctx, actor, m.ID, patch, nil)
}

// ClaimSignIn turns a verified sign-in into a portal session, once: it returns the cookie value
// (only its hash is stored) and the session. The records the session reaches are fixed now,
// from the address the code went to; the address is then wiped from the run.
func (v *Verifications) ClaimSignIn(ctx context.Context, instanceID, userAgent string) (string, *PortalSession, error) {
	secret, id, err := newSessionSecret()
	if err != nil {
		return "", nil, err
	}
	var out PortalSession
	err = v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := v.get(tx, instanceID)
		if err != nil {
			return err
		}
		if row.Purpose != PurposeSignIn || row.Status != VerificationVerified || row.ClaimedAt != nil {
			return fmt.Errorf("sign-in %s is %s and cannot sign in (again): %w", instanceID, row.Status, ErrConflict)
		}
		now := v.now()
		res := tx.Model(&Verification{}).Where("id = ? AND claimed_at IS NULL", row.ID).
			Updates(map[string]any{"claimed_at": now, "new_address": "", "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("claim sign-in: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("sign-in %s was used already: %w", instanceID, ErrConflict)
		}
		reach, err := v.members.signInTargets(tx, row.Kind, row.NewAddress)
		if err != nil {
			return err
		}
		if len(reach) == 0 {
			return fmt.Errorf("sign-in %s reaches no record now: %w", instanceID, ErrNotFound)
		}
		out = PortalSession{ID: id, MemberID: row.MemberID, Channel: string(row.Kind), UserAgent: truncate(userAgent, 200),
			CreatedAt: now, LastSeenAt: now}
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("store portal session: %w", err)
		}
		// The records reached, in one statement: a parent's children are a handful of rows.
		values := make([]string, len(reach))
		args := make([]any, 0, 3*len(reach))
		for i, r := range reach {
			values[i] = "(?, ?, ?)"
			args = append(args, id, r.MemberID, r.Guardian)
		}
		if err := tx.Exec("INSERT INTO portal_session_members (session_id, member_id, guardian) VALUES "+strings.Join(values, ", "), args...).Error; err != nil {
			return fmt.Errorf("store portal session reach: %w", err)
		}
		entries := make([]AuditEntry, 0, len(reach))
		for i := range reach {
			r := &reach[i]
			actor := PortalSelfActor
			if r.Guardian {
				actor = PortalGuardianActor
			}
			entries = append(entries, AuditEntry{Actor: actor, MemberID: &r.MemberID, Action: ActionPortalSignIn, Field: "portal", NewValue: string(row.Kind)})
		}
		out.Reach = reach
		return v.members.audit(tx, entries...)
	})
	if err != nil {
		return "", nil, fmt.Errorf("claim sign-in %s: %w", instanceID, err)
	}
	return secret, &out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// newSessionSecret makes a cookie value and the id it is stored under.
func newSessionSecret() (secret, id string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("make session secret: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, sessionID(secret), nil
}

// sessionID is the stored id of a cookie value: a leaked database copy holds no usable session.
func sessionID(secret string) string { return macHex([]byte("portal-session"), secret) }

// ErrSessionEnded means a portal cookie names no live session: unknown, revoked, idle or too old.
var ErrSessionEnded = errors.New("the portal session has ended")

// PortalSession resolves a cookie value to its live session with what it reaches. It touches
// last_seen_at at most once a minute.
func (s *Store) PortalSession(ctx context.Context, cookie string) (*PortalSession, error) {
	if cookie == "" {
		return nil, ErrSessionEnded
	}
	db := s.db.WithContext(ctx)
	var p PortalSession
	err := db.Where("id = ?", sessionID(cookie)).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, fmt.Errorf("load portal session: %w", err)
	}
	now := s.now()
	if p.RevokedAt != nil || now.Sub(p.LastSeenAt) > PortalSessionIdle || now.Sub(p.CreatedAt) > PortalSessionMax {
		return nil, ErrSessionEnded
	}
	if err := db.Where("session_id = ?", p.ID).Order("guardian, member_id").Find(&p.Reach).Error; err != nil {
		return nil, fmt.Errorf("load portal session reach: %w", err)
	}
	if now.Sub(p.LastSeenAt) > time.Minute {
		if err := db.Model(&PortalSession{}).Where("id = ?", p.ID).Update("last_seen_at", now).Error; err != nil {
			return nil, fmt.Errorf("touch portal session: %w", err)
		}
		p.LastSeenAt = now
	}
	return &p, nil
}

// PortalSessions are the live sessions that reach member id, newest first.
func (s *Store) PortalSessions(ctx context.Context, memberID int64) ([]PortalSession, error) {
	var rows []PortalSession
	err := s.db.WithContext(ctx).Scopes(s.liveSessions(memberID)).Order("created_at DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list portal sessions of member %d: %w", memberID, err)
	}
	return rows, nil
}

// liveSessions narrows a query to the sessions that reach member id and may still be used.
func (s *Store) liveSessions(memberID int64) func(*gorm.DB) *gorm.DB {
	now := s.now()
	return func(q *gorm.DB) *gorm.DB {
		return q.Where("revoked_at IS NULL AND last_seen_at > ? AND created_at > ?", now.Add(-PortalSessionIdle), now.Add(-PortalSessionMax)).
			Where("id IN (SELECT session_id FROM portal_session_members WHERE member_id = ?)", memberID)
	}
}

// RevokePortalSession ends one session that reaches member id (the member signing a phone out,
// or signing out); a session that does not reach them is ErrNotFound.
func (s *Store) RevokePortalSession(ctx context.Context, actor string, memberID int64, id string) error {
	res := s.db.WithContext(ctx).Model(&PortalSession{}).
		Where("id = ? AND revoked_at IS NULL AND id IN (SELECT session_id FROM portal_session_members WHERE member_id = ?)", id, memberID).
		Updates(map[string]any{"revoked_at": s.now(), "revoked_by": actor})
	if res.Error != nil {
		return fmt.Errorf("revoke portal session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("portal session of member %d: %w", memberID, ErrNotFound)
	}
	return nil
}

// RevokePortalSessions ends every session that reaches member id (an admin, or the member
// signing out everywhere) and returns how many it ended.
func (s *Store) RevokePortalSessions(ctx context.Context, actor string, memberID int64) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&PortalSession{}).Scopes(s.liveSessions(memberID)).
			Updates(map[string]any{"revoked_at": s.now(), "revoked_by": actor})
		if res.Error != nil {
			return res.Error
		}
		if n = res.RowsAffected; n == 0 {
			return nil
		}
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &memberID, Action: ActionPortalSessionsRevoked, Field: "portal",
			NewValue: fmt.Sprint(n)})
	})
	if err != nil {
		return 0, fmt.Errorf("revoke portal sessions of member %d: %w", memberID, err)
	}
	return int(n), nil
}
