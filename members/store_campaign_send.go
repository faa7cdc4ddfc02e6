package members

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// PendingCampaignRecipients lists the recipients of one batch whose notice is still to go, in
// member order.
//
// The query names only campaign_id and batch and reads only the columns of the batch index
// (campaign_id, batch, status, then the key): with an ORDER BY, a status condition or another
// column, SQLite takes the primary key for campaign_id alone (WITHOUT ROWID, it saves the
// lookups) and PostgreSQL, before its statistics on a fresh audience, campaign_recipients_status —
// both read every recipient of the campaign for each batch, quadratic in the audience (100,000
// recipients sent at a third of the rate of 10,000). The batch's few settled rows are dropped
// and the rest sorted here; a pending recipient has no reason nor notice yet.
func (s *Store) PendingCampaignRecipients(ctx context.Context, campaignID int64, batch int) ([]CampaignRecipient, error) {
	var rows []CampaignRecipient
	err := s.db.WithContext(ctx).Select("campaign_id, member_id, channel, batch, status").
		Where("campaign_id = ? AND batch = ?", campaignID, batch).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list batch %d of campaign %d: %w", batch, campaignID, err)
	}
	rows = slices.DeleteFunc(rows, func(r CampaignRecipient) bool { return r.Status != RecipientPending })
	slices.SortFunc(rows, func(a, b CampaignRecipient) int {
		return cmp.Or(cmp.Compare(a.MemberID, b.MemberID), strings.Compare(a.Channel, b.Channel))
	})
	return rows, nil
}

// recordResultSQL settles one pending recipient; a settled one stays as it is, so a batch
// that runs again cannot turn a sent notice into a failed one.
const recordResultSQL = `
UPDATE campaign_recipients SET status = ?, reason = ?, notice_id = ?, updated_at = ?
WHERE campaign_id = ? AND member_id = ? AND channel = ? AND status = 'pending'`

// recordSentSQL settles the pending recipients of one channel whose notices went out, in one
// statement; %s is the CASE giving each member's notice id.
const recordSentSQL = `
UPDATE campaign_recipients SET status = 'sent', reason = '', notice_id = %s, updated_at = ?
WHERE campaign_id = ? AND channel = ? AND status = 'pending' AND member_id IN ?`

// addCountsSQL adds to a campaign's counts cache what a batch settled.
const addCountsSQL = `UPDATE campaigns SET sent = sent + ?, failed = failed + ?, skipped = skipped + ?, updated_at = ? WHERE id = ?`

// RecordCampaignResults settles recipients of campaign id and adds them to its counts, in one
// transaction: the sent ones of each channel in one statement, the rest one by one. Only
// recipients still pending count, so recording a result twice counts it once.
func (s *Store) RecordCampaignResults(ctx context.Context, id int64, results []RecipientResult) error {
	if len(results) == 0 {
		return nil
	}
	now := s.now()
	sent := map[string][]RecipientResult{}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var add CampaignCounts
		for _, r := range results {
			if r.Status == RecipientSent {
				sent[r.Channel] = append(sent[r.Channel], r)
				continue
			}
			var notice *int64
			if r.NoticeID != 0 {
				notice = &r.NoticeID
			}
			res := tx.Exec(recordResultSQL, r.Status, r.Reason, notice, now, id, r.MemberID, r.Channel)
			if res.Error != nil {
				return res.Error
			}
			add = add.Add(countOf(r.Status, int(res.RowsAffected)))
			if r.Fallback != "" && res.RowsAffected > 0 {
				err := tx.Model(&CampaignRecipient{}).Where("campaign_id = ? AND member_id = ? AND channel = ?", id, r.MemberID, r.Channel).
					Updates(map[string]any{"fallback": r.Fallback, "fallback_status": r.FallbackStatus}).Error
				if err != nil {
					return err
				}
			}
		}
		for _, ch := range []string{CampaignEmail, CampaignSMS} {
			rs := sent[ch]
			if len(rs) == 0 {
				continue
			}
			expr, args := caseOf("member_id", "BIGINT", rs, func(r RecipientResult) (any, any) { return r.MemberID, r.NoticeID })
			ids := make([]int64, len(rs))
			for i, r := range rs {
				ids[i] = r.MemberID
			}
			res := tx.Exec(fmt.Sprintf(recordSentSQL, expr), append(args, now, id, ch, ids)...)
			if res.Error != nil {
				return res.Error
			}
			add.Sent += int(res.RowsAffected)
		}
		return tx.Exec(addCountsSQL, add.Sent, add.Failed, add.Skipped, now, id).Error
	})
	if err != nil {
		return fmt.Errorf("record results of campaign %d: %w", id, err)
	}
	return nil
}

