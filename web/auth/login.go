package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

type loginFailure struct {
	ID    int64
	Email string
	IP    string
	At    time.Time
}

// ipAttemptsFactor lets one address fail more often than one account: a club's members may share
// a router, but guessing across many accounts from one address still stops.
const ipAttemptsFactor = 4

// Login checks a password and starts a session, returning the cookie value. Failed attempts are
// counted per account and per client address over the login window; past the limit every
// attempt is refused with ErrThrottled — even a right password — until the window passes.
func (s *Store) Login(ctx context.Context, email, password, ip string) (string, *User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.checkThrottle(ctx, email, ip); err != nil {
		return "", nil, err
	}
	var u User
	err := s.db.WithContext(ctx).Where("lower(email) = ?", email).First(&u).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		// Hash anyway, so that an unknown address takes as long as a wrong password.
		CheckPassword(dummyHash, password)
		return "", nil, s.recordFailure(ctx, email, ip)
	case err != nil:
		return "", nil, fmt.Errorf("login: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) {
		return "", nil, s.recordFailure(ctx, email, ip)
	}
	if u.Disabled() {
		return "", nil, ErrDisabled
	}
	if err := s.db.WithContext(ctx).Where("email = ?", email).Delete(&loginFailure{}).Error; err != nil {
		return "", nil, fmt.Errorf("clear failed logins: %w", err)
	}
	cookie, err := s.startSession(ctx, u.ID)
	if err != nil {
		return "", nil, err
	}
	return cookie, &u, nil
}

// dummyHash is checked against when the account does not exist (any valid encoding will do).
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2Y3jJ5pJvY2b0J4kQbqJ0tYc7QmV2cS1mZ3h3bGx0c2E"

func (s *Store) checkThrottle(ctx context.Context, email, ip string) error {
	since := s.now().Add(-s.opts.LoginWindow)
	db := s.db.WithContext(ctx)
	// Old rows serve no window any more.
	if err := db.Where("at < ?", since).Delete(&loginFailure{}).Error; err != nil {
		return fmt.Errorf("prune failed logins: %w", err)
	}
	var byEmail, byIP int64
	if err := db.Model(&loginFailure{}).Where("email = ? AND at >= ?", email, since).Count(&byEmail).Error; err != nil {
		return fmt.Errorf("count failed logins: %w", err)
	}
	if err := db.Model(&loginFailure{}).Where("ip = ? AND at >= ?", ip, since).Count(&byIP).Error; err != nil {
		return fmt.Errorf("count failed logins: %w", err)
	}
	if byEmail >= int64(s.opts.LoginAttempts) || byIP >= int64(s.opts.LoginAttempts*ipAttemptsFactor) {
		return ErrThrottled
	}
	return nil
}

func (s *Store) recordFailure(ctx context.Context, email, ip string) error {
	row := loginFailure{Email: email, IP: ip, At: s.now()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return ErrBadCredentials
}
