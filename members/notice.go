package members

import "time"

// NoticeStatus is where a notice stands: queued (recorded, not yet handed to a provider),
// sending (handed over, answer not yet recorded), sent (the provider accepted it), delivered or
// undeliverable (the provider's delivery report), failed (refused for good), skipped (not sent:
// no consent, no contact).
type NoticeStatus string

// The notice statuses.
const (
	NoticeQueued        NoticeStatus = "queued"
	NoticeSending       NoticeStatus = "sending"
	NoticeSent          NoticeStatus = "sent"
	NoticeDelivered     NoticeStatus = "delivered"
	NoticeFailed        NoticeStatus = "failed"
	NoticeUndeliverable NoticeStatus = "undeliverable"
	NoticeSkipped       NoticeStatus = "skipped"
)

// Done reports whether the notice needs no more sending: the provider has it, or it was
// refused or skipped for good.
func (s NoticeStatus) Done() bool { return s != NoticeQueued && s != NoticeSending }

// ActionSMSOptOut is the audit action of an SMS consent withdrawn by a reply such as STOP.
const ActionSMSOptOut = "sms_opt_out"

// Notice is one message to a member (MemberID nil: to an admin) on one channel, the ledger row
// that makes sending idempotent. Key is unique: "<purpose>:<subject>:member:<id>:<channel>".
// Body is the text as sent, with secrets (an SMS code) masked.
type Notice struct {
	ID                int64        `json:"id"`
	Key               string       `json:"key"`
	MemberID          *int64       `json:"member_id"`
	CampaignID        *int64       `json:"campaign_id"`
	Purpose           string       `json:"purpose"`
	Channel           string       `json:"channel"`
	Template          string       `json:"template"`
	Subject           string       `json:"subject"`
	Body              string       `json:"body"`
	Provider          string       `json:"provider"`
	ProviderMessageID string       `json:"provider_message_id"`
	Status            NoticeStatus `json:"status"`
	ErrorCode         string       `json:"error_code"`
	ErrorMessage      string       `json:"error_message"`
	Attempts          int          `json:"attempts"`
	CreatedAt         time.Time    `json:"created_at"`
	UpdatedAt         time.Time    `json:"updated_at"`
	SentAt            *time.Time   `json:"sent_at"`
	DeliveredAt       *time.Time   `json:"delivered_at"`
}

// NoticeCounts counts a campaign's notices by status.
type NoticeCounts map[NoticeStatus]int64

// Total is the number of notices counted.
func (c NoticeCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}
