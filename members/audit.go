package members

import (
	"strconv"
	"time"
)

// Actors name who made a change in the audit log.
const ActorSystem = "system"

// UserActor names a signed-in user.
func UserActor(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// TokenActor names an API token.
func TokenActor(tokenID int64) string { return "token:" + strconv.FormatInt(tokenID, 10) }

// WorkflowActor names an orchestration instance.
func WorkflowActor(instanceID string) string { return "workflow:" + instanceID }

// The audit actions. An "update" row names one changed field with its old and new value.
const (
	ActionCreate      = "create"
	ActionUpdate      = "update"
	ActionArchive     = "archive"
	ActionRestore     = "restore"
	ActionGrading     = "grading"
	ActionFeePaid     = "fee_paid"
	ActionFeeOverdue  = "fee_overdue"
	ActionPlanCreate  = "plan_create"
	ActionPhoneVerify = "phone_verified"
	ActionEmailVerify = "email_verified"
)

// AuditEntry is one row of the audit log. MemberID is nil for changes to no member (a plan).
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	MemberID *int64    `json:"member_id"`
	Action   string    `json:"action"`
	Field    string    `json:"field"`
	OldValue string    `json:"old_value" gorm:"column:old_value"`
	NewValue string    `json:"new_value" gorm:"column:new_value"`
}

// TableName is the audit log's table.
func (AuditEntry) TableName() string { return "audit_log" }

// AuditQuery pages through the audit log, newest first; MemberID 0 means every member.
type AuditQuery struct {
	MemberID int64 `json:"member_id"`
	Page     int   `json:"page"`
	PerPage  int   `json:"per_page"`
}
