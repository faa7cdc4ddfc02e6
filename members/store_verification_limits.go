package members

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// limitWindow is the span the abuse limits count in.
const limitWindow = time.Hour

// verificationLimit is a row of verification_limits: one counted request.
type verificationLimit struct {
	ID      int64
	KeyHash string
	At      time.Time
}

func (verificationLimit) TableName() string { return "verification_limits" }

// take counts one request against the key that parts name, unless max of them already fell in
// the last hour; then it counts nothing and returns when the oldest of them leaves the window.
// max 0 means no limit. The key is an HMAC, so numbers and client addresses stay unreadable.
func (v *Verifications) take(tx *gorm.DB, max int, now time.Time, parts ...string) (retryAt time.Time, err error) {
	if max <= 0 {
		return time.Time{}, nil
	}
	key := macHex(v.keys.limit, parts...)
	var times []time.Time
	err = tx.Model(&verificationLimit{}).Where("key_hash = ? AND at > ?", key, now.Add(-limitWindow)).
		Order("at").Limit(max).Pluck("at", &times).Error
	if err != nil {
		return time.Time{}, fmt.Errorf("count requests: %w", err)
	}
	if len(times) >= max {
		return times[0].Add(limitWindow), nil
	}
	if err := tx.Where("at <= ?", now.Add(-limitWindow)).Delete(&verificationLimit{}).Error; err != nil {
		return time.Time{}, fmt.Errorf("prune request counts: %w", err)
	}
	if err := tx.Omit("ID").Create(&verificationLimit{KeyHash: key, At: now}).Error; err != nil {
		return time.Time{}, fmt.Errorf("count request: %w", err)
	}
	return time.Time{}, nil
}

// LimitError is ErrTooManyRequests with the time the limit lifts.
type LimitError struct{ RetryAt time.Time }

func (e *LimitError) Error() string {
	return "too many requests; try again after " + e.RetryAt.UTC().Format(time.RFC3339)
}

// Unwrap lets errors.Is find ErrTooManyRequests.
func (e *LimitError) Unwrap() error { return ErrTooManyRequests }

// AllowRequest counts a public request that makes the app send (a join, a new code asked for)
// from client address ip, and refuses it with a *LimitError once the address had its
// sends_per_ip_per_hour.
func (v *Verifications) AllowRequest(ctx context.Context, ip string) error {
	retryAt, err := v.take(v.db.WithContext(ctx), v.opts.SendsPerIPPerHour, v.now(), "ip", ip)
	if err != nil {
		return err
	}
	if !retryAt.IsZero() {
		return &LimitError{RetryAt: retryAt}
	}
	return nil
}

// JoinToken signs the link of the join pages for a member's two runs.
func (v *Verifications) JoinToken(j JoinLink) string {
	return v.keys.seal(tokenJoin, itoa(j.MemberID), strconv.Itoa(j.PhoneSeq), strconv.Itoa(j.EmailSeq))
}

// OpenJoinToken checks a join link and reads it.
func (v *Verifications) OpenJoinToken(token string) (JoinLink, error) {
	fields, err := v.keys.open(tokenJoin, token, 3)
	if err != nil {
		return JoinLink{}, err
	}
	n, err := parseInts(fields)
	if err != nil {
		return JoinLink{}, err
	}
	return JoinLink{MemberID: n[0], PhoneSeq: int(n[1]), EmailSeq: int(n[2])}, nil
}

// EmailLinkToken signs the link of a verification e-mail.
func (v *Verifications) EmailLinkToken(l EmailLink) string {
	return v.keys.seal(tokenEmailLink, itoa(l.MemberID), strconv.Itoa(l.Seq), strconv.Itoa(l.Challenge), l.Code)
}

// OpenEmailLink checks the link of a verification e-mail and reads it.
func (v *Verifications) OpenEmailLink(token string) (EmailLink, error) {
	fields, err := v.keys.open(tokenEmailLink, token, 4)
	if err != nil {
		return EmailLink{}, err
	}
	n, err := parseInts(fields[:3])
	if err != nil {
		return EmailLink{}, err
	}
	return EmailLink{MemberID: n[0], Seq: int(n[1]), Challenge: int(n[2]), Code: fields[3]}, nil
}
