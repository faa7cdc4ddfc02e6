package members

import "time"

// TrainingGroup is a class that trains together on a weekly schedule ("Kinder", "Erwachsene").
type TrainingGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Schedule is the weekly plan as people write it: "Mo 17:00, Do 17:00".
	Schedule  string    `json:"schedule"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName is the groups' table.
func (TrainingGroup) TableName() string { return "training_groups" }

// GroupMember puts a member into a training group.
type GroupMember struct {
	GroupID  int64 `json:"group_id"`
	MemberID int64 `json:"member_id"`
}

// Attendance is one training of one member in one group on one day.
type Attendance struct {
	ID         int64     `json:"id"`
	GroupID    int64     `json:"group_id"`
	MemberID   int64     `json:"member_id"`
	TrainedOn  Date      `json:"trained_on"`
	RecordedBy string    `json:"recorded_by"`
	CreatedAt  time.Time `json:"created_at"`
	// ClientKey is the check-in page's key of one tap (nil when recorded otherwise): the page
	// resends a failed tap with the same key, and the store answers the row it already has.
	ClientKey *string `json:"client_key,omitempty"`
}
