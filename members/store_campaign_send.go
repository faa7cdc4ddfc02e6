package members

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"membership/db"
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

// RecordCampaignResults settles recipients of campaign id and adds them to its counts, in one
// transaction: the sent ones of each channel in one statement, the rest one by one. Only
// recipients still pending count, so recording a result twice counts it once: a settled
// recipient stays as it is, and a batch that runs again cannot turn a sent notice into a
// failed one. The statements are built before the transaction (see db/raw.go).
func (s *Store) RecordCampaignResults(ctx context.Context, id int64, results []RecipientResult) error {
	if len(results) == 0 {
		return nil
	}
	now := s.now()
	type settle struct {
		r        RecipientResult
		stmt     *db.Statement
		fallback *db.Statement
	}
	var each []settle
	sent := map[string][]RecipientResult{}
	for _, r := range results {
		if r.Status == RecipientSent {
			sent[r.Channel] = append(sent[r.Channel], r)
			continue
		}
		var notice *int64
		if r.NoticeID != 0 {
			notice = &r.NoticeID
		}
		e := settle{r: r, stmt: db.NewStatement(s.db, "UPDATE campaign_recipients SET status = ").Arg(r.Status).
			Text(", reason = ").Arg(r.Reason).Text(", notice_id = ").Arg(notice).Text(", updated_at = ").Arg(now).
			Text(" WHERE campaign_id = ").Arg(id).Text(" AND member_id = ").Arg(r.MemberID).
			Text(" AND channel = ").Arg(r.Channel).Text(" AND status = 'pending'")}
		if r.Fallback != "" {
			e.fallback = db.NewStatement(s.db, "UPDATE campaign_recipients SET fallback = ").Arg(r.Fallback).
				Text(", fallback_status = ").Arg(r.FallbackStatus).Text(" WHERE campaign_id = ").Arg(id).
				Text(" AND member_id = ").Arg(r.MemberID).Text(" AND channel = ").Arg(r.Channel)
		}
		each = append(each, e)
	}
	var sentStmts []*db.Statement
	for _, ch := range []string{CampaignEmail, CampaignSMS} {
		rs := sent[ch]
		if len(rs) == 0 {
			continue
		}
		st := db.NewStatement(s.db, "UPDATE campaign_recipients SET status = 'sent', reason = '', notice_id = ")
		caseOf(st, "member_id", "BIGINT", rs, func(r RecipientResult) (any, any) { return r.MemberID, r.NoticeID })
		st.Text(", updated_at = ").Arg(now).Text(" WHERE campaign_id = ").Arg(id).Text(" AND channel = ").Arg(ch).
			Text(" AND status = 'pending' AND member_id IN ")
		db.ListOf(st, rs, func(r RecipientResult) any { return r.MemberID })
		sentStmts = append(sentStmts, st)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var add CampaignCounts
		for _, e := range each {
			n, err := affected(e.stmt.Exec(tx))
			if err != nil {
				return err
			}
			add = add.Add(countOf(e.r.Status, int(n)))
			if e.fallback != nil && n > 0 {
				if _, err := e.fallback.Exec(tx); err != nil {
					return err
				}
			}
		}
		for _, st := range sentStmts {
			n, err := affected(st.Exec(tx))
			if err != nil {
				return err
			}
			add.Sent += int(n)
		}
		return tx.Exec(addCountsSQL, add.Sent, add.Failed, add.Skipped, now, id).Error
	})
	if err != nil {
		return fmt.Errorf("record results of campaign %d: %w", id, err)
	}
	return nil
}

// addCountsSQL adds to a campaign's counts cache what a batch settled.
const addCountsSQL = `UPDATE campaigns SET sent = sent + ?, failed = failed + ?, skipped = skipped + ?, updated_at = ? WHERE id = ?`

// affected is the number of rows a statement changed, or its error.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
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

// caseOf appends "CASE column WHEN ? THEN CAST(? AS typ) … END" over items to st: one
// statement sets a value of its own on each row. The cast tells PostgreSQL the type of the
// values, which it would otherwise take for text.
func caseOf[T any](st *db.Statement, column, typ string, items []T, pair func(T) (when, then any)) {
	st.Text("CASE " + column)
	for _, it := range items {
		w, t := pair(it)
		st.Text(" WHEN ").Arg(w).Text(" THEN CAST(").Arg(t).Text(" AS " + typ + ")")
	}
	st.Text(" END")
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
