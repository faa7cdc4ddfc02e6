package members

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"
)

// GradingRules lists the rule of every rank but the first-held one, the club's where set and
// the default otherwise, in rank order.
func (s *Store) GradingRules(ctx context.Context) ([]GradingRule, error) {
	set, err := s.gradingRules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]GradingRule, 0, len(Ranks()))
	for _, r := range Ranks() {
		out = append(out, ruleFor(set, r))
	}
	return out, nil
}

func (s *Store) gradingRules(ctx context.Context) (map[string]GradingRule, error) {
	var rows []GradingRule
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load grading rules: %w", err)
	}
	set := make(map[string]GradingRule, len(rows))
	for _, r := range rows {
		set[r.Rank] = r
	}
	return set, nil
}

func ruleFor(set map[string]GradingRule, rank string) GradingRule {
	if r, ok := set[rank]; ok {
		return r
	}
	return DefaultGradingRule(rank)
}

// SetGradingRule stores the club's rule for reaching r.Rank, replacing an earlier one.
func (s *Store) SetGradingRule(ctx context.Context, actor string, r GradingRule) (*GradingRule, error) {
	var v ValidationError
	if RankOrder(r.Rank) < 0 {
		v.Add("rank", "not_a_rank", "is not a known rank")
	}
	if r.MinMonths < 0 || r.MinMonths > 600 {
		v.Add("min_months", "out_of_range", "must be between 0 and 600", "Min", 0, "Max", 600)
	}
	if r.MinTrainings < 0 || r.MinTrainings > 10000 {
		v.Add("min_trainings", "out_of_range", "must be between 0 and 10000", "Min", 0, "Max", 10000)
	}
	if r.MinAge < 0 || r.MinAge > 120 {
		v.Add("min_age", "out_of_range", "must be between 0 and 120", "Min", 0, "Max", 120)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	r.Default = false
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "rank"}},
		DoUpdates: clause.AssignmentColumns([]string{"min_months", "min_trainings", "min_age"}),
	}).Create(&r).Error
	if err != nil {
		return nil, fmt.Errorf("store grading rule for %s: %w", r.Rank, err)
	}
	if err := s.audit(s.db.WithContext(ctx), AuditEntry{Actor: actor, Action: ActionGradingRule, Field: "grading_rule:" + r.Rank,
		NewValue: fmt.Sprintf("%d months, %d trainings, age %d", r.MinMonths, r.MinTrainings, r.MinAge)}); err != nil {
		return nil, err
	}
	return &r, nil
}

// ActionGradingRule audits a changed grading rule.
const ActionGradingRule = "grading_rule"

// eligibilityCounts counts each member's trainings after their last grading (all of them
// without one) up to asOf, in one query for the whole club.
const eligibilityCounts = `
SELECT a.member_id AS member_id, COUNT(*) AS n
FROM attendances a
LEFT JOIN (SELECT member_id, MAX(graded_on) AS last FROM gradings GROUP BY member_id) g ON g.member_id = a.member_id
WHERE a.trained_on <= ? AND (g.last IS NULL OR a.trained_on > g.last)
GROUP BY a.member_id`

// Eligibility is every active member's standing for their next grading as of asOf, by name:
// three queries (members, last gradings, training counts) whatever the club's size.
func (s *Store) Eligibility(ctx context.Context, asOf Date) ([]EligibilityRow, error) {
	tx := s.db.WithContext(ctx)
	var ms []Member
	if err := s.members(tx).Where("members.status = ?", StatusActive).Order("members.last_name, members.first_name, members.id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list members for eligibility: %w", err)
	}
	var lasts []struct {
		MemberID int64
		Last     Date
	}
	if err := tx.Model(&Grading{}).Select("member_id, MAX(graded_on) AS last").Group("member_id").Scan(&lasts).Error; err != nil {
		return nil, fmt.Errorf("find last gradings: %w", err)
	}
	last := make(map[int64]Date, len(lasts))
	for _, l := range lasts {
		last[l.MemberID] = l.Last
	}
	var counts []struct {
		MemberID int64
		N        int
	}
	if err := tx.Raw(eligibilityCounts, asOf).Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count trainings: %w", err)
	}
	trained := make(map[int64]int, len(counts))
	for _, c := range counts {
		trained[c.MemberID] = c.N
	}
	rules, err := s.gradingRules(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]EligibilityRow, len(ms))
	for i, m := range ms {
		out[i] = eligibility(m, last[m.ID], trained[m.ID], asOf, rules)
	}
	return out, nil
}

func eligibility(m Member, last Date, trainings int, asOf Date, rules map[string]GradingRule) EligibilityRow {
	row := EligibilityRow{Member: m, NextRank: NextRank(m.Rank), Since: last, Trainings: trainings, Reasons: []Reason{}}
	if row.Since.IsZero() {
		row.Since = m.JoinedOn
	}
	if !row.Since.IsZero() {
		row.Months = monthsBetween(row.Since, asOf)
	}
	if row.NextRank == "" {
		row.Reasons = append(row.Reasons, Reason{Code: ReasonNoNextRank})
		return row
	}
	rule := ruleFor(rules, row.NextRank)
	if row.Months < rule.MinMonths {
		row.Reasons = append(row.Reasons, Reason{Code: ReasonTooSoon, Args: []any{"Months", row.Months, "Need", rule.MinMonths}})
	}
	if trainings < rule.MinTrainings {
		row.Reasons = append(row.Reasons, Reason{Code: ReasonTooFewTrainings, Args: []any{"Trainings", trainings, "Need", rule.MinTrainings}})
	}
	if rule.MinAge > 0 {
		age := -1
		if !m.BirthDate.IsZero() {
			age = m.BirthDate.YearsUntil(asOf)
		}
		if age < rule.MinAge {
			row.Reasons = append(row.Reasons, Reason{Code: ReasonTooYoung, Args: []any{"Age", age, "Need", rule.MinAge}})
		}
	}
	row.Eligible = len(row.Reasons) == 0
	return row
}
