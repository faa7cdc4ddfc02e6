package members

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// MarkPhoneVerified records that the member confirmed phone (E.164) at at. The number is
// passed because a verification confirms one number: if the member's number changed while the
// code was out, nothing is marked and ErrConflict returned. Marking a verified number again
// changes nothing, so a retried activity is harmless.
func (s *Store) MarkPhoneVerified(ctx context.Context, actor string, id int64, phone string, at time.Time) (*Member, error) {
	return s.markVerified(ctx, actor, id, ActionPhoneVerify, func(m *Member) (bool, **time.Time) {
		return m.Phone != "" && m.Phone == phone, &m.PhoneVerifiedAt
	}, at)
}

// MarkEmailVerified records that the member confirmed email at at, as MarkPhoneVerified does
// for the phone; addresses compare without regard to case.
func (s *Store) MarkEmailVerified(ctx context.Context, actor string, id int64, email string, at time.Time) (*Member, error) {
	return s.markVerified(ctx, actor, id, ActionEmailVerify, func(m *Member) (bool, **time.Time) {
		return m.Email != "" && strings.EqualFold(m.Email, email), &m.EmailVerifiedAt
	}, at)
}

// markVerified sets the verification time that field points to in a copy of the member when
// the address still matches.
func (s *Store) markVerified(ctx context.Context, actor string, id int64, action string, field func(*Member) (bool, **time.Time), at time.Time) (*Member, error) {
	var out *Member
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, id)
		if err != nil {
			return err
		}
		next := *m
		matches, stamp := field(&next)
		switch {
		case !matches:
			return fmt.Errorf("member %d no longer has the verified address: %w", id, ErrConflict)
		case *stamp != nil:
			out = m
			return nil
		}
		t := at.UTC().Truncate(time.Microsecond)
		*stamp = &t
		out, err = s.save(tx, actor, action, m, &next)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s member %d: %w", action, id, err)
	}
	return out, nil
}
