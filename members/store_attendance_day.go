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

// AttendanceByMonth counts the member's trainings on or after since, by month ("2026-03").
func (s *Store) AttendanceByMonth(ctx context.Context, memberID int64, since Date) (map[string]int, int, error) {
	var days []Date
	err := s.db.WithContext(ctx).Model(&Attendance{}).Where("member_id = ? AND trained_on >= ?", memberID, since).Pluck("trained_on", &days).Error
	if err != nil {
		return nil, 0, fmt.Errorf("attendance of member %d: %w", memberID, err)
	}
	out := map[string]int{}
	for _, d := range days {
		out[d.String()[:7]]++
	}
	return out, len(days), nil
}

// CheckIn records a check-in tap: the member trained in the group on day, and belongs to the
// group from then on (a member found by the check-in's search joins it). Unknown group or
// member is ErrNotFound; a repeated tap answers the attendance already there, created false.
func (s *Store) CheckIn(ctx context.Context, actor string, groupID, memberID int64, day Date, clientKey string) (*Attendance, bool, error) {
	if _, err := s.Group(ctx, groupID); err != nil {
		return nil, false, err
	}
	if _, err := s.Get(ctx, memberID); err != nil {
		return nil, false, err
	}
	if err := s.AddToGroup(ctx, groupID, memberID); err != nil {
		return nil, false, err
	}
	return s.RecordAttendance(ctx, actor, groupID, memberID, day, clientKey)
}
