package workflows

import (
	"fmt"
	"strconv"

	"github.com/microsoft/durabletask-go/task"
)

// OnboardingInput starts MemberOnboarding: the new member and the instance ids of their two
// verification runs (the join handler records the runs first). An empty id means that kind is
// verified already (a join started again after one of its codes expired).
type OnboardingInput struct {
	MemberID      int64  `json:"member_id"`
	PhoneInstance string `json:"phone_instance"`
	EmailInstance string `json:"email_instance"`
}

// JoinedInput is the input of the activities that finish a join.
type JoinedInput struct {
	InstanceID string `json:"instance_id"`
	MemberID   int64  `json:"member_id"`
	Phone      string `json:"phone"` // the phone run's outcome
	Email      string `json:"email"` // the e-mail run's outcome
}

// OnboardingStatus is MemberOnboarding's custom status.
type OnboardingStatus struct {
	State string `json:"state"` // verifying, active or pending
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	Note  string `json:"note,omitempty"`
}

// Outputs of MemberOnboarding.
const (
	Active  = "Active"
	Pending = "Pending"
)

// OnboardingInstanceID names a member's join: "member-onboarding:member:7".
func OnboardingInstanceID(memberID int64) string {
	return "member-onboarding:member:" + strconv.FormatInt(memberID, 10)
}

// MemberOnboarding runs a join: the phone and the e-mail verification side by side as
// sub-orchestrations, then, when both are verified, it activates the member, sends a welcome and
// tells the admins. Otherwise the member stays pending and the audit log says which
// verification did not succeed. Output: Active or Pending.
func MemberOnboarding(ctx *task.OrchestrationContext) (any, error) {
	var in OnboardingInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	setStatus(ctx, OnboardingStatus{State: "verifying"})
	// Schedule both before awaiting either, so they run at the same time.
	phone := verify(ctx, PhoneVerificationName, in.PhoneInstance, in.MemberID)
	email := verify(ctx, EmailVerificationName, in.EmailInstance, in.MemberID)
	step := JoinedInput{InstanceID: string(ctx.ID), MemberID: in.MemberID, Phone: outcome(phone), Email: outcome(email)}

	if step.Phone != Verified || step.Email != Verified {
		if err := call(ctx, RecordIncompleteActivity, step, nil); err != nil {
			return nil, err
		}
		setStatus(ctx, OnboardingStatus{State: "pending", Phone: step.Phone, Email: step.Email})
		return Pending, nil
	}
	if err := call(ctx, ActivateMemberActivity, step, nil); err != nil {
		return nil, err
	}
	// The member is active either way; a welcome or a note that could not go out is shown in
	// the status rather than undoing the join.
	st := OnboardingStatus{State: "active", Phone: step.Phone, Email: step.Email}
	if err := call(ctx, SendWelcomeActivity, step, nil); err != nil {
		st.Note = "the welcome could not be sent"
	}
	if err := call(ctx, TellAdminsJoinedActivity, step, nil); err != nil {
		st.Note = "the admins could not be told"
	}
	setStatus(ctx, st)
	return Active, nil
}

// verify starts a verification run as a sub-orchestration; none (nil) for an empty id. The
// version is the current one even when an onboarding of an older release replays this step: its
// sub-orchestrations exist by then, and the engine compares no inputs.
func verify(ctx *task.OrchestrationContext, name, instanceID string, memberID int64) task.Task {
	if instanceID == "" {
		return nil
	}
	return ctx.CallSubOrchestrator(name, task.WithSubOrchestrationInstanceID(instanceID),
		task.WithSubOrchestratorInput(VerificationInput{MemberID: memberID, Version: VerificationVersion}))
}

// outcome awaits a verification sub-orchestration; one that failed counts as Failed, none as
// Verified (it was before the join started).
func outcome(t task.Task) string {
	if t == nil {
		return Verified
	}
	var out string
	if err := t.Await(&out); err != nil || out == "" {
		return Failed
	}
	return out
}
