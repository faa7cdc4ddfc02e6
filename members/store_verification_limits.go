package members

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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
	_, retryAt, err = v.takeCounted(tx, max, now, parts...)
	return retryAt, err
}

// takeCounted is take that also says how many of the window's max this request brought it to
// (0 when there is no limit or it was refused).
func (v *Verifications) takeCounted(tx *gorm.DB, max int, now time.Time, parts ...string) (used int, retryAt time.Time, err error) {
	if max <= 0 {
		return 0, time.Time{}, nil
	}
	key := macHex(v.keys.limit, parts...)
	var times []time.Time
	err = tx.Model(&verificationLimit{}).Where("key_hash = ? AND at > ?", key, now.Add(-limitWindow)).
		Order("at").Limit(max).Pluck("at", &times).Error
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count requests: %w", err)
	}
	if len(times) >= max {
		return 0, times[0].Add(limitWindow), nil
	}
	if err := tx.Where("at <= ?", now.Add(-limitWindow)).Delete(&verificationLimit{}).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("prune request counts: %w", err)
	}
	if err := tx.Omit("ID").Create(&verificationLimit{KeyHash: key, At: now}).Error; err != nil {
		return 0, time.Time{}, fmt.Errorf("count request: %w", err)
	}
	return len(times) + 1, time.Time{}, nil
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

// SignInLink is what the link of a sign-in e-mail carries: the run, the challenge and its code.
type SignInLink struct {
	InstanceID string
	Challenge  int
	Code       string
}

// SignInLinkToken seals the link of a sign-in e-mail. The instance id holds colons, not dots,
// so it is one field.
func (v *Verifications) SignInLinkToken(instanceID string, challenge int, code string) string {
	return v.keys.seal(tokenSignInLink, instanceID, strconv.Itoa(challenge), code)
}

// OpenSignInLink checks the link of a sign-in e-mail and reads it.
func (v *Verifications) OpenSignInLink(token string) (SignInLink, error) {
	fields, err := v.keys.open(tokenSignInLink, token, 3)
	if err != nil {
		return SignInLink{}, err
	}
	n, err := parseInts(fields[1:2])
	if err != nil {
		return SignInLink{}, err
	}
	return SignInLink{InstanceID: fields[0], Challenge: int(n[0]), Code: fields[2]}, nil
}

// SignInPage is what the page after the sign-in form carries: the run it waits on, or none
// (an address no record has; the page looks the same), and when it was asked for. Nonce makes
// every page's token its own, so brute-force counting is per page.
type SignInPage struct {
	InstanceID string // "" for an address no record has
	Kind       VerificationKind
	Nonce      string
}

// signInPagePad is the length a sign-in page's instance field is padded to: longer than any
// instance id of a sign-in ("member-sign-in:email:member:" and two int64s).
const signInPagePad = 72

// SignInPageToken seals the sign-in page's link.
func (v *Verifications) SignInPageToken(p SignInPage) string {
	inst := p.InstanceID
	if inst == "" {
		inst = "-"
	}
	// Padded to one length, so that the link of a known address is as long as any other.
	inst += strings.Repeat("~", max(0, signInPagePad-len(inst)))
	return v.keys.seal(tokenSignInPage, inst, string(p.Kind), p.Nonce)
}

// OpenSignInPage checks the sign-in page's link and reads it.
func (v *Verifications) OpenSignInPage(token string) (SignInPage, error) {
	fields, err := v.keys.open(tokenSignInPage, token, 3)
	if err != nil {
		return SignInPage{}, err
	}
	p := SignInPage{InstanceID: strings.TrimRight(fields[0], "~"), Kind: VerificationKind(fields[1]), Nonce: fields[2]}
	if p.InstanceID == "-" {
		p.InstanceID = ""
	}
	if !p.Kind.Valid() {
		return SignInPage{}, ErrBadToken
	}
	return p, nil
}

// AllowSignInTry counts one code typed on a sign-in page and refuses it with a *LimitError
// once the page had max_attempts; last is true for the try that used the last one. The bound
// is the same for an address no record has as for one a run checks, so that locking out tells
// nothing either.
func (v *Verifications) AllowSignInTry(ctx context.Context, nonce string) (last bool, err error) {
	max := v.opts.MaxAttempts
	used, retryAt, err := v.takeCounted(v.db.WithContext(ctx), max, v.now(), "sign-in-try", nonce)
	if err != nil {
		return false, fmt.Errorf("count sign-in tries: %w", err)
	}
	if !retryAt.IsZero() {
		return false, &LimitError{RetryAt: retryAt}
	}
	return max > 0 && used >= max, nil
}
