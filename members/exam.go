package members

import "time"

// ExamStatus is where a grading exam's invitation round stands.
type ExamStatus string

// The exam statuses, in the order an exam goes through them.
const (
	ExamPlanned   ExamStatus = "planned"  // created, nobody invited yet
	ExamInviting  ExamStatus = "inviting" // invitations are going out
	ExamWaiting   ExamStatus = "waiting"  // waiting for answers until the deadline
	ExamClosed    ExamStatus = "closed"   // the deadline passed; fees are created
	ExamCancelled ExamStatus = "cancelled"
)

// Exam is one grading date: who is eligible on ExamOn is invited, may answer until Deadline,
// and those who accept owe FeeAmount.
type Exam struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	ExamOn     Date       `json:"exam_on"`
	FeeAmount  int64      `json:"rank_fee_amount" gorm:"column:rank_fee_amount"`
	Currency   string     `json:"currency"`
	Deadline   time.Time  `json:"deadline"`
	Status     ExamStatus `json:"status"`
	InstanceID string     `json:"instance_id"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ExamInput is what an admin enters for a new exam.
type ExamInput struct {
	Name      string    `json:"name"`
	ExamOn    Date      `json:"exam_on"`
	FeeAmount int64     `json:"rank_fee_amount"`
	Currency  string    `json:"currency"`
	Deadline  time.Time `json:"deadline"`
}

// InvitationStatus is a member's answer to an exam invitation.
type InvitationStatus string

// The invitation statuses.
const (
	InvitationInvited  InvitationStatus = "invited"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationDeclined InvitationStatus = "declined"
	InvitationNoAnswer InvitationStatus = "no_answer" // the deadline passed without an answer
)

// Exam results.
const (
	ResultPassed = "passed"
	ResultFailed = "failed"
)

// ExamInvitation invites one member to one exam for TargetRank. AnswerToken is the random
// secret of the accept/decline link.
type ExamInvitation struct {
	ID          int64            `json:"id"`
	ExamID      int64            `json:"exam_id"`
	MemberID    int64            `json:"member_id"`
	TargetRank  string           `json:"target_rank"`
	Status      InvitationStatus `json:"status"`
	AnswerToken string           `json:"-"`
	AnsweredAt  *time.Time       `json:"answered_at"`
	RemindedAt  *time.Time       `json:"reminded_at"`
	FeeID       *int64           `json:"fee_id"`
	Result      string           `json:"result"`
	ResultAt    *time.Time       `json:"result_at"`
}

// InvitationCounts counts an exam's invitations by answer.
type InvitationCounts struct {
	Invited  int `json:"invited"` // all invitations, whatever their answer
	Accepted int `json:"accepted"`
	Declined int `json:"declined"`
	NoAnswer int `json:"no_answer"`
	Pending  int `json:"pending"` // still without an answer
}
