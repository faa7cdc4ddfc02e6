package activities

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/web/i18n"
	"membership/workflows"
)

// Verification runs the activities of phone and e-mail verification and of joining.
//
// The code goes out from inside IssuePhoneCode (IssueEmailLink) through Notices.Send rather than
// from a SendSMS step of the orchestration: an activity's input is kept in the task hub's
// history, and the code must not rest there in plain text. The notice row keeps the text with
// the code masked.
type Verification struct {
	Verifications *members.Verifications
	Members       *members.Store
	Notices       *Notices
	// BaseURL is server.base_url, where the links in e-mails point.
	BaseURL string
	Log     *slog.Logger
}

// VerificationOptions derives the verification store's limits from the configuration.
func VerificationOptions(cfg *config.Config) members.VerificationOptions {
	p := cfg.Verification.Phone
	return members.VerificationOptions{
		CodeLength: p.CodeLength, PhoneTimeout: p.Timeout.Std(), EmailTimeout: cfg.Verification.Email.Timeout.Std(),
		MaxAttempts: p.MaxAttempts, ResendCooldown: p.ResendCooldown.Std(),
		SendsPerNumberPerHour: p.SendsPerNumberPerHour, SendsPerIPPerHour: p.SendsPerIPPerHour,
	}
}

// Register adds the verification area's activities to r.
func (a *Verification) Register(r *task.TaskRegistry) error { return a.RegisterWith(r, nil) }

// RegisterWith is Register with each activity passed through wrap first (web.Metrics.Activity
// times them); a nil wrap registers them as they are.
func (a *Verification) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{workflows.IssuePhoneCodeActivity, a.issue(members.VerifyPhone)},
		namedActivity{workflows.IssueEmailLinkActivity, a.issue(members.VerifyEmail)},
		namedActivity{workflows.CheckPhoneCodeActivity, a.check},
		namedActivity{workflows.CheckEmailCodeActivity, a.check},
		namedActivity{workflows.MarkPhoneVerifiedActivity, a.mark},
		namedActivity{workflows.MarkEmailVerifiedActivity, a.mark},
		namedActivity{workflows.EndVerificationActivity, a.end},
		namedActivity{workflows.ActivateMemberActivity, a.activate},
		namedActivity{workflows.SendWelcomeActivity, a.sendWelcome},
		namedActivity{workflows.TellAdminsJoinedActivity, a.tellAdmins},
		namedActivity{workflows.RecordIncompleteActivity, a.recordIncomplete},
		namedActivity{workflows.IssueSignInCodeActivity, a.issue(members.VerifyEmail)},
		namedActivity{workflows.CompleteSignInActivity, a.mark},
	)
}

// issue makes a challenge's code and sends it, once: a challenge already sent is answered
// without sending again. A transient send error is returned and the retry issues the same code
// again (codes are derived per challenge), so a retry after a crash between "sent" and "recorded"
// finds the notice already sent and still matches the code the member holds; a permanent error,
// a skipped notice or a refused request (limits, no number) come back in Refused.
func (a *Verification) issue(kind members.VerificationKind) task.Activity {
	return func(ctx task.ActivityContext) (any, error) {
		var in workflows.IssueInput
		if err := ctx.GetInput(&in); err != nil {
			return nil, fmt.Errorf("read issue input: %w", err)
		}
		c := ctx.Context()
		iss, err := a.Verifications.Issue(c, in.InstanceID, in.Challenge)
		if err != nil {
			return nil, err
		}
		out := workflows.IssuedCode{Challenge: iss.Challenge, SentAt: iss.SentAt, ExpiresAt: iss.ExpiresAt,
			ResendAfter: iss.ResendAfter, AttemptsLeft: iss.AttemptsLeft, Refused: iss.Refused, Detail: iss.Detail}
		if iss.Refused != "" || iss.Code == "" {
			return out, nil
		}
		res, err := a.Notices.Send(c, a.codeNotice(kind, in, iss))
		if err != nil {
			return nil, err
		}
		if res.Status != ResultSent {
			out.Refused, out.Detail = "send_"+res.Status, "the code could not be sent: "+res.Reason
			return out, nil
		}
		if err := a.Verifications.MarkSent(c, in.InstanceID, iss.Challenge); err != nil {
			return nil, err
		}
		a.log().InfoContext(c, "verification code sent", slog.String("instance_id", in.InstanceID),
			slog.Int64("member_id", in.MemberID), slog.Int("challenge", iss.Challenge))
		return out, nil
	}
}

