package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// session is a row of the sessions table; its id is the SHA-256 of the cookie value, so a leaked
// database copy holds no usable session.
type session struct {
	ID         string
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Session is a logged-in user's session as the web layer sees it.
type Session struct {
	ID        string // hash of the cookie value
	User      User
	CreatedAt time.Time
}

// Principal returns who the session acts for.
func (s Session) Principal() Principal {
	return Principal{UserID: s.User.ID, Name: s.User.Email, Role: s.User.Role, Language: s.User.Language}
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// startSession stores a new session and returns the cookie value.
func (s *Store) startSession(ctx context.Context, userID int64) (string, error) {
	secret, err := RandomSecret(32)
	if err != nil {
		return "", err
	}
	now := s.now()
	row := session{ID: hashSecret(secret), UserID: userID, CreatedAt: now, LastSeenAt: now}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	return secret, nil
}

// Session resolves a cookie value to its session, ending it when idle or too old, and refuses it
// for a disabled user. It touches last_seen_at at most once a minute to spare the database.
func (s *Store) Session(ctx context.Context, cookie string) (*Session, error) {
	if cookie == "" {
		return nil, ErrSessionExpired
	}
	id := hashSecret(cookie)
	var row session
	if err := s.db.WithContext(ctx).First(&row, "id = ?", id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrSessionExpired
		}
		return nil, fmt.Errorf("load session: %w", err)
	}
	now := s.now()
	if now.Sub(row.LastSeenAt) > s.opts.SessionIdle || now.Sub(row.CreatedAt) > s.opts.SessionMax {
		if err := s.EndSession(ctx, cookie); err != nil {
			return nil, err
		}
		return nil, ErrSessionExpired
	}
	u, err := s.User(ctx, row.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled() {
		return nil, ErrDisabled
	}
	if now.Sub(row.LastSeenAt) > time.Minute {
		if err := s.db.WithContext(ctx).Model(&session{}).Where("id = ?", id).Update("last_seen_at", now).Error; err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return &Session{ID: id, User: *u, CreatedAt: row.CreatedAt}, nil
}

// EndSession deletes the session behind a cookie value (logout).
func (s *Store) EndSession(ctx context.Context, cookie string) error {
	if err := s.db.WithContext(ctx).Delete(&session{}, "id = ?", hashSecret(cookie)).Error; err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
