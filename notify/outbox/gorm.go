package outbox

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
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
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName tells GORM the table.
func (row) TableName() string { return "outbox_messages" }

// Add implements Store.
func (s *GormStore) Add(ctx context.Context, m Message) (int64, error) {
	r := row{Channel: m.Channel, ToAddr: m.To, Subject: m.Subject, Body: m.Body, HTML: m.HTML, CreatedAt: m.CreatedAt}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return 0, fmt.Errorf("insert outbox message: %w", err)
	}
	return r.ID, nil
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
