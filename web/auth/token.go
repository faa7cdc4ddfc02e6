package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// tokenPrefix marks membership API tokens, so that secret scanners and people recognise them.
const tokenPrefix = "mbr_"

// APIToken is a bearer token for the JSON and management APIs; only its hash is stored.
type APIToken struct {
	ID         int64
	Name       string
	Role       string
	TokenHash  string
	Prefix     string // the first characters, to tell tokens apart in lists
	CreatedBy  *int64
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName maps APIToken to api_tokens.
func (APIToken) TableName() string { return "api_tokens" }

// CreateToken makes a token with a role and returns it in clear text, once.
func (s *Store) CreateToken(ctx context.Context, name, role string, createdBy *int64) (string, *APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, fmt.Errorf("create token: a name is required")
	}
	if !ValidRole(role) {
		return "", nil, fmt.Errorf("create token: %w", ErrInvalidRole)
	}
	secret, err := RandomSecret(32)
	if err != nil {
		return "", nil, err
	}
	token := tokenPrefix + secret
	t := &APIToken{Name: name, Role: role, TokenHash: hashSecret(token), Prefix: token[:len(tokenPrefix)+6], CreatedBy: createdBy, CreatedAt: s.now()}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		return "", nil, fmt.Errorf("create token %q: %w", name, err)
	}
	return token, t, nil
}

// Tokens lists all tokens, newest first.
func (s *Store) Tokens(ctx context.Context) ([]APIToken, error) {
	var ts []APIToken
	if err := s.db.WithContext(ctx).Order("id DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken stops a token from working.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", s.now())
	if res.Error != nil {
		return fmt.Errorf("revoke token %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}

// Authenticate resolves a presented token to its principal.
func (s *Store) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, ErrBadCredentials
	}
	var t APIToken
	err := s.db.WithContext(ctx).Where("token_hash = ? AND revoked_at IS NULL", hashSecret(token)).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate token: %w", err)
	}
	now := s.now()
	// Record use coarsely: one write a minute per token, not one per request.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now).Error; err != nil {
			return nil, fmt.Errorf("touch token: %w", err)
		}
	}
	return &Principal{TokenID: t.ID, Name: t.Name, Role: t.Role}, nil
}
