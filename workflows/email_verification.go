package workflows

import "github.com/microsoft/durabletask-go/task"

// EmailVerification confirms a member's e-mail address as PhoneVerification confirms a number:
// IssueEmailLink e-mails a signed, single-use link with a short code, and the run waits for
// EmailConfirmed until verification.email.timeout. Following the link is entering the code.
func EmailVerification(ctx *task.OrchestrationContext) (any, error) {
	return runChallenge(ctx, challenge{
		event: EmailConfirmedEvent,
		issue: IssueEmailLinkActivity, check: CheckEmailCodeActivity, mark: MarkEmailVerifiedActivity,
	})
}
