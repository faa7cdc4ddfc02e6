package members

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// The notice ledger in bulk, for sending a campaign's batch: the same rows and rules as
// ClaimNotice, MarkNoticeSending and MarkNoticeSent/Failed/RecordNoticeError, but one
// transaction for many notices instead of one per notice and step — on SQLite, with its one
// writer, the commits are what limits how many notices a second go out.

// ClaimNotices inserts each of rows whose key is absent, marks the notices under sendKeys that
// are not done "sending" (counting the attempt), and returns every notice under the rows'
// keys as it is then stored, by key. Rows inserted with a final status (skipped, failed) stay
// as given.
//
// On a batch's first attempt none of its keys exists yet, so a row to send is inserted
// "sending" with its attempt counted — what marking it after the insert would store — and
// answered from what was inserted, with the id the INSERT returns. Only the keys stored before
// (a batch run again) are marked and read back: the first attempt takes one statement instead
// of three, and no longer reads every body it just wrote.
func (s *Store) ClaimNotices(ctx context.Context, rows []Notice, sendKeys []string) (map[string]*Notice, error) {
	if len(rows) == 0 {
		return map[string]*Notice{}, nil
	}
	now := s.now()
	send := make(map[string]bool, len(sendKeys))
	for _, k := range sendKeys {
		send[k] = true
	}
	// first is each key's first row: a key given twice is inserted from its first row, the
	// one the database kept when both went into the INSERT.
	first := make(map[string]int, len(rows))
	ins := make([]Notice, len(rows))
	for i := range rows {
		rows[i].ID, rows[i].CreatedAt, rows[i].UpdatedAt = 0, now, now
		if rows[i].Status == "" {
			rows[i].Status = NoticeQueued
		}
		if _, dup := first[rows[i].Key]; dup {
			continue
		}
		first[rows[i].Key] = i
		ins[i] = rows[i]
		if send[rows[i].Key] && !ins[i].Status.Done() {
			ins[i].Status, ins[i].Attempts = NoticeSending, ins[i].Attempts+1
		}
	}
	out := make(map[string]*Notice, len(rows))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		inserted := make(map[string]bool, len(rows))
		for start := 0; start < len(rows); start += noticeChunk {
			if err := insertNotices(tx, ins, rows[start:min(start+noticeChunk, len(rows))], start, first, inserted); err != nil {
				return fmt.Errorf("insert: %w", err)
			}
		}
		var mark []string
		for _, k := range sendKeys {
			if !inserted[k] {
				mark = append(mark, k)
			}
		}
		if len(mark) > 0 {
			err := tx.Model(&Notice{}).Where("key IN ? AND status IN ?", mark, []NoticeStatus{NoticeQueued, NoticeSending}).
				Updates(map[string]any{"status": NoticeSending, "attempts": gorm.Expr("attempts + 1"), "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("mark sending: %w", err)
			}
		}
		var back []string
		for k, i := range first {
			if inserted[k] {
				out[k] = &ins[i]
			} else {
				back = append(back, k)
			}
		}
		if len(back) == 0 {
			return nil
		}
		var stored []Notice
		if err := tx.Where("key IN ?", back).Find(&stored).Error; err != nil {
			return fmt.Errorf("read back: %w", err)
		}
		for i := range stored {
			out[stored[i].Key] = &stored[i]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim %d notices: %w", len(rows), err)
	}
	return out, nil
}

// noticeChunk is how many notices one INSERT writes: 18 parameters each, 3,600 in all, far
// below both databases' limits (SQLite 32,766, PostgreSQL 65,535).
const noticeChunk = 200

// insertNoticesSQL starts the INSERT of notices (written by hand, see store_insert.go); one row
// of noticeParams placeholders per notice and insertNoticesEnd follow. Every column is
// written, as GORM's Create did.
const (
	insertNoticesSQL = `INSERT INTO notices ("key", member_id, campaign_id, purpose, channel, template, subject, body,
	provider, provider_message_id, status, error_code, error_message, attempts, created_at, updated_at, sent_at,
	delivered_at) VALUES `
	insertNoticesEnd = ` ON CONFLICT ("key") DO NOTHING RETURNING id, "key"`
	noticeParams     = 18
)

// insertNotices inserts ins[first[k]] for the key k of each of chunk (rows from index start)
// whose row that is, skipping the keys stored already, and records in ins the id of each row
// inserted and its key in inserted.
func insertNotices(tx *gorm.DB, ins, chunk []Notice, start int, first map[string]int, inserted map[string]bool) error {
	args := make([]any, 0, len(chunk)*noticeParams)
	for j := range chunk {
		i := start + j
		if first[chunk[j].Key] != i {
			continue // a key given twice: its first row is inserted
		}
		n := &ins[i]
		args = append(args, n.Key, n.MemberID, n.CampaignID, n.Purpose, n.Channel, n.Template, n.Subject, n.Body,
			n.Provider, n.ProviderMessageID, n.Status, n.ErrorCode, n.ErrorMessage, n.Attempts, n.CreatedAt, n.UpdatedAt,
			n.SentAt, n.DeliveredAt)
	}
	if len(args) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(insertNoticesSQL)
	writeValues(&b, len(args)/noticeParams, noticeParams, dollarPlaceholders(tx))
	b.WriteString(insertNoticesEnd)
	res, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, b.String(), args...)
	if err != nil {
		return translated(tx, err)
	}
	defer res.Close()
	for res.Next() {
		var id int64
		var key string
		if err := res.Scan(&id, &key); err != nil {
			return err
		}
		ins[first[key]].ID = id
		inserted[key] = true
	}
	return translated(tx, res.Err())
}

