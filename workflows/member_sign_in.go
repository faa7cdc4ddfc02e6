package workflows

import "github.com/microsoft/durabletask-go/task"

// MemberSignInName is the orchestrator of a portal sign-in.
const MemberSignInName = "MemberSignIn"

// Activities of a portal sign-in. Checking a code and ending a run are the verification's.
const (
	IssueSignInCodeActivity = "IssueSignInCode"
	CompleteSignInActivity  = "CompleteSignIn"
)

// SignInCodeEvent carries what the person did on the sign-in page (a ChallengeEvent: a code's
// hash, a request for a new code).
const SignInCodeEvent = "SignInCode"

// MemberSignIn signs a member in to the portal without a password, on the verification
// machinery: IssueSignInCode sends a one-time link by e-mail or a code by SMS to the address
// typed (the member's own, or a guardian's), within the same abuse limits; the run waits for
// SignInCode until the code expires, each wrong code using one of the attempts. The right one
// marks the run verified (CompleteSignIn); the page that took it then makes the session, once.
// Input: VerificationInput; output: Verified, Expired, Failed or Cancelled.
func MemberSignIn(ctx *task.OrchestrationContext) (any, error) {
	return runChallenge(ctx, challenge{
		event: SignInCodeEvent,
		issue: IssueSignInCodeActivity, check: CheckEmailCodeActivity, mark: CompleteSignInActivity,
	})
}

// SignInVersion is the code path a MemberSignIn starts on (see version.go): it shares
// runChallenge with the verifications, from their version 1 on (waiting for a provider that
// is down instead of failing at once).
const SignInVersion = VerificationVersion
