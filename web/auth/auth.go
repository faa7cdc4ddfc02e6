// Package auth holds the people and programs allowed into membership: users with a role, their
// server-side sessions, API tokens, and the throttle on failed logins. Secrets are stored only as
// hashes: argon2id for passwords, SHA-256 for random session ids and tokens.
package auth

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Roles: admins change things; trainers read and export.
const (
	RoleAdmin   = "admin"
	RoleTrainer = "trainer"
)

// Errors callers test with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrBadCredentials  = errors.New("wrong e-mail or password")
	ErrThrottled       = errors.New("too many failed logins; try again later")
	ErrDisabled        = errors.New("account disabled")
	ErrSessionExpired  = errors.New("session expired")
	ErrEmailTaken      = errors.New("e-mail already used by another user")
	ErrInvalidRole     = errors.New("role must be admin or trainer")
	ErrWeakPassword    = errors.New("password must have at least 10 characters")
	ErrLastActiveAdmin = errors.New("the last active admin cannot be disabled")
)

// Options bounds sessions and login attempts (from config auth.*).
type Options struct {
	SessionIdle   time.Duration
	SessionMax    time.Duration
	LoginAttempts int
	LoginWindow   time.Duration
}

// Store keeps users, sessions, tokens and login failures in the app database.
type Store struct {
	db   *gorm.DB
	opts Options
	log  *slog.Logger
	now  func() time.Time
}

// NewStore returns a Store over the migrated app database.
func NewStore(gdb *gorm.DB, opts Options, log *slog.Logger) *Store {
	return &Store{db: gdb, opts: opts, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleTrainer }

// Principal is who makes a request: a logged-in user or an API token.
type Principal struct {
	UserID  int64
	TokenID int64
	Name    string
	Role    string
	// Language is a signed-in user's UI language ("" follows the club's); tokens have none.
	Language string
}

// IsAdmin reports whether the principal may change things.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// Actor names the principal in the audit log: "user:3" or "token:2".
func (p Principal) Actor() string {
	if p.TokenID != 0 {
		return "token:" + strconv.FormatInt(p.TokenID, 10)
	}
	return "user:" + strconv.FormatInt(p.UserID, 10)
}
