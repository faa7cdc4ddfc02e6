package members

import (
	"context"
	"fmt"
)

// AttendedOn lists the members who trained in the group on day: the check-in page marks them.
func (s *Store) AttendedOn(ctx context.Context, groupID int64, day Date) (map[int64]bool, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Attendance{}).Where("group_id = ? AND trained_on = ?", groupID, day).Pluck("member_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("attendance of group %d on %s: %w", groupID, day, err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Group reads one training group.
func (s *Store) Group(ctx context.Context, id int64) (*TrainingGroup, error) {
	var gs []TrainingGroup
	if err := s.db.WithContext(ctx).Where("id = ?", id).Limit(1).Find(&gs).Error; err != nil {
		return nil, fmt.Errorf("load training group %d: %w", id, err)
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("training group %d: %w", id, ErrNotFound)
	}
	return &gs[0], nil
}