// codeNotice is the message that carries a challenge's code: an SMS with the code, or an
// e-mail with the link (which holds the code) and the code. Both are masked in the stored copy.
//
// A change's code goes to the new number (address), a sign-in's to the address typed: To
// says where, and a sign-in's message is of its own (template sign_in_code, sign_in_link).
func (a *Verification) codeNotice(kind members.VerificationKind, in workflows.IssueInput, iss members.Issued) NoticeRequest {
	if iss.Kind != "" {
		kind = iss.Kind // a sign-in's kind is its run's
	}
	channel, template := ChannelSMS, "phone_code"
	vars := map[string]string{"code": iss.Code}
	values := map[string]Value{"expires_in": Duration(iss.ExpiresAt.Sub(iss.SentAt))}
	secrets := []string{"code"}
	base := strings.TrimRight(a.BaseURL, "/")
	switch {
	case iss.Purpose == members.PurposeSignIn && kind == members.VerifyEmail:
		channel, template = ChannelEmail, "sign_in_link"
		vars["link"] = base + "/portal/sign-in/link/" + a.Verifications.SignInLinkToken(in.InstanceID, iss.Challenge, iss.Code)
		secrets = append(secrets, "link")
	case iss.Purpose == members.PurposeSignIn:
		template = "sign_in_code"
	case kind == members.VerifyEmail:
		channel, template = ChannelEmail, "email_link"
		tok := a.Verifications.EmailLinkToken(members.EmailLink{MemberID: iss.MemberID, Seq: iss.Seq, Challenge: iss.Challenge, Code: iss.Code})
		vars["link"] = base + "/verify/email/" + tok
		secrets = append(secrets, "link")
	}
	return NoticeRequest{
		Key:      fmt.Sprintf("%s:%s:challenge:%d:member:%d:%s", PurposeVerification, in.InstanceID, iss.Challenge, in.MemberID, channel),
		MemberID: in.MemberID, Channel: channel, Purpose: PurposeVerification, Template: template,
		Vars: vars, Values: values, Secrets: secrets, Transactional: true, To: iss.To,
	}
}

func (a *Verification) check(ctx task.ActivityContext) (any, error) {
	var in workflows.CheckInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, fmt.Errorf("read check input: %w", err)
	}
	res, err := a.Verifications.Check(ctx.Context(), in.InstanceID, in.CheckID, in.Hash)
	if err != nil {
		return nil, err
	}
	return workflows.CheckOutput{Result: res.Result, AttemptsLeft: res.AttemptsLeft}, nil
}

func (a *Verification) mark(ctx task.ActivityContext) (any, error) {
	var in workflows.MarkInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, fmt.Errorf("read mark input: %w", err)
	}
	changed, err := a.Verifications.MarkVerified(ctx.Context(), members.WorkflowActor(in.InstanceID), in.InstanceID)
	if err != nil {
		return nil, err
	}
	return workflows.MarkOutput{Changed: changed}, nil
}

func (a *Verification) end(ctx task.ActivityContext) (any, error) {
	var in workflows.EndInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, fmt.Errorf("read end input: %w", err)
	}
	return nil, a.Verifications.End(ctx.Context(), members.WorkflowActor(in.InstanceID), in.InstanceID, in.Status, in.Reason)
}

// joined reads the input of the activities that finish a join.
func joined(ctx task.ActivityContext) (workflows.JoinedInput, error) {
	var in workflows.JoinedInput
	if err := ctx.GetInput(&in); err != nil {
		return in, fmt.Errorf("read join input: %w", err)
	}
	return in, nil
}

func (a *Verification) activate(ctx task.ActivityContext) (any, error) {
	in, err := joined(ctx)
	if err != nil {
		return nil, err
	}
	_, err = a.Verifications.Activate(ctx.Context(), members.WorkflowActor(in.InstanceID), in.MemberID)
	return nil, err
}

func (a *Verification) sendWelcome(ctx task.ActivityContext) (any, error) {
	in, err := joined(ctx)
	if err != nil {
		return nil, err
	}
	// The welcome confirms the membership the person just asked for: a transactional message,
	// like a receipt, so it needs no marketing consent.
	return a.Notices.Send(ctx.Context(), NoticeRequest{
		Key:      fmt.Sprintf("%s:%s:member:%d:%s", PurposeWelcome, in.InstanceID, in.MemberID, ChannelEmail),
		MemberID: in.MemberID, Channel: ChannelEmail, Purpose: PurposeWelcome, Template: "welcome", Transactional: true,
	})
}

func (a *Verification) tellAdmins(ctx task.ActivityContext) (any, error) {
	in, err := joined(ctx)
	if err != nil {
		return nil, err
	}
	c := ctx.Context()
	m, err := a.Members.Get(c, in.MemberID)
	if err != nil {
		return nil, err
	}
	link := fmt.Sprintf("%s/members/%d", strings.TrimRight(a.BaseURL, "/"), m.ID)
	return nil, a.Notices.TellAdmins(c, "admin:"+in.InstanceID+":joined", func(l *i18n.Localizer) (string, string) {
		return l.T("admin_mail.joined.subject", "Name", m.FullName()), l.T("admin_mail.joined.text", "Name", m.FullName(), "Link", link)
	})
}

func (a *Verification) recordIncomplete(ctx task.ActivityContext) (any, error) {
	in, err := joined(ctx)
	if err != nil {
		return nil, err
	}
	return nil, a.Verifications.RecordOnboardingIncomplete(ctx.Context(), members.WorkflowActor(in.InstanceID), in.MemberID, in.Phone, in.Email)
}

func (a *Verification) log() *slog.Logger {
	if a.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Log
}
