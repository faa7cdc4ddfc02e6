package members

import (
	"context"
	"fmt"
)

// Exams lists the exams, the latest exam day first.
func (s *Store) Exams(ctx context.Context, limit int) ([]Exam, error) {
	var out []Exam
	if err := s.db.WithContext(ctx).Order("exam_on DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list exams: %w", err)
	}
	return out, nil
}

// ExamRow is an invitation with its member's name, for the exam's page.
type ExamRow struct {
	ExamInvitation
	FirstName, LastName string
}

// ExamRows lists an exam's invitations with the members' names, by name.
func (s *Store) ExamRows(ctx context.Context, examID int64) ([]ExamRow, error) {
	var out []ExamRow
	err := s.db.WithContext(ctx).Table("exam_invitations ei").Select("ei.*, m.first_name, m.last_name").
		Joins("JOIN members m ON m.id = ei.member_id").Where("ei.exam_id = ?", examID).
		Order("m.name_key, m.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list invitations of exam %d: %w", examID, err)
	}
	return out, nil
}
