package members

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"membership/db"
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
	inserts := noticeInserts(s.db, ins, rows, first)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		inserted := make(map[string]bool, len(rows))
		for _, st := range inserts {
			// The INSERT returns the id and key of each row it inserted, none for the keys
			// stored already.
			err := st.EachKey(tx, func(id int64, key string) {
				ins[first[key]].ID = id
				inserted[key] = true
			})
			if err != nil {
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

// insertNoticesSQL starts the INSERT of notices (written by hand, see db/raw.go); one row
// of 18 placeholders per notice and insertNoticesEnd follow. Every column is written, as
// GORM's Create did.
const (
	insertNoticesSQL = `INSERT INTO notices ("key", member_id, campaign_id, purpose, channel, template, subject, body,
	provider, provider_message_id, status, error_code, error_message, attempts, created_at, updated_at, sent_at,
	delivered_at) VALUES `
	insertNoticesEnd = ` ON CONFLICT ("key") DO NOTHING RETURNING id, "key"`
)

// noticeInserts are the INSERTs of ins[first[k]] for the key k of each of rows, noticeChunk
// rows each, built before the transaction: a key given twice is inserted from its first row.
func noticeInserts(gdb *gorm.DB, ins, rows []Notice, first map[string]int) []*db.Statement {
	var stmts []*db.Statement
	b := db.NewRows(gdb, insertNoticesSQL, insertNoticesEnd, noticeChunk)
	for i := range rows {
		if first[rows[i].Key] != i {
			continue
		}
		r := &ins[i]
		full := b.Add(r.Key, r.MemberID, r.CampaignID, r.Purpose, r.Channel, r.Template, r.Subject, r.Body,
			r.Provider, r.ProviderMessageID, r.Status, r.ErrorCode, r.ErrorMessage, r.Attempts, r.CreatedAt, r.UpdatedAt,
			r.SentAt, r.DeliveredAt)
		if full != nil {
			stmts = append(stmts, full)
		}
	}
	if rest := b.Rest(); rest != nil {
		stmts = append(stmts, rest)
	}
	return stmts
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

// SettleNotices records the outcomes of sends in one transaction: the sent ones in one
// statement, the others one by one. The statements are built before the transaction (see
// db/raw.go), so the database's writer waits only for SQLite.
func (s *Store) SettleNotices(ctx context.Context, outcomes []NoticeOutcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	stmts := s.settleStatements(outcomes)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, st := range stmts {
			if _, err := st.Exec(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("settle %d notices: %w", len(outcomes), err)
	}
	return nil
}

// settleStatements are the UPDATEs recording outcomes on notices still queued or sending (a
// notice already done keeps what it has): one per notice not sent, then one for all the sent,
// a CASE giving each its provider's message id.
func (s *Store) settleStatements(outcomes []NoticeOutcome) []*db.Statement {
	now := s.now()
	var stmts []*db.Statement
	var sent []NoticeOutcome
	for _, o := range outcomes {
		if o.Status == NoticeSent {
			sent = append(sent, o)
			continue
		}
		stmts = append(stmts, db.NewStatement(s.db, "UPDATE notices SET status = ").Arg(o.Status).
			Text(", error_code = ").Arg(o.ErrorCode).Text(", error_message = ").Arg(o.ErrorMessage).
			Text(", updated_at = ").Arg(now).Text(" WHERE id = ").Arg(o.ID).Text(" AND status IN ('queued', 'sending')"))
	}
	if len(sent) == 0 {
		return stmts
	}
	st := db.NewStatement(s.db, "UPDATE notices SET status = 'sent', provider_message_id = ")
	caseOf(st, "id", "TEXT", sent, func(o NoticeOutcome) (any, any) { return o.ID, o.ProviderMessageID })
	st.Text(", error_code = '', error_message = '', sent_at = ").Arg(now).Text(", updated_at = ").Arg(now).Text(" WHERE id IN ")
	db.ListOf(st, sent, func(o NoticeOutcome) any { return o.ID })
	st.Text(" AND status IN ('queued', 'sending')")
	return append(stmts, st)
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
