package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// User is a person who logs in to the admin UI.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         string
	Language     string // the UI's language for this user; empty follows the club's
	PasswordHash string
	DisabledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Disabled reports whether the user may no longer log in.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// AddUser creates a user with a hashed password.
func (s *Store) AddUser(ctx context.Context, email, name, role, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return nil, fmt.Errorf("add user: %q is not an e-mail address", email)
	}
	if !ValidRole(role) {
		return nil, fmt.Errorf("add user: %w", ErrInvalidRole)
	}
	if err := checkStrength(password); err != nil {
		return nil, fmt.Errorf("add user: %w", err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{Email: email, Name: strings.TrimSpace(name), Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, fmt.Errorf("add user %s: %w", email, ErrEmailTaken)
		}
		return nil, fmt.Errorf("add user %s: %w", email, err)
	}
	return u, nil
}

// EnsureFirstAdmin creates an admin with a random password when there is no user at all, so a
// fresh installation can be entered. It returns the password only when it created the admin.
func (s *Store) EnsureFirstAdmin(ctx context.Context, email string) (password string, err error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return "", fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	password, err = RandomSecret(12)
	if err != nil {
		return "", err
	}
	if _, err := s.AddUser(ctx, email, "Administrator", RoleAdmin, password); err != nil {
		return "", fmt.Errorf("first admin: %w", err)
	}
	return password, nil
}

// Users lists every user, admins first.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.db.WithContext(ctx).Order("role, email").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// User loads one user.
func (s *Store) User(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).First(&u, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("load user %d: %w", id, err)
	}
	return &u, nil
}

// SetDisabled disables or re-enables a user; disabling ends their sessions. The last active
// admin cannot be disabled, so the club never locks itself out.
func (s *Store) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("user %d: %w", id, ErrNotFound)
			}
			return fmt.Errorf("load user %d: %w", id, err)
		}
		var at *time.Time
		if disabled {
			now := s.now()
			at = &now
			if u.Role == RoleAdmin {
				var admins int64
				if err := tx.Model(&User{}).Where("role = ? AND disabled_at IS NULL AND id <> ?", RoleAdmin, id).Count(&admins).Error; err != nil {
					return fmt.Errorf("count admins: %w", err)
				}
				if admins == 0 {
					return ErrLastActiveAdmin
				}
			}
			if err := tx.Where("user_id = ?", id).Delete(&session{}).Error; err != nil {
				return fmt.Errorf("end sessions of user %d: %w", id, err)
			}
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"disabled_at": at, "updated_at": s.now()}).Error; err != nil {
			return fmt.Errorf("disable user %d: %w", id, err)
		}
		return nil
	})
}

// SetPassword replaces a user's password and ends their other sessions (keepSession, if not
// empty, is the session id hash that stays: the user changing their own password).
func (s *Store) SetPassword(ctx context.Context, id int64, password, keepSession string) error {
	if err := checkStrength(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"password_hash": hash, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("set password of user %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		if err := tx.Where("user_id = ? AND id <> ?", id, keepSession).Delete(&session{}).Error; err != nil {
			return fmt.Errorf("end sessions of user %d: %w", id, err)
		}
		return nil
	})
}

// ActiveAdmins lists the admins who may sign in: the people "tell the admins" reaches.
func (s *Store) ActiveAdmins(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.db.WithContext(ctx).Where("role = ? AND disabled_at IS NULL", RoleAdmin).Order("id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("list active admins: %w", err)
	}
	return us, nil
}

// SetLanguage sets the language user id reads the UI in; "" follows the club's default.
func (s *Store) SetLanguage(ctx context.Context, id int64, lang string) error {
	res := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{"language": lang, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("set language of user %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
