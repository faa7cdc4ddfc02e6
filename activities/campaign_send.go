package activities

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"membership/members"
	"membership/workflows"
)

// DefaultSendConcurrency is how many sends a batch has in flight at once. Providers answer in
// tens of milliseconds, so a batch that sent one message at a time would spend its life
// waiting; with the task hub running a few batches side by side, a handful each keeps a
// provider busy without flooding the app database's single writer.
const DefaultSendConcurrency = 8

// cancelCheckEvery is how many sends a batch makes between looks at whether its campaign was
// cancelled meanwhile.
const cancelCheckEvery = 25

// sendBatch sends the notices of one batch that are still pending and records what became of
// them. During quiet hours its SMS stay pending and QuietFor says how long until they may go.
// A transient send error is returned after the other results are recorded, so the retry
// sends only what is left; a permanent one settles the recipient as failed.
func (a *Campaigns) sendBatch(ctx context.Context, in workflows.CampaignBatchInput) (workflows.CampaignBatchResult, error) {
	c, err := a.Members.GetCampaign(ctx, in.CampaignID)
	if err != nil {
		return workflows.CampaignBatchResult{}, err
	}
	if c.Status != members.CampaignRunning {
		bc, err := a.Members.CampaignBatchCounts(ctx, c.ID, in.Batch)
		return workflows.CampaignBatchResult{Counts: counts(bc), Stopped: true}, err
	}
	rows, err := a.Members.PendingCampaignRecipients(ctx, c.ID, in.Batch)
	if err != nil {
		return workflows.CampaignBatchResult{}, err
	}
	var out workflows.CampaignBatchResult
	if c.Has(members.CampaignSMS) {
		if out.QuietFor = a.quietFor(); out.QuietFor > 0 {
			rows = slices.DeleteFunc(rows, func(r members.CampaignRecipient) bool { return r.Channel == members.CampaignSMS })
		}
	}
	results, sendErr := a.sendAll(ctx, c, rows)
	if err := a.Members.RecordCampaignResults(ctx, c.ID, results); err != nil {
		return workflows.CampaignBatchResult{}, err
	}
	if sendErr != nil {
		return workflows.CampaignBatchResult{}, sendErr
	}
	bc, err := a.Members.CampaignBatchCounts(ctx, c.ID, in.Batch)
	out.Counts = counts(bc)
	return out, err
}

// quietFor is how long the quiet hours still last, or 0 outside them.
func (a *Campaigns) quietFor() time.Duration {
	loc := a.Location
	if loc == nil {
		loc = time.UTC
	}
	now := clockOr(a.Now).In(loc)
	return a.QuietHours.End(now).Sub(now)
}

// sendAll sends rows' notices, Concurrency at a time, and returns the results of those that
// were settled and the first transient error. It stops early when the campaign is cancelled.
func (a *Campaigns) sendAll(ctx context.Context, c *members.Campaign, rows []members.CampaignRecipient) ([]members.RecipientResult, error) {
	var (
		mu       sync.Mutex
		results  = make([]members.RecipientResult, 0, len(rows))
		firstErr error
		wg       sync.WaitGroup
		jobs     = make(chan members.CampaignRecipient)
	)
	workers := a.Concurrency
	if workers <= 0 {
		workers = DefaultSendConcurrency
	}
	for range min(workers, len(rows)) {
		wg.Go(func() {
			for r := range jobs {
				res, err := a.Notices.Send(ctx, campaignNotice(c, r))
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					results = append(results, members.RecipientResult{MemberID: r.MemberID, Channel: r.Channel,
						Status: res.Status, Reason: res.Reason, NoticeID: res.NoticeID})
				}
				mu.Unlock()
			}
		})
	}
	for i, r := range rows {
		if i > 0 && i%cancelCheckEvery == 0 && a.cancelled(ctx, c.ID) {
			break
		}
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	return results, firstErr
}

// campaignNotice is the notice of campaign c to recipient r.
func campaignNotice(c *members.Campaign, r members.CampaignRecipient) NoticeRequest {
	return NoticeRequest{
		Key:      members.CampaignNoticeKey(c.ID, r.MemberID, r.Channel),
		MemberID: r.MemberID, Channel: r.Channel, Purpose: PurposeCampaign, Template: TemplateCampaign,
		Subject: c.Subject, Body: c.Message, CampaignID: c.ID,
	}
}

// cancelled reports whether the campaign stopped running since the batch began; a failed look
// counts as still running (the batch is short, and the next look will tell).
func (a *Campaigns) cancelled(ctx context.Context, id int64) bool {
	c, err := a.Members.GetCampaign(ctx, id)
	if err != nil {
		loggerOr(a.Log).Warn("check campaign status", slog.Int64("campaign_id", id), slog.Any("error", err))
		return false
	}
	return c.Status != members.CampaignRunning
}
