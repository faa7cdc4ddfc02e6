package outbox

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
// One transaction, one multi-row INSERT for the messages without a key and one for those with:
// a batch costs the database's single writer one commit instead of one per message. A keyed
// message whose key is kept already is not inserted; the kept one's id answers it.
func (s *GormStore) Add(ctx context.Context, ms ...Message) ([]int64, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	var plain, keyed []row
	var plainAt []int
	keys := map[string]int64{}
	for i, m := range ms {
		r := row{Channel: m.Channel, ToAddr: m.To, Subject: m.Subject, Body: m.Body, HTML: m.HTML, CreatedAt: m.CreatedAt}
		if m.Key == "" {
			plain, plainAt = append(plain, r), append(plainAt, i)
			continue
		}
		if _, dup := keys[m.Key]; !dup {
			r.Key = &ms[i].Key
			keyed = append(keyed, r)
			keys[m.Key] = 0
		}
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
		if len(keyed) == 0 {
			return nil
		}
		// The ids an INSERT … ON CONFLICT DO NOTHING returns do not say which rows they
		// belong to; the keys do.
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).
			Omit("ID").Create(&keyed).Error
		if err != nil {
			return fmt.Errorf("insert keyed: %w", err)
		}
		var kept []row
		if err := tx.Select("id", "idempotency_key").Where("idempotency_key IN ?", slices.Collect(maps.Keys(keys))).Find(&kept).Error; err != nil {
			return fmt.Errorf("read keys: %w", err)
		}
		for _, r := range kept {
			keys[*r.Key] = r.ID
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
