package members

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// Archive retires a member: the record stays, leaves the default lists and frees its e-mail
// address for a new member. Archiving an archived member changes nothing.
func (s *Store) Archive(ctx context.Context, actor string, id int64) (*Member, error) {
	return s.one(ctx, actor, id, s.archive)
}

// Restore brings an archived member back to the status they had before. It fails with a field
// error on "email" when a live member uses the address meanwhile.
func (s *Store) Restore(ctx context.Context, actor string, id int64) (*Member, error) {
	return s.one(ctx, actor, id, s.restore)
}

// ArchiveMany archives the members with the given ids in one transaction and returns how many
// changed. An unknown id changes nothing and answers ErrNotFound.
func (s *Store) ArchiveMany(ctx context.Context, actor string, ids []int64) (int, error) {
	return s.many(ctx, actor, ids, s.archive)
}

// RestoreMany restores the members with the given ids in one transaction: all of them or, when
// one cannot be restored, none.
func (s *Store) RestoreMany(ctx context.Context, actor string, ids []int64) (int, error) {
	return s.many(ctx, actor, ids, s.restore)
}

// statusChange moves one loaded member and reports whether it changed.
type statusChange func(tx *gorm.DB, actor string, m *Member) (*Member, bool, error)

func (s *Store) archive(tx *gorm.DB, actor string, m *Member) (*Member, bool, error) {
	if m.Status == StatusArchived {
		return m, false, nil
	}
	next := *m
	in := inputOf(m)
	in.Status = StatusArchived
	s.fill(&next, &in, planOf(m))
	out, err := s.save(tx, actor, ActionArchive, m, &next)
	return out, err == nil, err
}

func (s *Store) restore(tx *gorm.DB, actor string, m *Member) (*Member, bool, error) {
	if m.Status != StatusArchived {
		return m, false, nil
	}
	if m.Email != "" {
		holder, err := s.emailHolder(tx, m.Email, m.ID)
		if err != nil {
			return nil, false, err
		}
		if holder != 0 {
			return nil, false, invalid("email", "email_taken_on_restore",
				fmt.Sprintf("member #%d: the address is now used by member #%d", m.ID, holder), "Member", m.ID, "Holder", holder)
		}
	}
	next := *m
	in := inputOf(m)
	in.Status = m.PriorStatus
	if !in.Status.Valid() || in.Status == StatusArchived {
		in.Status = StatusActive
	}
	s.fill(&next, &in, planOf(m))
	out, err := s.save(tx, actor, ActionRestore, m, &next)
	return out, err == nil, err
}

// planOf is the member's current plan as fill expects it.
func planOf(m *Member) *Plan {
	if m.PlanID == nil {
		return nil
	}
	return &Plan{ID: *m.PlanID, Name: m.Plan}
}

func (s *Store) one(ctx context.Context, actor string, id int64, change statusChange) (*Member, error) {
	var out *Member
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, id)
		if err != nil {
			return err
		}
		out, _, err = change(tx, actor, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("change status of member %d: %w", id, err)
	}
	return out, nil
}

// idChunk bounds the ids in one IN list below every driver's parameter limit.
const idChunk = 500

func (s *Store) many(ctx context.Context, actor string, ids []int64, change statusChange) (int, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	changed := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for chunk := range slices.Chunk(ids, idChunk) {
			var ms []Member
			if err := s.members(tx).Where("members.id IN ?", chunk).Find(&ms).Error; err != nil {
				return fmt.Errorf("load members: %w", err)
			}
			if len(ms) != len(chunk) {
				return fmt.Errorf("%d of the members: %w", len(chunk)-len(ms), ErrNotFound)
			}
			for i := range ms {
				_, ok, err := change(tx, actor, &ms[i])
				if err != nil {
					return err
				}
				if ok {
					changed++
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("change status of %d members: %w", len(ids), err)
	}
	return changed, nil
}
