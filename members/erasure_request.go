package members

import (
	"strconv"
	"time"
)

// Audit actions of erasure requests; each row names the request in Field
// ("erasure_request:12"), a rejection its reason in NewValue.
const (
	ActionErasureRequested = "erasure_requested"
	ActionErasureConfirmed = "erasure_confirmed"
	ActionErasureRejected  = "erasure_rejected"
	ActionErasureOverdue   = "erasure_overdue"
)

// ErasureStatus is where an erasure request stands.
type ErasureStatus string

// The states of an erasure request. Pending and overdue are open: an admin may still confirm
// or reject; overdue says the deadline passed first.
const (
	ErasurePending   ErasureStatus = "pending"
	ErasureOverdue   ErasureStatus = "overdue"
	ErasureConfirmed ErasureStatus = "confirmed"
	ErasureRejected  ErasureStatus = "rejected"
)

// Open reports whether an admin may still decide a request in this state.
func (s ErasureStatus) Open() bool { return s == ErasurePending || s == ErasureOverdue }

// ErasureDeadline is how long the club has to answer an erasure request: the GDPR asks for an
// answer without undue delay and at the latest within one month (Art. 12(3)).
const ErasureDeadline = 30 * 24 * time.Hour

// ErasureRequest is a member's request to be erased (GDPR Art. 17), which an admin confirms
// (the member is then erased) or rejects with a reason (a duty to keep records, say).
type ErasureRequest struct {
	ID         int64         `json:"id"`
	MemberID   int64         `json:"member_id"`
	InstanceID string        `json:"instance_id"`
	Status     ErasureStatus `json:"status"`
	// RequestedBy is the actor who asked: the member ("member:7") or a guardian.
	RequestedBy string     `json:"requested_by"`
	RequestedAt time.Time  `json:"requested_at"`
	Deadline    time.Time  `json:"deadline"`
	DecidedBy   string     `json:"decided_by"`
	DecidedAt   *time.Time `json:"decided_at"`
	// Reason is why a request was rejected.
	Reason string `json:"reason"`
	// ErasedAt is when the erasure of a confirmed request ran.
	ErasedAt *time.Time `json:"erased_at"`
}

// TableName is the table of erasure requests.
func (ErasureRequest) TableName() string { return "erasure_requests" }

// ErasureRequestRow is a request with the name of its member, for the admins' list.
type ErasureRequestRow struct {
	ErasureRequest
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

func erasureRef(id int64) string { return "erasure_request:" + strconv.FormatInt(id, 10) }
