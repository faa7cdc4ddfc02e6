package outbox

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"membership/db"
)

// GormStore keeps messages in the app database's outbox_messages table
// (created by the app's migrations). It is safe for concurrent use.
type GormStore struct {
	db *gorm.DB
}

// NewGormStore returns a GormStore on db.
func NewGormStore(db *gorm.DB) *GormStore {
	return &GormStore{db: db}
}

// row is one outbox_messages row.
type row struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Channel   string    `gorm:"column:channel"`
	ToAddr    string    `gorm:"column:to_addr"`
	Subject   string    `gorm:"column:subject"`
	Body      string    `gorm:"column:body"`
	HTML      string    `gorm:"column:html"`
	Key       *string   `gorm:"column:idempotency_key"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName tells GORM the table.
func (row) TableName() string { return "outbox_messages" }

// Add implements Store.
// One transaction, one multi-row INSERT for the messages without a key and one for those with
// (written by hand, see db/raw.go, and built before the transaction): a batch costs the
// database's single writer one commit instead of one per message. A keyed message whose key is
// kept already is not inserted; the kept one's id answers it, read back only for those keys.
func (s *GormStore) Add(ctx context.Context, ms ...Message) ([]int64, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	var plain []row
	var plainAt []int
	keys := map[string]int64{}
	var inserts []*db.Statement
	keyed := db.NewRows(s.db, insertKeyedSQL, insertKeyedEnd, keyedChunk)
	for i, m := range ms {
		if m.Key == "" {
			plain = append(plain, row{Channel: m.Channel, ToAddr: m.To, Subject: m.Subject, Body: m.Body, HTML: m.HTML, CreatedAt: m.CreatedAt})
			plainAt = append(plainAt, i)
			continue
		}
		if _, dup := keys[m.Key]; dup {
			continue
		}
		keys[m.Key] = 0
		if full := keyed.Add(m.Channel, m.To, m.Subject, m.Body, m.HTML, m.Key, m.CreatedAt); full != nil {
			inserts = append(inserts, full)
		}
	}
	if rest := keyed.Rest(); rest != nil {
		inserts = append(inserts, rest)
	}
	ids := make([]int64, len(ms))
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(plain) > 0 {
			if err := tx.Create(&plain).Error; err != nil {
				return fmt.Errorf("insert: %w", err)
			}
			for j, i := range plainAt {
				ids[i] = plain[j].ID
			}
		}
		for _, ins := range inserts {
			if err := ins.EachKey(tx, func(id int64, key string) { keys[key] = id }); err != nil {
				return fmt.Errorf("insert keyed: %w", err)
			}
		}
		var kept []string
		for k, id := range keys {
			if id == 0 {
				kept = append(kept, k)
			}
		}
		if len(kept) > 0 {
			var rows []row
			if err := tx.Select("id", "idempotency_key").Where("idempotency_key IN ?", kept).Find(&rows).Error; err != nil {
				return fmt.Errorf("read keys: %w", err)
			}
			for _, r := range rows {
				keys[*r.Key] = r.ID
			}
		}
		for i, m := range ms {
			if m.Key != "" {
				ids[i] = keys[m.Key]
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("keep %d outbox messages: %w", len(ms), err)
	}
	return ids, nil
}

// The INSERT of keyed messages: insertKeyedSQL, a row of seven placeholders per message (at
// most keyedChunk, far below both databases' parameter limits), insertKeyedEnd. A key kept
// already inserts nothing and returns no row.
const (
	insertKeyedSQL = "INSERT INTO outbox_messages (channel, to_addr, subject, body, html, idempotency_key, created_at) VALUES "
	insertKeyedEnd = " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key"
	keyedChunk     = 1000
)

// List implements Store.
func (s *GormStore) List(ctx context.Context, limit, offset int) ([]Message, int64, error) {
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Model(&row{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count outbox messages: %w", err)
	}
	q := db.Order("id DESC").Offset(max(offset, 0))
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []row
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list outbox messages: %w", err)
	}
	msgs := make([]Message, len(rows))
	for i, r := range rows {
		msgs[i] = Message{ID: r.ID, Channel: r.Channel, To: r.ToAddr, Subject: r.Subject,
			Body: r.Body, HTML: r.HTML, CreatedAt: r.CreatedAt.UTC()}
	}
	return msgs, total, nil
}