// countOf counts n recipients of status.
func countOf(status string, n int) CampaignCounts {
	switch status {
	case RecipientSent:
		return CampaignCounts{Sent: n}
	case RecipientFailed:
		return CampaignCounts{Failed: n}
	case RecipientSkipped:
		return CampaignCounts{Skipped: n}
	}
	return CampaignCounts{}
}

// caseOf builds "CASE column WHEN ? THEN CAST(? AS typ) … END" over items with its arguments:
// one statement sets a value of its own on each row. The cast tells PostgreSQL the type of
// the values, which it would otherwise take for text.
func caseOf[T any](column, typ string, items []T, pair func(T) (when, then any)) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(items))
	b.WriteString("CASE " + column)
	for _, it := range items {
		w, t := pair(it)
		b.WriteString(" WHEN ? THEN CAST(? AS " + typ + ")")
		args = append(args, w, t)
	}
	b.WriteString(" END")
	return b.String(), args
}

// FailCampaignBatch marks the recipients of a batch still pending failed with reason: the
// batch gave up on them (its retries ran out). Appending an empty string to status keeps
// PostgreSQL, before its statistics, from reading all the campaign's pending recipients through
// campaign_recipients_status instead of the batch's through campaign_recipients_batch (see
// PendingCampaignRecipients) — when the provider is down every batch comes here.
func (s *Store) FailCampaignBatch(ctx context.Context, id int64, batch int, reason string) error {
	now := s.now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&CampaignRecipient{}).Where("campaign_id = ? AND batch = ? AND status || '' = ?", id, batch, RecipientPending).
			Updates(map[string]any{"status": RecipientFailed, "reason": reason, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		return tx.Exec(addCountsSQL, 0, res.RowsAffected, 0, now, id).Error
	})
	if err != nil {
		return fmt.Errorf("fail batch %d of campaign %d: %w", batch, id, err)
	}
	return nil
}

// CampaignBatchCounts counts one batch's recipients by outcome.
func (s *Store) CampaignBatchCounts(ctx context.Context, id int64, batch int) (CampaignCounts, error) {
	c, err := s.countRecipients(s.db.WithContext(ctx).Where("batch = ?", batch), id)
	if err != nil {
		return CampaignCounts{}, fmt.Errorf("count batch %d of campaign %d: %w", batch, id, err)
	}
	return c, nil
}

// countRecipients counts campaign id's recipients that tx selects, by status.
func (s *Store) countRecipients(tx *gorm.DB, id int64) (CampaignCounts, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := tx.Model(&CampaignRecipient{}).Select("status, COUNT(*) AS n").Where("campaign_id = ?", id).Group("status").Scan(&rows).Error
	if err != nil {
		return CampaignCounts{}, err
	}
	var c CampaignCounts
	for _, r := range rows {
		c.Total += r.N
		switch r.Status {
		case RecipientSent:
			c.Sent = r.N
		case RecipientFailed:
			c.Failed = r.N
		case RecipientSkipped:
			c.Skipped = r.N
		}
	}
	return c, nil
}

// refreshCampaignCounts recounts the campaign's recipients into its counts cache.
func (s *Store) refreshCampaignCounts(tx *gorm.DB, id int64) error {
	c, err := s.countRecipients(tx.Session(&gorm.Session{NewDB: true}), id)
	if err != nil {
		return fmt.Errorf("count recipients of campaign %d: %w", id, err)
	}
	err = tx.Model(&Campaign{}).Where("id = ?", id).Updates(map[string]any{
		"total": c.Total, "sent": c.Sent, "failed": c.Failed, "skipped": c.Skipped, "updated_at": s.now(),
	}).Error
	if err != nil {
		return fmt.Errorf("store counts of campaign %d: %w", id, err)
	}
	return nil
}
