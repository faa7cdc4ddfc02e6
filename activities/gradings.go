package activities

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/workflows"
)

// Templates of the grading invitation round.
const (
	templateGradingInvitation = "grading_invitation"
	templateGradingReminder   = "grading_reminder"
)

// gradingBatch is how many invitations one activity sends: a step per batch keeps the round's
// history short, and a crash repeats at most one batch.
const gradingBatch = 250

// GradingNoticeKey is the notice key of an exam invitation.
func GradingNoticeKey(examID, memberID int64) string {
	return fmt.Sprintf("grading:%d:member:%d:email", examID, memberID)
}

// GradingReminderKey is the notice key of an exam invitation's reminder.
func GradingReminderKey(examID, memberID int64) string {
	return fmt.Sprintf("grading-reminder:%d:member:%d:email", examID, memberID)
}

// Gradings holds the side effects of the GradingInvitation workflow.
type Gradings struct {
	Members *members.Store
	Notices *Notices
	// BaseURL is server.base_url, where the answer links point.
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// NewGradings builds the grading activities from the configuration.
func NewGradings(cfg *config.Config, store *members.Store, notices *Notices, log *slog.Logger) *Gradings {
	return &Gradings{Members: store, Notices: notices, BaseURL: cfg.Server.BaseURL, Log: log}
}

// Register adds the grading activities to r.
func (g *Gradings) Register(r *task.TaskRegistry) error { return g.RegisterWith(r, nil) }

// RegisterWith is Register with each activity passed through wrap first; nil registers them as
// they are.
func (g *Gradings) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{workflows.InviteEligibleActivity, activity(g.invite)},
		namedActivity{workflows.SendGradingInvitationsActivity, activity(g.sendInvitations)},
		namedActivity{workflows.PlanGradingWaitsActivity, activity(g.planWaits)},
		namedActivity{workflows.CountGradingAnswersActivity, activity(g.count)},
		namedActivity{workflows.SendGradingRemindersActivity, activity(g.sendReminders)},
		namedActivity{workflows.CloseInvitationsActivity, activity(g.close)},
		namedActivity{workflows.CreateExamFeesActivity, activity(g.createFees)},
	)
}

func gradingCounts(c members.InvitationCounts) workflows.GradingCounts {
	return workflows.GradingCounts{Invited: c.Invited, Accepted: c.Accepted, Declined: c.Declined, NoAnswer: c.NoAnswer, Pending: c.Pending}
}

func (g *Gradings) invite(ctx context.Context, examID int64) (workflows.GradingCounts, error) {
	c, err := g.Members.InviteEligible(ctx, examID)
	return gradingCounts(c), err
}

func (g *Gradings) count(ctx context.Context, examID int64) (workflows.GradingCounts, error) {
	c, err := g.Members.InvitationCounts(ctx, examID)
	return gradingCounts(c), err
}

// planWaits reckons the reminder (half-way from now to the deadline) and the deadline.
func (g *Gradings) planWaits(ctx context.Context, examID int64) (workflows.GradingWaits, error) {
	e, err := g.Members.GetExam(ctx, examID)
	if err != nil {
		return workflows.GradingWaits{}, err
	}
	left := max(e.Deadline.Sub(clockOr(g.Now)), 0)
	return workflows.GradingWaits{Reminder: left / 2, Deadline: left}, nil
}

// sendInvitations e-mails the next batch of an exam's invitations. Once the last batch is
// out, the exam waits for answers.
func (g *Gradings) sendInvitations(ctx context.Context, in workflows.GradingBatch) (workflows.GradingBatchResult, error) {
	invs, err := g.Members.ExamInvitations(ctx, in.ExamID, in.After, gradingBatch)
	if err != nil {
		return workflows.GradingBatchResult{}, err
	}
	res, err := g.send(ctx, in, invs, templateGradingInvitation, GradingNoticeKey)
	if err == nil && res.Done {
		err = g.Members.MarkInvitationsSent(ctx, in.ExamID)
	}
	return res, err
}

// sendReminders e-mails the invitations still without an answer once more.
func (g *Gradings) sendReminders(ctx context.Context, in workflows.GradingBatch) (workflows.GradingBatchResult, error) {
	all, err := g.Members.PendingInvitations(ctx, in.ExamID)
	if err != nil {
		return workflows.GradingBatchResult{}, err
	}
	var invs []members.ExamInvitation
	for _, inv := range all {
		if inv.ID > in.After && len(invs) < gradingBatch {
			invs = append(invs, inv)
		}
	}
	res, err := g.send(ctx, in, invs, templateGradingReminder, GradingReminderKey)
	if err != nil {
		return res, err
	}
	ids := make([]int64, len(invs))
	for i, inv := range invs {
		ids[i] = inv.ID
	}
	return res, g.Members.MarkReminded(ctx, ids)
}

// send e-mails one batch. The notice goes to the member's own address: the notices machinery
// addresses a member, not their guardian (activities/notice_send.go reads the member's
// e-mail), so a minor's invitation reaches the guardian only where the member's record holds
// the guardian's address. Invitations are marked transactional: they answer the member's
// training progress and carry a personal link, like a verification link, not advertising.
func (g *Gradings) send(ctx context.Context, in workflows.GradingBatch, invs []members.ExamInvitation, template string, key func(examID, memberID int64) string) (workflows.GradingBatchResult, error) {
	out := workflows.GradingBatchResult{Last: in.After, Done: len(invs) < gradingBatch}
	if len(invs) == 0 {
		return out, nil
	}
	e, err := g.Members.GetExam(ctx, in.ExamID)
	if err != nil {
		return out, err
	}
	base := strings.TrimRight(g.BaseURL, "/") + "/grading/answer/"
	reqs := make([]NoticeRequest, len(invs))
	for i, inv := range invs {
		reqs[i] = NoticeRequest{
			Key: key(e.ID, inv.MemberID), MemberID: inv.MemberID, Channel: ChannelEmail, Purpose: PurposeReminder,
			Template: template, Transactional: true, Guardian: true,
			Vars:    map[string]string{"exam": e.Name, "rank": inv.TargetRank, "link": base + inv.AnswerToken},
			Values:  map[string]Value{"exam_on": Day(e.ExamOn), "deadline": Day(members.DateOf(e.Deadline)), "fee": Money(e.FeeAmount, e.Currency)},
			Secrets: []string{"link"},
		}
	}
	results, sendErr := g.Notices.sendBatch(ctx, reqs, DefaultSendConcurrency)
	for _, r := range results {
		switch r.Status {
		case ResultSent:
			out.Sent++
		case ResultFailed:
			out.Failed++
		case ResultSkipped:
			out.Skipped++
		}
	}
	if sendErr != nil {
		return out, sendErr
	}
	out.Last = invs[len(invs)-1].ID
	return out, nil
}

func (g *Gradings) close(ctx context.Context, examID int64) (workflows.GradingCounts, error) {
	if _, err := g.Members.MarkNoAnswer(ctx, examID); err != nil {
		return workflows.GradingCounts{}, err
	}
	return g.count(ctx, examID)
}

func (g *Gradings) createFees(ctx context.Context, examID int64) (int, error) {
	n, err := g.Members.CreateExamFees(ctx, examID)
	if err == nil {
		loggerOr(g.Log).Info("exam fees created", slog.Int64("exam", examID), slog.Int("fees", n))
	}
	return n, err
}
