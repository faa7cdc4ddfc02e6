// Package workflows holds the orchestrators: deterministic functions that only call ctx.*,
// schedule activities by name, and take ids as input, never phone numbers or e-mail addresses.
package workflows

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// Orchestrator names of the verification area.
const (
	PhoneVerificationName = "PhoneVerification"
	EmailVerificationName = "EmailVerification"
	MemberOnboardingName  = "MemberOnboarding"
)

// Activity names of the verification area (activities.Verification registers them).
const (
	IssuePhoneCodeActivity    = "IssuePhoneCode"
	CheckPhoneCodeActivity    = "CheckPhoneCode"
	MarkPhoneVerifiedActivity = "MarkPhoneVerified"
	IssueEmailLinkActivity    = "IssueEmailLink"
	CheckEmailCodeActivity    = "CheckEmailCode"
	MarkEmailVerifiedActivity = "MarkEmailVerified"
	EndVerificationActivity   = "EndVerification"
	ActivateMemberActivity    = "ActivateMember"
	SendWelcomeActivity       = "SendWelcome"
	TellAdminsJoinedActivity  = "TellAdminsJoined"
	RecordIncompleteActivity  = "RecordOnboardingIncomplete"
)

// Events a verification waits for. Each run waits for one event name only, because racing two
// names is not possible: what the person does is the event's Kind.
const (
	SmsChallengeResponseEvent = "SmsChallengeResponse"
	EmailConfirmedEvent       = "EmailConfirmed"
)

// Kinds of ChallengeEvent.
const (
	EventCode   = "code"   // a code was entered (or the e-mail link followed); Hash is its keyed hash
	EventResend = "resend" // a new code is asked for
	EventCancel = "cancel" // an admin cancelled the run
)

// ChallengeEvent is the payload of SmsChallengeResponse and EmailConfirmed. It never carries a
// code, only the keyed hash the handler made of it. CheckID names the entry, so that a retried
// check counts it once and the handler can find its result.
type ChallengeEvent struct {
	Kind    string `json:"kind"`
	Hash    string `json:"hash,omitempty"`
	CheckID string `json:"check_id,omitempty"`
}

// Outcomes of a verification, its output.
const (
	Verified  = "Verified"
	Expired   = "Expired"
	Failed    = "Failed"
	Cancelled = "Cancelled"
)

// VerificationInput starts PhoneVerification and EmailVerification. Challenge counts the codes
// sent (0 means the first); a run that sends a new code continues as new with the next
// challenge and the code already Issued, so its history stays short.
type VerificationInput struct {
	MemberID  int64       `json:"member_id"`
	Challenge int         `json:"challenge,omitempty"`
	Issued    *IssuedCode `json:"issued,omitempty"`
	// Version is the code path the run was started with (version.go): VerificationVersion for
	// new runs; 0, the first, for runs started before versions.
	Version int `json:"version,omitempty"`
	// ProviderWait is the first wait for a provider that refused the code's send
	// (DefaultProviderWait when zero); tests make it short.
	ProviderWait time.Duration `json:"provider_wait,omitempty"`
}

// IssueInput asks IssuePhoneCode / IssueEmailLink for a challenge's code.
type IssueInput struct {
	InstanceID string `json:"instance_id"`
	MemberID   int64  `json:"member_id"`
	Challenge  int    `json:"challenge"`
}

// IssuedCode describes a code that went out, or why none did (Refused, a members.Refused*
// value, with Detail for people). It holds nothing secret.
type IssuedCode struct {
	Challenge    int       `json:"challenge"`
	SentAt       time.Time `json:"sent_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	ResendAfter  time.Time `json:"resend_after"`
	AttemptsLeft int       `json:"attempts_left"`
	Refused      string    `json:"refused,omitempty"`
	Detail       string    `json:"detail,omitempty"`
}

// CheckInput asks CheckPhoneCode / CheckEmailCode about one entered code.
type CheckInput struct {
	InstanceID string `json:"instance_id"`
	CheckID    string `json:"check_id"`
	Hash       string `json:"hash"`
}

// CheckOutput is what the check found: "verified", "wrong", "locked" or "expired".
type CheckOutput struct {
	Result       string `json:"result"`
	AttemptsLeft int    `json:"attempts_left"`
}

// MarkInput asks MarkPhoneVerified / MarkEmailVerified to complete a run.
type MarkInput struct {
	InstanceID string `json:"instance_id"`
	MemberID   int64  `json:"member_id"`
}

// MarkOutput says whether the number (address) changed while the code was out, in which case
// nothing was marked.
type MarkOutput struct {
	Changed bool `json:"changed"`
}

// EndInput closes a run as expired, failed or cancelled (members.Verification* statuses).
type EndInput struct {
	InstanceID string `json:"instance_id"`
	MemberID   int64  `json:"member_id"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
}

// VerificationStatus is a run's custom status: what the monitor and the pages show while it
// waits. State is "sending", "code_sent" or the outcome in lower case; Notice says why the last
// request for a new code was not met.
type VerificationStatus struct {
	State        string    `json:"state"`
	Challenge    int       `json:"challenge,omitempty"`
	AttemptsLeft int       `json:"attempts_left"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	ResendAfter  time.Time `json:"resend_after,omitzero"`
	Notice       string    `json:"notice,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	// RetryAt is, while waiting_for_provider, when the code's send is tried again.
	RetryAt time.Time `json:"retry_at,omitzero"`
}

// verificationPatience is how long a run (version 1) waits for a provider that refuses its
// first code before it ends Failed: a person who joined waits minutes, not the day a campaign
// may wait; an admin can start the verification again later.
const verificationPatience = time.Hour

// RegisterVerification adds the verification area's orchestrators to r.
func RegisterVerification(r *task.TaskRegistry) error {
	return errors.Join(
		r.AddOrchestratorN(PhoneVerificationName, PhoneVerification),
		r.AddOrchestratorN(EmailVerificationName, EmailVerification),
		r.AddOrchestratorN(MemberOnboardingName, MemberOnboarding),
		r.AddOrchestratorN(MemberSignInName, MemberSignIn),
	)
}

// call runs an activity by name and waits for its result. Activities that fail transiently (a
// provider down, a busy database) are retried with backoff; permanent failures come back as
// results, not errors.
func call(ctx *task.OrchestrationContext, activity string, input, output any) error {
	return ctx.CallActivity(activity, task.WithActivityInput(input), task.WithActivityRetryPolicy(&task.RetryPolicy{
		MaxAttempts:          6,
		InitialRetryInterval: 2 * time.Second,
		BackoffCoefficient:   2,
		MaxRetryInterval:     time.Minute,
	})).Await(output)
}

// setStatus publishes the custom status as JSON.
func setStatus(ctx *task.OrchestrationContext, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return // plain structs always marshal
	}
	ctx.SetCustomStatus(string(b))
}
