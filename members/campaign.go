package members

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CampaignStatus is where a campaign stands: planned (waiting for its start), running
// (audience frozen, notices going out), then completed, cancelled or failed.
type CampaignStatus string

// The campaign statuses.
const (
	CampaignPlanned   CampaignStatus = "planned"
	CampaignRunning   CampaignStatus = "running"
	CampaignCompleted CampaignStatus = "completed"
	CampaignCancelled CampaignStatus = "cancelled"
	CampaignFailed    CampaignStatus = "failed"
)

// Finished reports whether the campaign will send nothing more.
func (s CampaignStatus) Finished() bool {
	return s == CampaignCompleted || s == CampaignCancelled || s == CampaignFailed
}

// The channels a campaign sends on, as notices name them.
const (
	CampaignEmail = "email"
	CampaignSMS   = "sms"
)

// Recipient statuses: a frozen recipient row starts pending and ends sent, failed or
// skipped (no consent or no contact when the audience was frozen, or when the notice went out).
const (
	RecipientPending = "pending"
	RecipientSent    = "sent"
	RecipientFailed  = "failed"
	RecipientSkipped = "skipped"
)

// CampaignInstanceID is the orchestration instance of campaign id: one per campaign, so a
// retry of the failed recipients, being a campaign of its own, has an id and keys of its own.
func CampaignInstanceID(id int64) string { return "campaign:" + strconv.FormatInt(id, 10) }

// CampaignNoticeKey is the notice key of one campaign message (DESIGN.md, "Notices and their
// keys"): sending it twice sends it once.
func CampaignNoticeKey(campaignID, memberID int64, channel string) string {
	return fmt.Sprintf("campaign:%d:member:%d:%s", campaignID, memberID, channel)
}

// Campaign is a message to a selection of members on one or two channels, sent now or at
// StartAt. Counts caches how far it got; AudienceSize is the number of members frozen at start.
type Campaign struct {
	ID           int64            `json:"id"`
	Name         string           `json:"name"`
	Channels     CampaignChannels `json:"channels"`
	Audience     CampaignAudience `json:"audience"`
	Subject      string           `json:"subject"`
	Message      string           `json:"message"`
	StartAt      time.Time        `json:"start_at"`
	Status       CampaignStatus   `json:"status"`
	InstanceID   string           `json:"instance_id"`
	ParentID     *int64           `json:"parent_id"`
	AudienceSize int              `json:"audience_size"`
	Counts       CampaignCounts   `json:"counts" gorm:"embedded"`
	Error        string           `json:"error"`
	// WaitingUntil is set while sends wait for a provider that refused them for a while: the
	// next attempt; WaitingReason is what the provider answered.
	WaitingUntil  *time.Time `json:"waiting_until,omitempty"`
	WaitingReason string     `json:"waiting_reason,omitempty"`
	// Approval is "" when none is needed, else awaiting, approved, rejected or expired;
	// ApprovalDeadline is when an awaiting one expires, ApprovedBy who decided.
	Approval         string     `json:"approval,omitempty"`
	ApprovalDeadline *time.Time `json:"approval_deadline,omitempty"`
	ApprovedBy       string     `json:"approved_by,omitempty"`
	ApprovedAt       *time.Time `json:"approved_at,omitempty"`
	ApprovalNote     string     `json:"approval_note,omitempty"`
	// MissedPolicy is what a start missed while the server was down does: send, skip or hold;
	// Missed says what happened ("" when the start was on time).
	MissedPolicy string `json:"missed_policy"`
	Missed       string `json:"missed,omitempty"`
	// SMSFallback: an SMS refused for good goes to the member by e-mail instead.
	SMSFallback bool `json:"sms_fallback" gorm:"column:sms_fallback"`
	// QuietUntil is set while the SMS wait for the quiet hours to end.
	QuietUntil *time.Time `json:"quiet_until,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Has reports whether the campaign sends on channel.
func (c *Campaign) Has(channel string) bool { return slices.Contains(c.Channels, channel) }

// CampaignCounts counts a campaign's notices (one per recipient and channel): Total planned,
// and how many were sent, failed for good and skipped. The rest are pending.
type CampaignCounts struct {
	Total   int `json:"total"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Done is how many notices need nothing more.
func (c CampaignCounts) Done() int { return c.Sent + c.Failed + c.Skipped }

// Pending is how many notices are still to go.
func (c CampaignCounts) Pending() int { return max(c.Total-c.Done(), 0) }

// Percent is the share done, 0–100.
func (c CampaignCounts) Percent() int {
	if c.Total == 0 {
		return 100
	}
	return c.Done() * 100 / c.Total
}

// Add sums two counts.
func (c CampaignCounts) Add(d CampaignCounts) CampaignCounts {
	return CampaignCounts{Total: c.Total + d.Total, Sent: c.Sent + d.Sent, Failed: c.Failed + d.Failed, Skipped: c.Skipped + d.Skipped}
}

// CampaignChannels lists a campaign's channels; stored as "email,sms".
type CampaignChannels []string

// Value stores the channels comma-separated.
func (c CampaignChannels) Value() (driver.Value, error) { return strings.Join(c, ","), nil }

// Scan reads comma-separated channels.
func (c *CampaignChannels) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("campaign channels: cannot scan %T", src)
	}
	*c = nil
	if s != "" {
		*c = strings.Split(s, ",")
	}
	return nil
}

