package workflows

import "github.com/microsoft/durabletask-go/task"

// PhoneVerification confirms a member's phone number: IssuePhoneCode makes a code, keeps only
// its keyed hash and sends it by SMS; the run then waits for SmsChallengeResponse until the code
// expires (verification.phone.timeout). Each wrong code uses one of max_attempts; the right one
// marks the phone verified. A request for a new code (after resend_cooldown, within
// sends_per_number_per_hour) continues as new with the next challenge. Output: Verified,
// Expired, Failed or Cancelled; custom status: VerificationStatus.
func PhoneVerification(ctx *task.OrchestrationContext) (any, error) {
	return runChallenge(ctx, challenge{
		event: SmsChallengeResponseEvent,
		issue: IssuePhoneCodeActivity, check: CheckPhoneCodeActivity, mark: MarkPhoneVerifiedActivity,
	})
}
