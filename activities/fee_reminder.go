package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"membership/members"
	"membership/web/i18n"
	"membership/workflows"
)

// Templates of the reminder steps: the reminder by e-mail, then by SMS, then the overdue notice.
const (
	templateFeeReminder = "fee_reminder"
	templateFeeOverdue  = "fee_overdue"
)

// sendStep sends one step for a fee that is still open (steps 1 and 2) or overdue (step 3, the
// overdue notice); for a fee paid meanwhile it sends nothing and answers the fee's status.
func (f *Fees) sendStep(ctx context.Context, in workflows.FeeReminderStep) (workflows.FeeStepResult, error) {
	fee, err := f.Members.GetFee(ctx, in.FeeID)
	if err != nil {
		return workflows.FeeStepResult{}, err
	}
	out := workflows.FeeStepResult{FeeStatus: string(fee.Status)}
	template, wants := templateFeeReminder, members.FeeOpen
	if in.Step >= 3 {
		template, wants = templateFeeOverdue, members.FeeOverdue
	}
	if fee.Status != wants {
		return out, nil
	}
	res, err := f.Notices.Send(ctx, NoticeRequest{
		Key:      FeeNoticeKey(fee.ID, in.Step, fee.MemberID, in.Channel),
		MemberID: fee.MemberID, Channel: in.Channel, Purpose: PurposeReminder, Template: template,
		Values: map[string]Value{
			"amount": Money(fee.Amount, fee.Currency), "due_on": Day(fee.DueOn),
			"period": Days(fee.PeriodStart, fee.PeriodEnd),
		},
	})
	out.Notice, out.Reason = res.Status, res.Reason
	return out, err
}

// markOverdue marks the fee overdue and answers its status: "overdue", or "paid" when the
// payment came first.
func (f *Fees) markOverdue(ctx context.Context, feeID int64) (string, error) {
	fee, err := f.Members.MarkFeeOverdue(ctx, members.WorkflowActor(workflows.FeeReminderID(feeID)), feeID)
	if errors.Is(err, members.ErrConflict) {
		if fee, err = f.Members.GetFee(ctx, feeID); err != nil {
			return "", err
		}
	}
	if err != nil {
		return "", err
	}
	return string(fee.Status), nil
}

// tellAdmins e-mails the admins that a fee is overdue, once per fee and admin.
func (f *Fees) tellAdmins(ctx context.Context, feeID int64) (struct{}, error) {
	fee, err := f.Members.GetFee(ctx, feeID)
	if err != nil {
		return struct{}{}, err
	}
	m, err := f.Members.Get(ctx, fee.MemberID)
	if err != nil {
		return struct{}{}, err
	}
	link := fmt.Sprintf("%s/members/%d", strings.TrimRight(f.BaseURL, "/"), m.ID)
	return struct{}{}, f.Notices.TellAdmins(ctx, fmt.Sprintf("fee:%d:overdue", fee.ID), func(l *i18n.Localizer) (string, string) {
		day := func(d members.Date) string { return l.Date(d.Time(time.UTC)) }
		return l.T("admin_mail.fee_overdue.subject", "Name", m.FullName()),
			l.T("admin_mail.fee_overdue.text", "ID", fee.ID, "Name", m.FullName(), "Amount", l.Money(fee.Amount, fee.Currency),
				"Due", day(fee.DueOn), "From", day(fee.PeriodStart), "To", day(fee.PeriodEnd), "Link", link)
	})
}
