package workflows

import (
	"errors"
	"strconv"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// GradingInvitationName is the orchestrator of an exam's invitation round.
const GradingInvitationName = "GradingInvitation"

// GradingAnswerEvent is raised on a round's instance after a member answered (the web raises
// it once members.AnswerInvitation succeeded); its payload is not read: the round recounts.
const GradingAnswerEvent = "GradingAnswer"

// GradingInvitationVersion is the current code path of GradingInvitation (see version.go):
// version 0 is the first, recorded in testdata/grading_invitation_closed.json.
const GradingInvitationVersion = 0

// Activity names of an invitation round (activities.Gradings registers them).
const (
	InviteEligibleActivity         = "InviteEligible"
	SendGradingInvitationsActivity = "SendGradingInvitations"
	PlanGradingWaitsActivity       = "PlanGradingWaits"
	CountGradingAnswersActivity    = "CountGradingAnswers"
	SendGradingRemindersActivity   = "SendGradingReminders"
	CloseInvitationsActivity       = "CloseInvitations"
	CreateExamFeesActivity         = "CreateExamFees"
)

// GradingInvitationID is the instance id of an exam's round: one per exam.
func GradingInvitationID(examID int64) string {
	return "grading-invitation:" + strconv.FormatInt(examID, 10)
}

// GradingInvitationInput is a round's input.
type GradingInvitationInput struct {
	ExamID int64 `json:"exam_id"`
	// Version is the code path the round takes (GradingInvitationVersion when it started).
	Version int `json:"version,omitempty"`
}

// GradingCounts are a round's invitations by answer.
type GradingCounts struct {
	Invited  int `json:"invited"`
	Accepted int `json:"accepted"`
	Declined int `json:"declined"`
	NoAnswer int `json:"no_answer"`
	Pending  int `json:"pending"`
}

// GradingWaits is how long from now until the reminder (half-way to the deadline) and until
// the deadline, as an activity reckoned them from the exam and its clock; the orchestrator
// only adds them to its own replay-safe time.
type GradingWaits struct {
	Reminder time.Duration `json:"reminder"`
	Deadline time.Duration `json:"deadline"`
}

// GradingBatch asks for the invitations (or reminders) after After.
type GradingBatch struct {
	ExamID int64 `json:"exam_id"`
	After  int64 `json:"after"`
}

// GradingBatchResult is what one batch of sends did; Last is the last invitation it handled,
// Done that none is left.
type GradingBatchResult struct {
	Sent    int   `json:"sent"`
	Failed  int   `json:"failed"`
	Skipped int   `json:"skipped"`
	Last    int64 `json:"last"`
	Done    bool  `json:"done"`
}

// Stages of a round, its custom status's "stage".
const (
	GradingStageInviting  = "inviting"
	GradingStageWaiting   = "waiting"  // for answers until the reminder
	GradingStageReminded  = "reminded" // for answers until the deadline
	GradingStageClosed    = "closed"
	GradingStageNoneToAsk = "none_eligible"
)

// GradingInvitationStatus is a round's custom status: the stage, counts, and the reminder and
// deadline instants.
type GradingInvitationStatus struct {
	Stage string `json:"stage"`
	GradingCounts
	Sent       int       `json:"sent"`
	Reminded   int       `json:"reminded"`
	Fees       int       `json:"fees"`
	ReminderAt time.Time `json:"reminder_at,omitzero"`
	DeadlineAt time.Time `json:"deadline_at,omitzero"`
}

// GradingInvitation runs an exam's invitation round: it invites the members eligible on the
// exam day (once; the activity is idempotent), e-mails the invitations with their accept and
// decline links in batches, waits for answers until half-way to the deadline — every
// GradingAnswer event makes it recount through an activity so the exam page shows live
// counts — reminds those still silent, waits until the deadline, marks the silent no_answer
// and creates the exam fee of everyone who accepted. Waits are durable timers, so a restart
// loses none.
func GradingInvitation(ctx *task.OrchestrationContext) (any, error) {
	var in GradingInvitationInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	st := GradingInvitationStatus{Stage: GradingStageInviting}
	if err := call(ctx, InviteEligibleActivity, in.ExamID, &st.GradingCounts); err != nil {
		return nil, err
	}
	setStatus(ctx, st)
	if err := sendGradingBatches(ctx, SendGradingInvitationsActivity, in.ExamID, &st.Sent); err != nil {
		return nil, err
	}
	var waits GradingWaits
	if err := call(ctx, PlanGradingWaitsActivity, in.ExamID, &waits); err != nil {
		return nil, err
	}
	start := ctx.CurrentTimeUtc
	st.Stage, st.ReminderAt, st.DeadlineAt = GradingStageWaiting, start.Add(waits.Reminder), start.Add(waits.Deadline)
	setStatus(ctx, st)
	if err := awaitAnswers(ctx, in.ExamID, st.ReminderAt, &st); err != nil {
		return nil, err
	}
	if st.Pending > 0 {
		if err := sendGradingBatches(ctx, SendGradingRemindersActivity, in.ExamID, &st.Reminded); err != nil {
			return nil, err
		}
		st.Stage = GradingStageReminded
		setStatus(ctx, st)
		if err := awaitAnswers(ctx, in.ExamID, st.DeadlineAt, &st); err != nil {
			return nil, err
		}
	}
	if err := call(ctx, CloseInvitationsActivity, in.ExamID, &st.GradingCounts); err != nil {
		return nil, err
	}
	if err := call(ctx, CreateExamFeesActivity, in.ExamID, &st.Fees); err != nil {
		return nil, err
	}
	st.Stage = GradingStageClosed
	setStatus(ctx, st)
	return st, nil
}

// sendGradingBatches runs a send activity batch after batch and adds what went out to sent.
func sendGradingBatches(ctx *task.OrchestrationContext, activity string, examID int64, sent *int) error {
	for batch := (GradingBatch{ExamID: examID}); ; {
		var res GradingBatchResult
		if err := call(ctx, activity, batch, &res); err != nil {
			return err
		}
		*sent += res.Sent
		if res.Done {
			return nil
		}
		batch.After = res.Last
	}
}

// awaitAnswers waits for GradingAnswer events until until (or until nobody is left to answer),
// recounting after each.
func awaitAnswers(ctx *task.OrchestrationContext, examID int64, until time.Time, st *GradingInvitationStatus) error {
	for st.Pending > 0 {
		left := until.Sub(ctx.CurrentTimeUtc)
		if left <= 0 {
			return nil
		}
		err := ctx.WaitForSingleEvent(GradingAnswerEvent, left).Await(nil)
		if errors.Is(err, task.ErrTaskCanceled) {
			return nil // the time is up
		}
		if err != nil {
			return err
		}
		if err := call(ctx, CountGradingAnswersActivity, examID, &st.GradingCounts); err != nil {
			return err
		}
		setStatus(ctx, st)
	}
	return nil
}

// RegisterGradings adds the invitation round's orchestrator to r.
func RegisterGradings(r *task.TaskRegistry) error {
	return r.AddOrchestratorN(GradingInvitationName, GradingInvitation)
}
