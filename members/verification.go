package members

import (
	"errors"
	"fmt"
	"time"
)

// VerificationKind is what a verification confirms: a phone number or an e-mail address.
type VerificationKind string

// The kinds of verification.
const (
	VerifyPhone VerificationKind = "phone"
	VerifyEmail VerificationKind = "email"
)

// Valid reports whether k is one of the kinds.
func (k VerificationKind) Valid() bool { return k == VerifyPhone || k == VerifyEmail }

// The purposes of a verification run.
const (
	// PurposeVerify confirms the member's current phone number or e-mail address.
	PurposeVerify = "verify"
	// PurposeChange confirms a new number or address the member gave in the portal: the old
	// value stays on the record until the code is entered, then the new one replaces it.
	PurposeChange = "change"
	// PurposeSignIn is a portal sign-in: the code proves the person holds the address.
	PurposeSignIn = "sign_in"
)

// The states of a verification run. Matched is the short moment between a right code and the
// member's record showing it; the last four end a run.
const (
	VerificationPending   = "pending"
	VerificationMatched   = "matched"
	VerificationVerified  = "verified"
	VerificationExpired   = "expired"
	VerificationFailed    = "failed"
	VerificationCancelled = "cancelled"
)

// The results of checking a code, as the API answers them.
const (
	CodeVerified = "verified"
	CodeWrong    = "wrong"
	CodeExpired  = "expired"
	CodeLocked   = "locked" // every attempt is used up
)

// Why an issue request sent no code (Issued.Refused).
const (
	RefusedNoAddress = "no_address" // the member has no phone number (e-mail address) to send to
	RefusedRegion    = "region"     // the number is from a region the club does not accept
	RefusedLimit     = "rate_limited"
	RefusedCooldown  = "cooldown"
	RefusedEnded     = "ended" // the run ended (cancelled) before its code went out
)

// Verification is one run of a phone or e-mail verification: one orchestration instance, with
// the current challenge (the code out now). The code itself is never stored, only a keyed hash.
type Verification struct {
	ID           int64            `json:"id"`
	MemberID     int64            `json:"member_id"`
	Kind         VerificationKind `json:"kind"`
	Purpose      string           `json:"purpose" gorm:"default:verify"`
	Seq          int              `json:"seq"`
	InstanceID   string           `json:"instance_id"`
	Status       string           `json:"status"`
	Reason       string           `json:"reason"`
	Challenge    int              `json:"challenge"`
	CodeHash     string           `json:"-"`
	AddressHash  string           `json:"-"`
	ExpiresAt    *time.Time       `json:"expires_at"`
	SentAt       *time.Time       `json:"sent_at"`
	AttemptsLeft int              `json:"attempts_left"`
	LastCheckID  string           `json:"-"`
	LastResult   string           `json:"last_result"`
	CreatedBy    string           `json:"created_by"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	EndedAt      *time.Time       `json:"ended_at"`
	// NewAddress is, for a change or a sign-in, the number or address the code goes to; it is
	// wiped when the run ends.
	NewAddress string     `json:"new_address,omitempty"`
	ClaimedAt  *time.Time `json:"-"`
}

// TableName is the verifications' table.
func (Verification) TableName() string { return "verifications" }

// Running reports whether the run still waits for its code.
func (v *Verification) Running() bool {
	return v.Status == VerificationPending || v.Status == VerificationMatched
}

// CodeOut reports whether a code has been sent and can be entered.
func (v *Verification) CodeOut() bool { return v.Challenge > 0 && v.SentAt != nil }

// VerificationInstanceID names the orchestration instance of a member's seq-th verification of
// a kind: "phone-verification:member:7:2". The workflow monitor links a member's page to it.
func VerificationInstanceID(kind VerificationKind, memberID int64, seq int) string {
	return fmt.Sprintf("%s-verification:member:%d:%d", kind, memberID, seq)
}

// SignInInstanceID names the orchestration instance of a portal sign-in:
// "member-sign-in:email:member:7:3". It names the member, so erasing them purges it.
func SignInInstanceID(kind VerificationKind, memberID int64, seq int) string {
	return fmt.Sprintf("member-sign-in:%s:member:%d:%d", kind, memberID, seq)
}

// runAddress is where a run's code goes: the new number or address of a change or a sign-in,
// else the member's current one.
func runAddress(row *Verification, m *Member) string {
	if row.NewAddress != "" {
		return row.NewAddress
	}
	return addressOf(m, row.Kind)
}

// VerificationOptions bound the codes and the abuse limits.
type VerificationOptions struct {
	// CodeLength is the number of digits of a code.
	CodeLength int
	// PhoneTimeout and EmailTimeout are how long a code (a link) stays valid.
	PhoneTimeout, EmailTimeout time.Duration
	// MaxAttempts is how many codes may be tried per challenge.
	MaxAttempts int
	// ResendCooldown is how long after a code a new one may be asked for.
	ResendCooldown time.Duration
	// SendsPerNumberPerHour bounds the codes sent to one number (address), whoever asks.
	SendsPerNumberPerHour int
	// SendsPerIPPerHour bounds the joins and resends asked for from one client address.
	SendsPerIPPerHour int
}

// Issued is a code just made for a challenge, or why none was. Code is the plain code, set only
// when it still has to be sent: it goes into the message and nowhere else.
type Issued struct {
	MemberID int64
	Kind     VerificationKind
	Purpose  string
	// To is where the code goes when it is not the member's current number (address): a
	// change's new one, a sign-in's typed one.
	To           string
	Seq          int // the run's number, as in its instance id
	Challenge    int
	Code         string
	SentAt       time.Time // the time the code was made; the send follows at once
	ExpiresAt    time.Time
	ResendAfter  time.Time
	AttemptsLeft int
	Refused      string
	Detail       string
}

// CheckResult is what checking one entered code found.
type CheckResult struct {
	Result       string `json:"result"`
	AttemptsLeft int    `json:"attempts_left"`
}

// ErrVerificationRunning means the member already has a verification of the kind under way.
var ErrVerificationRunning = fmt.Errorf("a verification is already running: %w", ErrConflict)

// ErrTooManyRequests means an abuse limit is reached; the caller should try again later.
var ErrTooManyRequests = errors.New("too many requests")

// ErrBadToken means a signed link is malformed, forged or meant for something else.
var ErrBadToken = errors.New("the link is not valid")

// RunningError carries the run that is already under way.
type RunningError struct{ Running *Verification }

func (e *RunningError) Error() string {
	return fmt.Sprintf("member %d: %s verification %s is still running", e.Running.MemberID, e.Running.Kind, e.Running.InstanceID)
}

// Unwrap lets errors.Is find ErrVerificationRunning (and so ErrConflict).
func (e *RunningError) Unwrap() error { return ErrVerificationRunning }
