package workflows

import (
	"errors"
	"strconv"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// ErasureRequestName is the orchestrator of a member's erasure request (GDPR Art. 17): the
// admins decide it, a human step with a deadline.
const ErasureRequestName = "ErasureRequest"

// ErasureDecisionEvent is raised on a request's instance with an ErasureDecision once an admin
// confirmed or rejected it (the web records the decision first, then raises it).
const ErasureDecisionEvent = "ErasureDecision"

// ErasureRequestVersion is the current code path of ErasureRequest (see version.go): version 0
// is the first, recorded in testdata/erasure_request_*.json.
const ErasureRequestVersion = 0

// defaultErasureWait is the deadline of an instance started without one (through the
// management API): the month the GDPR gives, as members.ErasureDeadline.
const defaultErasureWait = 30 * 24 * time.Hour

// Activity names of an erasure request (activities.Erasures registers them).
const (
	TellAdminsErasureRequestedActivity = "TellAdminsErasureRequested"
	RemindAdminsErasureActivity        = "RemindAdminsErasure"
	MarkErasureOverdueActivity         = "MarkErasureOverdue"
	DecideErasureActivity              = "DecideErasure"
	EraseRequestedMemberActivity       = "EraseRequestedMember"
	TellMemberErasureRejectedActivity  = "TellMemberErasureRejected"
)

// ErasureRequestID is the instance id of erasure request requestID. It must not contain
// "member:<id>": the erasure purges every instance whose id does, and this one runs it.
func ErasureRequestID(requestID int64) string {
	return "erasure-request:" + strconv.FormatInt(requestID, 10)
}

// ErasureRequestInput is a request's input: ids only, and the deadline its starter set.
type ErasureRequestInput struct {
	RequestID int64     `json:"request_id"`
	MemberID  int64     `json:"member_id"`
	Deadline  time.Time `json:"deadline"`
	// Version is the code path the request takes (ErasureRequestVersion when it started).
	Version int `json:"version,omitempty"`
}

// ErasureDecision is the payload of ErasureDecisionEvent: who decided, and how. The web
// records the decision with its reason first and raises it without: the history keeps no text
// an admin wrote about the member. Raised by hand (the management API) on an undecided
// request, a rejection carries its reason.
type ErasureDecision struct {
	Confirm bool   `json:"confirm"`
	Actor   string `json:"actor"`
	Reason  string `json:"reason,omitempty"`
}

// ErasureStep is the input of DecideErasure: the request and the decision to record.
type ErasureStep struct {
	RequestID int64           `json:"request_id"`
	Decision  ErasureDecision `json:"decision"`
}

// What MarkErasureOverdue answers of a request decided meanwhile (members.ErasureConfirmed
// and members.ErasureRejected); anything else leaves it overdue.
const (
	ErasureConfirmed = "confirmed"
	ErasureRejected  = "rejected"
)

// States of a request, its custom status's "state" and the orchestrator's output.
const (
	ErasureStateWaiting  = "waiting"  // for a decision until the reminder
	ErasureStateReminded = "reminded" // for a decision until the deadline
	ErasureStateOverdue  = "overdue"  // the deadline passed; still decidable on its page
	ErasureStateErased   = "erased"
	ErasureStateRejected = "rejected"
)

// ErasureRequestStatus is a request's custom status.
type ErasureRequestStatus struct {
	State      string    `json:"state"`
	ReminderAt time.Time `json:"reminder_at,omitzero"`
	DeadlineAt time.Time `json:"deadline_at,omitzero"`
}

// ErasureRequest carries a member's erasure request to its decision: it tells the admins
// (an e-mail with the link to the request's page), waits for ErasureDecision until half-way to
// the deadline, reminds them once, waits until the deadline. A confirmation erases the member
// (an activity: the web's erasure, which purges the member's other workflows but not this
// one); a rejection is recorded and the member told why. At the deadline without a decision
// the request is marked overdue and the admins told; it ends then, and the request's page
// still confirms (erasing at once) or rejects.
func ErasureRequest(ctx *task.OrchestrationContext) (any, error) {
	var in ErasureRequestInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	start := ctx.CurrentTimeUtc
	if in.Deadline.IsZero() {
		in.Deadline = start.Add(defaultErasureWait)
	}
	st := ErasureRequestStatus{State: ErasureStateWaiting, ReminderAt: start.Add(in.Deadline.Sub(start) / 2), DeadlineAt: in.Deadline}
	setStatus(ctx, st)
	if err := call(ctx, TellAdminsErasureRequestedActivity, in.RequestID, nil); err != nil {
		return nil, err
	}
	d, decided, err := awaitErasureDecision(ctx, st.ReminderAt)
	if err == nil && !decided {
		if err := call(ctx, RemindAdminsErasureActivity, in.RequestID, nil); err != nil {
			return nil, err
		}
		st.State = ErasureStateReminded
		setStatus(ctx, st)
		d, decided, err = awaitErasureDecision(ctx, st.DeadlineAt)
	}
	if err != nil {
		return nil, err
	}
	if !decided {
		// The deadline passed; a decision made meanwhile on the request's page (which finds
		// no one waiting) is what the activity answers, and is carried out here.
		var stored string
		if err := call(ctx, MarkErasureOverdueActivity, in.RequestID, &stored); err != nil {
			return nil, err
		}
		if stored != ErasureConfirmed && stored != ErasureRejected {
			st.State = ErasureStateOverdue
			setStatus(ctx, st)
			return st.State, nil
		}
		return finishErasure(ctx, in.RequestID, stored == ErasureConfirmed, st)
	}
	// The store has the last word: a decision recorded before this one stands, and the
	// activity answers it.
	var confirmed bool
	if err := call(ctx, DecideErasureActivity, ErasureStep{RequestID: in.RequestID, Decision: d}, &confirmed); err != nil {
		return nil, err
	}
	return finishErasure(ctx, in.RequestID, confirmed, st)
}

// finishErasure carries out a decided request: the erasure, or the member told why not.
func finishErasure(ctx *task.OrchestrationContext, requestID int64, confirmed bool, st ErasureRequestStatus) (any, error) {
	next, state := TellMemberErasureRejectedActivity, ErasureStateRejected
	if confirmed {
		next, state = EraseRequestedMemberActivity, ErasureStateErased
	}
	if err := call(ctx, next, requestID, nil); err != nil {
		return nil, err
	}
	st.State = state
	setStatus(ctx, st)
	return st.State, nil
}

// awaitErasureDecision waits for ErasureDecisionEvent until until; decided is false when the
// time ran out first.
func awaitErasureDecision(ctx *task.OrchestrationContext, until time.Time) (d ErasureDecision, decided bool, err error) {
	left := until.Sub(ctx.CurrentTimeUtc)
	if left <= 0 {
		return d, false, nil
	}
	err = ctx.WaitForSingleEvent(ErasureDecisionEvent, left).Await(&d)
	if errors.Is(err, task.ErrTaskCanceled) {
		return d, false, nil
	}
	return d, err == nil, err
}

// RegisterErasures adds the erasure request's orchestrator to r.
func RegisterErasures(r *task.TaskRegistry) error {
	return r.AddOrchestratorN(ErasureRequestName, ErasureRequest)
}
