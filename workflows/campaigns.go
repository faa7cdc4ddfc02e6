package workflows

import (
	"errors"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// Orchestrator names of the campaign area.
const (
	RenewalCampaignName = "RenewalCampaign"
	CampaignBatchName   = "CampaignBatch"
)

// Activity names of the campaign area (activities.Campaigns registers them).
const (
	SelectCampaignAudienceActivity = "SelectCampaignAudience"
	SendCampaignNoticesActivity    = "SendCampaignNotices"
	FailCampaignBatchActivity      = "FailCampaignBatch"
	FinishCampaignActivity         = "FinishCampaign"
	NoteCampaignWaitingActivity    = "NoteCampaignWaiting"
	// Version 1 of RenewalCampaign: approval and missed starts.
	RequestCampaignApprovalActivity = "RequestCampaignApproval"
	TellCampaignApproversActivity   = "TellCampaignApprovers"
	EndUnapprovedCampaignActivity   = "EndUnapprovedCampaign"
	NoteCampaignMissedActivity      = "NoteCampaignMissed"
)

// Events a RenewalCampaign (version 1) waits for: an admin's approval or rejection, and an
// admin's decision on a campaign held because its start was missed.
const (
	CampaignApprovalEvent = "CampaignApproval"
	CampaignReleaseEvent  = "CampaignRelease"
)

// CampaignDecision is the payload of CampaignApproval (Approve) and CampaignRelease (Approve
// means send now, else skip); By names the admin.
type CampaignDecision struct {
	Approve bool   `json:"approve"`
	By      string `json:"by,omitempty"`
}

// CampaignApproval is what RequestCampaignApproval answers: whether the campaign waits for
// approval, until when, and the state it has (awaiting, approved, rejected, expired).
type CampaignApproval struct {
	Needed   bool      `json:"needed"`
	Deadline time.Time `json:"deadline"`
	State    string    `json:"state"`
}

// CampaignMissed records what a campaign did about a missed start.
type CampaignMissed struct {
	CampaignID int64  `json:"campaign_id"`
	Missed     string `json:"missed"` // sent_late, skipped, held
}

// missedGrace is how late a start may be before it counts as missed: a restart or a busy
// worker delays timers by seconds, a server down at the planned time by far more.
const missedGrace = 15 * time.Minute

// Bounds of a campaign's fan-out: how many batches run at once, and how many one execution
// of RenewalCampaign handles before it continues as new. Each batch adds a handful of events
// to the parent's history, so a generation's history stays near 200 events for any audience.
const (
	campaignWindow     = 8
	campaignGeneration = 32
)

// CampaignCounts count a campaign's notices (one per recipient and channel).
type CampaignCounts struct {
	Total   int `json:"total"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Add sums two counts.
func (c CampaignCounts) Add(d CampaignCounts) CampaignCounts {
	return CampaignCounts{Total: c.Total + d.Total, Sent: c.Sent + d.Sent, Failed: c.Failed + d.Failed, Skipped: c.Skipped + d.Skipped}
}

// RenewalCampaignInput is a campaign's input, and its state from one generation to the next.
// StartAt is the planned start; Run, Batches, Next and Counts are set once the audience is
// frozen.
type RenewalCampaignInput struct {
	CampaignID int64     `json:"campaign_id"`
	StartAt    time.Time `json:"start_at"`
	// Run names this run's batch instances, so a campaign restarted from the monitor makes
	// new ones instead of colliding with the old.
	Run     string         `json:"run,omitempty"`
	Batches int            `json:"batches,omitempty"`
	Next    int            `json:"next,omitempty"` // the first batch of this generation
	Counts  CampaignCounts `json:"counts"`
	// ProviderWait is the batches' first wait for a provider that keeps refusing (0: the
	// default).
	ProviderWait time.Duration `json:"provider_wait,omitempty"`
	// Version is the code path (RenewalCampaignVersion when it started; see version.go), and
	// MissedPolicy (send, skip, hold) what version 1 does about a start missed by more than
	// missedGrace.
	Version      int    `json:"version,omitempty"`
	MissedPolicy string `json:"missed_policy,omitempty"`
	// MissedGrace is how late a start may be before it counts as missed (0: missedGrace).
	MissedGrace time.Duration `json:"missed_grace,omitempty"`
}

// AudienceFrozen is what SelectCampaignAudience answers: sizes and counts, never the members,
// so the orchestration's history stays small whatever the audience.
type AudienceFrozen struct {
	AudienceSize int            `json:"audience_size"`
	Counts       CampaignCounts `json:"counts"`
	Batches      int            `json:"batches"`
	// Cancelled: the campaign was cancelled before it started; nothing was frozen.
	Cancelled bool `json:"cancelled,omitempty"`
}

// CampaignBatchInput names one batch of a campaign.
type CampaignBatchInput struct {
	CampaignID int64  `json:"campaign_id"`
	Batch      int    `json:"batch"`
	Reason     string `json:"reason,omitempty"` // FailCampaignBatch: why the batch gave up
	// Version is the batch's code path (CampaignBatchVersion when its campaign scheduled it;
	// see version.go). ProviderWait is its first wait for a provider that keeps refusing
	// (DefaultProviderWait when 0).
	Version      int           `json:"version,omitempty"`
	ProviderWait time.Duration `json:"provider_wait,omitempty"`
}

// CampaignWaiting is what NoteCampaignWaiting records on the campaign: its sends wait for the
// provider until Until because of Reason; a zero Until clears it.
type CampaignWaiting struct {
	CampaignID int64     `json:"campaign_id"`
	Until      time.Time `json:"until,omitzero"`
	Reason     string    `json:"reason,omitempty"`
}

// DefaultProviderWait is the first wait of a batch whose provider still refuses after the
// send retries; each further wait doubles, up to maxProviderWait, and after providerPatience
// in all the batch gives up. A provider down for an hour costs about a dozen attempts.
const (
	DefaultProviderWait = 30 * time.Second
	maxProviderWait     = 5 * time.Minute
	providerPatience    = 24 * time.Hour
)

// CampaignBatchResult is a batch's counts after a send. QuietFor > 0 means its SMS wait for
// the end of the quiet hours (its e-mails went out); Stopped means the campaign is no longer
// running (cancelled) and the batch sent nothing.
type CampaignBatchResult struct {
	Counts   CampaignCounts `json:"counts"`
	QuietFor time.Duration  `json:"quiet_for,omitempty"`
	Stopped  bool           `json:"stopped,omitempty"`
}

// FinishCampaignInput ends a campaign: completed, or failed with Error.
type FinishCampaignInput struct {
	CampaignID int64  `json:"campaign_id"`
	Error      string `json:"error,omitempty"`
}

// CampaignStatus is a campaign's custom status: its counts so far, plus where it stands.
type CampaignStatus struct {
	// planned, awaiting_approval, not_approved, held, skipped, running, quiet,
	// waiting_for_provider, completed, cancelled, failed
	State string `json:"state"`
	// Reason and RetryAt say, while waiting_for_provider, what the provider answered and when
	// the next attempt is.
	Reason  string    `json:"reason,omitempty"`
	RetryAt time.Time `json:"retry_at,omitzero"`
	StartAt time.Time `json:"start_at,omitzero"`
	// ExpiresAt is, while awaiting_approval, when the approval expires; QuietUntil, while quiet,
	// when the SMS may go.
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	QuietUntil time.Time `json:"quiet_until,omitzero"`
	CampaignCounts
	Batches int `json:"batches,omitempty"`
	Done    int `json:"batches_done,omitempty"`
}

// RegisterCampaigns adds the campaign area's orchestrators to r.
func RegisterCampaigns(r *task.TaskRegistry) error {
	return errors.Join(
		r.AddOrchestratorN(RenewalCampaignName, RenewalCampaign),
		r.AddOrchestratorN(CampaignBatchName, CampaignBatch),
	)
}

// providerRetryPolicy is the retry policy of a campaign batch's sends from version 1 on: a few
// quick attempts for a provider's hiccup; a longer outage is the batch's durable wait.
func providerRetryPolicy() *task.RetryPolicy {
	return &task.RetryPolicy{MaxAttempts: 3, InitialRetryInterval: time.Second, BackoffCoefficient: 2}
}

// SendRetryPolicy is the retry policy orchestrators give activities that send (SendSMS,
// SendEmail, a campaign batch's sends): a transient provider error (a timeout, a 5xx, a 429) is
// retried with backoff — for a batch, only the notices still pending; a permanent one never
// reaches it, since the send settles it as a "failed" result.
func SendRetryPolicy() *task.RetryPolicy {
	return &task.RetryPolicy{
		MaxAttempts:          5,
		InitialRetryInterval: time.Second,
		BackoffCoefficient:   2,
		MaxRetryInterval:     time.Minute,
	}
}
