package members

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// AddGrading records a passed examination and sets the member's rank to that of their latest
// grading, so entering an old grading afterwards does not lower the current rank. A member
// holds each rank once.
func (s *Store) AddGrading(ctx context.Context, actor string, memberID int64, rank string, gradedOn Date, notes string) (*Grading, error) {
	var v ValidationError
	if RankOrder(rank) < 0 {
		v.Add("rank", "not_a_rank", "is not a known rank")
	}
	switch {
	case gradedOn.IsZero():
		v.Add("graded_on", "required", "is required")
	case gradedOn.After(s.today()):
		v.Add("graded_on", "in_future", "must not be in the future")
	}
	if len(notes) > 2000 {
		v.Add("notes", "too_long", "is longer than 2000 characters", "Max", 2000)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	g := Grading{MemberID: memberID, Rank: rank, GradedOn: gradedOn, Notes: notes, CreatedBy: actor, CreatedAt: s.now()}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, memberID)
		if err != nil {
			return err
		}
		var earlier []Grading
		if err := tx.Where("member_id = ? AND rank = ?", memberID, rank).Limit(1).Find(&earlier).Error; err != nil {
			return fmt.Errorf("look up gradings: %w", err)
		}
		if len(earlier) > 0 {
			return invalid("rank", "already_graded_on", fmt.Sprintf("already graded %s on %s", rank, earlier[0].GradedOn),
				"Rank", rank, "Date", earlier[0].GradedOn)
		}
		if err := tx.Omit("ID").Create(&g).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("rank", "already_graded", "already graded "+rank, "Rank", rank)
			}
			return fmt.Errorf("store grading: %w", err)
		}
		return s.syncRank(tx, actor, m, g)
	})
	if err != nil {
		return nil, fmt.Errorf("add grading of member %d: %w", memberID, err)
	}
	return &g, nil
}

// syncRank sets the member's rank to their latest grading's and audits the grading.
func (s *Store) syncRank(tx *gorm.DB, actor string, m *Member, g Grading) error {
	var latest []string
	err := tx.Model(&Grading{}).Where("member_id = ?", m.ID).Order(gradingOrder).Limit(1).Pluck("rank", &latest).Error
	if err != nil {
		return fmt.Errorf("find latest grading: %w", err)
	}
	if len(latest) == 1 && latest[0] != m.Rank {
		next := *m
		next.Rank = latest[0]
		_, err := s.save(tx, actor, ActionGrading, m, &next)
		return err
	}
	return s.audit(tx, AuditEntry{Actor: actor, MemberID: &m.ID, Action: ActionGrading, Field: "grading",
		NewValue: g.Rank + " on " + g.GradedOn.String()})
}

const gradingOrder = "graded_on DESC, id DESC"

// Gradings lists a member's gradings, latest first.
func (s *Store) Gradings(ctx context.Context, memberID int64) ([]Grading, error) {
	return byMember[Grading](s.db.WithContext(ctx), memberID, gradingOrder, 0)
}
