package members

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"
)

// ListPlans returns every plan by name.
func (s *Store) ListPlans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	if err := s.db.WithContext(ctx).Order("lower(name)").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	return out, nil
}

// CreatePlan validates and stores a plan; names are unique regardless of case.
func (s *Store) CreatePlan(ctx context.Context, actor string, in PlanInput) (*Plan, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.now()
	p := Plan{Name: in.Name, FeeAmount: in.FeeAmount, Currency: in.Currency, Period: in.Period, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("ID").Create(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("name", "plan_exists", "a plan of this name exists")
			}
			return err
		}
		return s.audit(tx, AuditEntry{Actor: actor, Action: ActionPlanCreate, Field: "name", NewValue: p.Name})
	})
	if err != nil {
		return nil, fmt.Errorf("create plan: %w", err)
	}
	return &p, nil
}

// GetPlan reads a plan by id.
func (s *Store) GetPlan(ctx context.Context, id int64) (*Plan, error) {
	return takePlan(s.db.WithContext(ctx).Where("id = ?", id), strconv.FormatInt(id, 10))
}

// GetPlanByName reads a plan by its name, regardless of case.
func (s *Store) GetPlanByName(ctx context.Context, name string) (*Plan, error) {
	return takePlan(s.db.WithContext(ctx).Where("lower(name) = lower(?)", name), strconv.Quote(name))
}

// findPlan reads a plan by its name or, when no plan has that name, by its id written as a
// number: forms and CSV files name plans, the API may pass ids.
func (s *Store) findPlan(tx *gorm.DB, nameOrID string) (*Plan, error) {
	p, err := takePlan(tx.Where("lower(name) = lower(?)", nameOrID), strconv.Quote(nameOrID))
	if id, perr := strconv.ParseInt(nameOrID, 10, 64); errors.Is(err, ErrNotFound) && perr == nil {
		return takePlan(tx.Where("id = ?", id), nameOrID)
	}
	return p, err
}

func takePlan(q *gorm.DB, desc string) (*Plan, error) {
	var p Plan
	err := q.Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("plan %s: %w", desc, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load plan %s: %w", desc, err)
	}
	return &p, nil
}
