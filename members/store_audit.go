package members

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// audit appends rows to the audit log, stamping each with the current time.
func (s *Store) audit(tx *gorm.DB, rows ...AuditEntry) error {
	if len(rows) == 0 {
		return nil
	}
	now := s.now()
	for i := range rows {
		if rows[i].At.IsZero() {
			rows[i].At = now
		}
	}
	if err := tx.Omit("ID").Create(&rows).Error; err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AuditLog pages through the audit log, newest first, for one member or for all.
func (s *Store) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, int64, error) {
	page, perPage := pageBounds(q.Page, q.PerPage)
	tx := s.db.WithContext(ctx).Model(&AuditEntry{})
	if q.MemberID != 0 {
		tx = tx.Where("member_id = ?", q.MemberID)
	}
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit log: %w", err)
	}
	var out []AuditEntry
	err := tx.Order("at DESC, id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("read audit log: %w", err)
	}
	return out, total, nil
}

// pageBounds applies the API's paging rules: pages count from 1, 50 rows by default, 500 at
// most.
func pageBounds(page, perPage int) (int, int) {
	if page < 1 {
		page = 1
	}
	switch {
	case perPage <= 0:
		perPage = 50
	case perPage > 500:
		perPage = 500
	}
	return page, perPage
}
