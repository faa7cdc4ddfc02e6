package members

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The notice ledger in bulk, for sending a campaign's batch: the same rows and rules as
// ClaimNotice, MarkNoticeSending and MarkNoticeSent/Failed/RecordNoticeError, but one
// transaction for many notices instead of one per notice and step — on SQLite, with its one
// writer, the commits are what limits how many notices a second go out.

// ClaimNotices inserts each of rows whose key is absent, marks the notices under sendKeys that
// are not done "sending" (counting the attempt), and returns every notice under the rows'
// keys as it is then stored, by key. Rows inserted with a final status (skipped, failed) stay
// as given.
func (s *Store) ClaimNotices(ctx context.Context, rows []Notice, sendKeys []string) (map[string]*Notice, error) {
	if len(rows) == 0 {
		return map[string]*Notice{}, nil
	}
	now := s.now()
	keys := make([]string, len(rows))
	for i := range rows {
		rows[i].ID, rows[i].CreatedAt, rows[i].UpdatedAt = 0, now, now
		if rows[i].Status == "" {
			rows[i].Status = NoticeQueued
		}
		keys[i] = rows[i].Key
	}
	out := make(map[string]*Notice, len(rows))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoNothing: true}).
			Omit("ID").CreateInBatches(&rows, 200).Error
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if len(sendKeys) > 0 {
			err = tx.Model(&Notice{}).Where("key IN ? AND status IN ?", sendKeys, []NoticeStatus{NoticeQueued, NoticeSending}).
				Updates(map[string]any{"status": NoticeSending, "attempts": gorm.Expr("attempts + 1"), "updated_at": now}).Error
			if err != nil {
				return fmt.Errorf("mark sending: %w", err)
			}
		}
		var stored []Notice
		if err := tx.Where("key IN ?", keys).Find(&stored).Error; err != nil {
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