// NoticeOutcome is what became of one send: Status NoticeSent with the provider's message id,
// NoticeFailed (refused for good) or NoticeQueued (failed in a way a retry may mend), with the
// error's code and message.
type NoticeOutcome struct {
	ID                int64
	Status            NoticeStatus
	ProviderMessageID string
	ErrorCode         string
	ErrorMessage      string
}

// settleNoticeSQL records one outcome on a notice still queued or sending; a notice already
// done keeps what it has.
const settleNoticeSQL = `
UPDATE notices SET status = ?, error_code = ?, error_message = ?, updated_at = ?
WHERE id = ? AND status IN ('queued', 'sending')`

// settleSentSQL records many sent notices in one statement; %s is the CASE giving each its
// provider's message id.
const settleSentSQL = `
UPDATE notices SET status = 'sent', provider_message_id = %s, error_code = '', error_message = '', sent_at = ?, updated_at = ?
WHERE id IN ? AND status IN ('queued', 'sending')`

// SettleNotices records the outcomes of sends in one transaction: the sent ones in one
// statement, the others one by one.
func (s *Store) SettleNotices(ctx context.Context, outcomes []NoticeOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	now := s.now()
	var sent []NoticeOutcome
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, o := range outcomes {
			if o.Status == NoticeSent {
				sent = append(sent, o)
				continue
			}
			if err := tx.Exec(settleNoticeSQL, o.Status, o.ErrorCode, o.ErrorMessage, now, o.ID).Error; err != nil {
				return fmt.Errorf("notice %d: %w", o.ID, err)
			}
		}
		if len(sent) == 0 {
			return nil
		}
		expr, args := caseOf("id", "TEXT", sent, func(o NoticeOutcome) (any, any) { return o.ID, o.ProviderMessageID })
		ids := make([]int64, len(sent))
		for i, o := range sent {
			ids[i] = o.ID
		}
		return tx.Exec(fmt.Sprintf(settleSentSQL, expr), append(args, now, now, ids)...).Error
	})
	if err != nil {
		return fmt.Errorf("settle %d notices: %w", len(outcomes), err)
	}
	return nil
}

// MembersByID reads the members with the given ids, by id; ids of no member are left out.
func (s *Store) MembersByID(ctx context.Context, ids []int64) (map[int64]*Member, error) {
	ms, err := s.byIDs(s.db.WithContext(ctx), ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*Member, len(ms))
	for i := range ms {
		out[ms[i].ID] = &ms[i]
	}
	return out, nil
}
