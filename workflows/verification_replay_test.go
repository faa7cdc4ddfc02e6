package workflows_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/workflows"
)

// TestGoldenReplayVerification replays the recorded runs of every verification path with the
// current orchestrators.
func TestGoldenReplayVerification(t *testing.T) {
	for _, pattern := range []string{"phone_verification_*.json", "email_verification_*.json", "member_onboarding_*.json"} {
		replayGoldenFiles(t, pattern, workflows.RegisterVerification)
	}
}

// TestGoldenReplayDetectsChanges proves the replay fails when the code no longer does what a
// recorded run did, which the engine alone would not notice.
func TestGoldenReplayDetectsChanges(t *testing.T) {
	tests := []struct {
		name, golden string
		// register adds the changed orchestrators.
		register func(r *task.TaskRegistry) error
		wantErr  string
	}{
		{"unchanged", "member_onboarding_active", workflows.RegisterVerification, ""},
		{"sub-orchestrations swapped", "member_onboarding_active", func(r *task.TaskRegistry) error {
			return r.AddOrchestratorN(workflows.MemberOnboardingName, onboardingEmailFirst)
		}, "sub-orchestration EmailVerification"},
		{"check and mark swapped", "phone_verification_right_first_time", func(r *task.TaskRegistry) error {
			return r.AddOrchestratorN(workflows.PhoneVerificationName, phoneMarkBeforeCheck)
		}, "activity MarkPhoneVerified"},
		{"a step left out", "member_onboarding_active", func(r *task.TaskRegistry) error {
			return r.AddOrchestratorN(workflows.MemberOnboardingName, onboardingWithoutWelcome)
		}, "activity TellAdminsJoined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := task.NewTaskRegistry()
			if err := tc.register(r); err != nil {
				t.Fatal(err)
			}
			id, events := loadGolden(t, filepath.Join("testdata", tc.golden+".json"))
			err := replay(r, id, events)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("replay: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatal("replay passed; want it to fail")
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("replay failed with %v; want it to name %q", err, tc.wantErr)
			}
		})
	}
}

// onboardingEmailFirst is MemberOnboarding with its two sub-orchestrations in the other order.
func onboardingEmailFirst(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.OnboardingInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	start := workflows.VerificationInput{MemberID: in.MemberID}
	email := ctx.CallSubOrchestrator(workflows.EmailVerificationName,
		task.WithSubOrchestrationInstanceID(in.EmailInstance), task.WithSubOrchestratorInput(start))
	phone := ctx.CallSubOrchestrator(workflows.PhoneVerificationName,
		task.WithSubOrchestrationInstanceID(in.PhoneInstance), task.WithSubOrchestratorInput(start))
	return nil, errors.Join(email.Await(nil), phone.Await(nil))
}

// onboardingWithoutWelcome is MemberOnboarding that no longer sends the welcome.
func onboardingWithoutWelcome(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.OnboardingInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	start := workflows.VerificationInput{MemberID: in.MemberID}
	phone := ctx.CallSubOrchestrator(workflows.PhoneVerificationName,
		task.WithSubOrchestrationInstanceID(in.PhoneInstance), task.WithSubOrchestratorInput(start))
	email := ctx.CallSubOrchestrator(workflows.EmailVerificationName,
		task.WithSubOrchestrationInstanceID(in.EmailInstance), task.WithSubOrchestratorInput(start))
	if err := errors.Join(phone.Await(nil), email.Await(nil)); err != nil {
		return nil, err
	}
	step := workflows.JoinedInput{InstanceID: string(ctx.ID), MemberID: in.MemberID}
	if err := ctx.CallActivity(workflows.ActivateMemberActivity, task.WithActivityInput(step)).Await(nil); err != nil {
		return nil, err
	}
	return workflows.Active, ctx.CallActivity(workflows.TellAdminsJoinedActivity, task.WithActivityInput(step)).Await(nil)
}

// phoneMarkBeforeCheck is PhoneVerification that marks the phone verified before it checks the
// code.
func phoneMarkBeforeCheck(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.VerificationInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	id := string(ctx.ID)
	var issued workflows.IssuedCode
	err := ctx.CallActivity(workflows.IssuePhoneCodeActivity,
		task.WithActivityInput(workflows.IssueInput{InstanceID: id, MemberID: in.MemberID, Challenge: 1})).Await(&issued)
	if err != nil {
		return nil, err
	}
	var ev workflows.ChallengeEvent
	if err := ctx.WaitForSingleEvent(workflows.SmsChallengeResponseEvent, issued.ExpiresAt.Sub(ctx.CurrentTimeUtc)).Await(&ev); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity(workflows.MarkPhoneVerifiedActivity, task.WithActivityInput(workflows.MarkInput{InstanceID: id, MemberID: in.MemberID})).Await(nil); err != nil {
		return nil, err
	}
	return workflows.Verified, ctx.CallActivity(workflows.CheckPhoneCodeActivity, task.WithActivityInput(workflows.CheckInput{InstanceID: id, Hash: ev.Hash})).Await(nil)
}
