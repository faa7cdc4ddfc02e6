// Package activities holds the side effects orchestrators ask for: database
// writes and sends. Each area has its own struct with its dependencies and its
// own Register method; every activity is idempotent.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/microsoft/durabletask-go/task"

	"membership/members"
	"membership/notify"
)

// Activity names of the sending contract, scheduled by orchestrators by name.
const (
	SendSMSActivity   = "SendSMS"
	SendEmailActivity = "SendEmail"
)

// Channels of a notice.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Purposes of a notice: they decide consent and the template set.
const (
	PurposeVerification = "verification"
	PurposeWelcome      = "welcome"
	PurposeReminder     = "reminder"
	PurposeCampaign     = "campaign"
	PurposeAdmin        = "admin"
)

// Results of a send.
const (
	ResultSent    = "sent"
	ResultFailed  = "failed"
	ResultSkipped = "skipped"
)

// NoticeRequest is one message to one member on one channel, the input of the
// SendSMS and SendEmail activities.
type NoticeRequest struct {
	// Key is unique per message, "<purpose>:<subject>:member:<id>:<channel>"
	// (DESIGN.md, "Notices and their keys"); a second send with the same key
	// sends nothing.
	Key      string `json:"key"`
	MemberID int64  `json:"member_id"`
	// Channel is "sms" or "email".
	Channel string `json:"channel"`
	// Purpose is "verification", "welcome", "reminder", "campaign" or "admin".
	Purpose string `json:"purpose"`
	// Template names the message text: "phone_code", "email_link", "welcome",
	// "fee_reminder", "fee_overdue", or "campaign" (then Subject and Body are
	// given).
	Template string `json:"template"`
	// Subject and Body are free text for campaigns: templates over the member's
	// fields ({{.FirstName}} …).
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
	// Vars are extra template variables that read the same in every language (code, link).
	Vars map[string]string `json:"vars,omitempty"`
	// Values are template variables each language writes its own way (amount, due_on,
	// period, expires_in), worded in the member's language when the notice is rendered.
	Values map[string]Value `json:"values,omitempty"`
	// Secrets names the Vars masked in the stored copy (the SMS code).
	Secrets []string `json:"secrets,omitempty"`
	// Transactional notices (verification codes and links) need no consent.
	Transactional bool `json:"transactional,omitempty"`
	// Guardian sends an e-mail about a minor to their guardian's address when there is one
	// (an exam invitation, a direct debit's pre-notification: the parents decide and pay).
	Guardian bool `json:"guardian,omitempty"`
	// To is a number or address to send to instead of the member's own: a portal change's new
	// one, or the address typed at sign-in (perhaps a guardian's). It is never serialised, so
	// it never reaches an activity's input in a task hub history; only the activities that
	// make a code (and send it themselves) set it.
	To string `json:"-"`
	// CampaignID is 0 unless the notice belongs to a campaign.
	CampaignID int64 `json:"campaign_id,omitempty"`
}

// NoticeResult is what became of a NoticeRequest.
type NoticeResult struct {
	NoticeID int64 `json:"notice_id"`
	// Status is "sent", "failed" or "skipped".
	Status string `json:"status"`
	// Reason says why a notice failed or was skipped.
	Reason string `json:"reason,omitempty"`
}

// Notices sends messages to members and keeps the notice ledger.
type Notices struct {
	Members *members.Store
	SMS     notify.SMSSender
	Email   notify.EmailSender
	// SMSProvider and EmailProvider name the providers in the ledger
	// ("twilio", "sendgrid", "smtp", "outbox").
	SMSProvider   string
	EmailProvider string
	// EmailFrom is the sender of every e-mail ("My Dojo <dojo@example.org>").
	EmailFrom string
	// Texts renders the messages; nil means the embedded English texts.
	Texts *Texts
	// Admins lists the active admin users TellAdmins writes to.
	Admins func(ctx context.Context) ([]Admin, error)
	Log    *slog.Logger
	// Journal, when set, keeps a campaign batch's send outcomes in a file as they come, and the
	// batch writes them to the database once (see SendJournal): for a process that owns its
	// data folder (SQLite). Nil: they go to the database settleEvery at a time.
	Journal *SendJournal

	defaultTexts sync.Once
}

// Admin is an admin user as TellAdmins needs them.
type Admin struct {
	ID    int64
	Email string
	Name  string
	// Language is the admin's UI language, which their e-mails are in too; "" is the club's.
	Language string
}

// Register adds the SendSMS and SendEmail activities to r.
func (n *Notices) Register(r *task.TaskRegistry) error {
	return n.RegisterWith(r, nil)
}

// RegisterWith is Register with each activity passed through wrap first (web.Metrics.Activity
// times them); a nil wrap registers them as they are.
func (n *Notices) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{SendSMSActivity, n.sendActivity(ChannelSMS)},
		namedActivity{SendEmailActivity, n.sendActivity(ChannelEmail)},
	)
}

// sendActivity is SendSMS or SendEmail: it takes a NoticeRequest and answers a
// NoticeResult.
func (n *Notices) sendActivity(channel string) task.Activity {
	return func(ctx task.ActivityContext) (any, error) {
		var req NoticeRequest
		if err := ctx.GetInput(&req); err != nil {
			return nil, fmt.Errorf("read notice request: %w", err)
		}
		req.Channel = channel
		return n.Send(ctx.Context(), req)
	}
}
