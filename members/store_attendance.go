package members

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateGroup adds a training group; the name is unique.
func (s *Store) CreateGroup(ctx context.Context, name, schedule string) (*TrainingGroup, error) {
	name, schedule = strings.TrimSpace(name), strings.TrimSpace(schedule)
	var v ValidationError
	switch {
	case name == "":
		v.Add("name", "required", "is required")
	case len(name) > 100:
		v.Add("name", "too_long", "is longer than 100 characters", "Max", 100)
	}
	if len(schedule) > 200 {
		v.Add("schedule", "too_long", "is longer than 200 characters", "Max", 200)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	g := &TrainingGroup{Name: name, Schedule: schedule, CreatedAt: s.now()}
	if err := s.db.WithContext(ctx).Omit("ID").Create(g).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, invalid("name", "taken", "is already taken")
		}
		return nil, fmt.Errorf("create group: %w", err)
	}
	return g, nil
}

// Groups lists the training groups by name.
func (s *Store) Groups(ctx context.Context) ([]TrainingGroup, error) {
	var gs []TrainingGroup
	if err := s.db.WithContext(ctx).Order("name").Find(&gs).Error; err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}

// AddToGroup puts a member into a group; doing it twice changes nothing.
func (s *Store) AddToGroup(ctx context.Context, groupID, memberID int64) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&GroupMember{GroupID: groupID, MemberID: memberID}).Error
	if err != nil {
		return fmt.Errorf("add member %d to group %d: %w", memberID, groupID, err)
	}
	return nil
}

// GroupMembers lists a group's members who are not archived, by name: the check-in page's
// tap targets.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]Member, error) {
	var ms []Member
	tx := s.db.WithContext(ctx)
	err := s.members(tx).
		Where("members.id IN (?)", tx.Model(&GroupMember{}).Select("member_id").Where("group_id = ?", groupID)).
		Where("members.status <> ?", StatusArchived).
		Order("members.last_name, members.first_name, members.id").Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list members of group %d: %w", groupID, err)
	}
	return ms, nil
}

// RecordAttendance records that the member trained in the group on day. It is idempotent: a
// tap with a clientKey seen before, or a second tap for the same member, group and day,
// answers the row already there with created false. The insert skips on any unique key
// (ON CONFLICT DO NOTHING without a target, which both SQLite and PostgreSQL take), so two
// taps at the same moment cannot fail one another.
func (s *Store) RecordAttendance(ctx context.Context, actor string, groupID, memberID int64, day Date, clientKey string) (a *Attendance, created bool, err error) {
	clientKey = strings.TrimSpace(clientKey)
	var v ValidationError
	switch {
	case day.IsZero():
		v.Add("trained_on", "required", "is required")
	case day.After(s.today()):
		v.Add("trained_on", "in_future", "must not be in the future")
	}
	if len(clientKey) > 100 {
		v.Add("client_key", "too_long", "is longer than 100 characters", "Max", 100)
	}
	if err := v.err(); err != nil {
		return nil, false, err
	}
	tx := s.db.WithContext(ctx)
	row := &Attendance{GroupID: groupID, MemberID: memberID, TrainedOn: day, RecordedBy: actor, CreatedAt: s.now()}
	if clientKey != "" {
		row.ClientKey = &clientKey
	}
	res := tx.Omit("ID").Clauses(clause.OnConflict{DoNothing: true}).Create(row)
	if res.Error != nil {
		return nil, false, fmt.Errorf("record attendance of member %d: %w", memberID, res.Error)
	}
	if res.RowsAffected == 1 {
		return row, true, nil
	}
	var found []Attendance
	q := tx.Where("group_id = ? AND member_id = ? AND trained_on = ?", groupID, memberID, day)
	if clientKey != "" {
		q = tx.Where("client_key = ?", clientKey).Or("group_id = ? AND member_id = ? AND trained_on = ?", groupID, memberID, day)
	}
	if err := q.Order("id").Limit(1).Find(&found).Error; err != nil {
		return nil, false, fmt.Errorf("find attendance of member %d: %w", memberID, err)
	}
	if len(found) == 0 {
		return nil, false, fmt.Errorf("record attendance of member %d: %w", memberID, ErrConflict)
	}
	return &found[0], false, nil
}

// AttendanceCount is how often the member trained on or after since (any group).
func (s *Store) AttendanceCount(ctx context.Context, memberID int64, since Date) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Attendance{}).Where("member_id = ? AND trained_on >= ?", memberID, since).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count attendance of member %d: %w", memberID, err)
	}
	return int(n), nil
}