// CampaignAudience selects a campaign's members with the member list's filters — the one
// Filter type, so every list filter works in an audience. It is frozen into recipients when the
// campaign starts, so ends_within_days counts from the start.
type CampaignAudience Filter

// Query is the member-list query of the audience.
func (a CampaignAudience) Query() ListQuery { return ListQuery{Filter: Filter(a)} }

// Value stores the audience as JSON.
func (a CampaignAudience) Value() (driver.Value, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan reads the audience's JSON.
func (a *CampaignAudience) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*a = CampaignAudience{}
		return nil
	default:
		return fmt.Errorf("campaign audience: cannot scan %T", src)
	}
	*a = CampaignAudience{}
	return json.Unmarshal(b, a)
}

// CampaignInput is what the form or the API gives to plan a campaign. StartAt nil (or a time
// already past) starts it now.
type CampaignInput struct {
	Name     string           `json:"name"`
	Channels []string         `json:"channels"`
	Audience CampaignAudience `json:"audience"`
	Subject  string           `json:"subject"`
	Message  string           `json:"message"`
	StartAt  *time.Time       `json:"start_at"`
	// MissedPolicy is send (the default), skip or hold; SMSFallback sends a refused SMS by e-mail.
	MissedPolicy string `json:"missed_policy,omitempty"`
	SMSFallback  bool   `json:"sms_fallback,omitempty"`
}

// What a campaign does when its start passed while the server was down (MissedPolicy), and
// what it did (Missed).
const (
	MissedSend     = "send"
	MissedSkip     = "skip"
	MissedHold     = "hold"
	MissedSentLate = "sent_late"
	MissedSkipped  = "skipped"
	MissedHeld     = "held"
)

// Approval states of a campaign.
const (
	ApprovalAwaiting = "awaiting"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalExpired  = "expired"
)

// CampaignRecipient is one frozen recipient on one channel, with the member's name for reports.
type CampaignRecipient struct {
	CampaignID int64  `json:"campaign_id"`
	MemberID   int64  `json:"member_id"`
	Channel    string `json:"channel"`
	Batch      int    `json:"batch"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	NoticeID   *int64 `json:"notice_id"`
	// Fallback is the channel that served the recipient instead ("email"), FallbackStatus its
	// outcome.
	Fallback       string `json:"fallback,omitempty"`
	FallbackStatus string `json:"fallback_status,omitempty"`
	// Delivery is the notice's state as the provider's webhooks left it (sent, delivered,
	// undeliverable), "" without a notice.
	Delivery  string `json:"delivery,omitempty" gorm:"->"`
	FirstName string `json:"first_name" gorm:"->"`
	LastName  string `json:"last_name" gorm:"->"`
}

// TableName is the recipients' table.
func (CampaignRecipient) TableName() string { return "campaign_recipients" }

// RecipientResult is what became of one recipient's notice.
type RecipientResult struct {
	MemberID int64
	Channel  string
	Status   string // RecipientSent, RecipientFailed or RecipientSkipped
	Reason   string
	NoticeID int64
	// Fallback is "email" when the SMS could not go and the e-mail went instead, with the
	// e-mail's outcome in FallbackStatus.
	Fallback       string
	FallbackStatus string
}

// CampaignFreeze is a frozen audience: AudienceSize members, Counts over their notices (the
// skipped ones already settled) and Batches batches numbered 1..Batches to send.
type CampaignFreeze struct {
	AudienceSize int            `json:"audience_size"`
	Counts       CampaignCounts `json:"counts"`
	Batches      int            `json:"batches"`
}

// Unreachable says why member m gets no campaign notice on channel, or "" when they can get
// one: the contact must be there and the member must have consented to the channel. The
// reasons are the sending activity's (activities.Send), which checks again when it sends.
func Unreachable(m *Member, channel string) string {
	switch {
	case m.ErasedAt != nil:
		return "member erased"
	case channel == CampaignEmail && m.Email == "":
		return "no e-mail address"
	case channel == CampaignEmail && !m.EmailConsent:
		return "no e-mail consent"
	case channel == CampaignSMS && m.Phone == "":
		return "no phone number"
	case channel == CampaignSMS && !m.SMSConsent:
		return "no sms consent"
	}
	return ""
}
