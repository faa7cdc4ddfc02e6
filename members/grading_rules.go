package members

import (
	"strconv"
	"strings"
)

// GradingRule is what a member needs before the grading to Rank: months since their last
// grading (or since joining), trainings in that time, and a minimum age (0 for none).
type GradingRule struct {
	Rank         string `json:"rank" gorm:"primaryKey"`
	MinMonths    int    `json:"min_months"`
	MinTrainings int    `json:"min_trainings"`
	MinAge       int    `json:"min_age"`
	// Default is true for a rule the club has not set: the built-in one.
	Default bool `json:"default" gorm:"-"`
}

// DefaultGradingRule is the rule for rank when the club set none, after common karate
// federation rules: 3 months and 24 trainings between kyu grades; 12 months, 60 trainings
// and an age of 16 for the 1. Dan; N×12 months and 60 trainings for the N. Dan.
func DefaultGradingRule(rank string) GradingRule {
	r := GradingRule{Rank: rank, MinMonths: 3, MinTrainings: 24, Default: true}
	if n, ok := strings.CutSuffix(rank, ". Dan"); ok {
		dan, _ := strconv.Atoi(n)
		r.MinMonths, r.MinTrainings = max(dan, 1)*12, 60
		if dan == 1 {
			r.MinAge = 16
		}
	}
	return r
}

// NextRank is the rank after rank ("6. Kyu" for a member without one), or "" after the last.
func NextRank(rank string) string {
	ranks := Ranks()
	if rank == "" {
		return ranks[0]
	}
	i := RankOrder(rank)
	if i < 0 || i+1 >= len(ranks) {
		return ""
	}
	return ranks[i+1]
}

// Reasons a member may not take the next grading (Reason.Code). Pages translate them as
// "grading.reason."+Code with the Args.
const (
	ReasonTooSoon         = "too_soon"          // Months, Need
	ReasonTooFewTrainings = "too_few_trainings" // Trainings, Need
	ReasonTooYoung        = "too_young"         // Age, Need
	ReasonNoNextRank      = "no_next_rank"
)

// Reason is why a member is not eligible, as a code and the values it names (name, value
// pairs).
type Reason struct {
	Code string `json:"code"`
	Args []any  `json:"args,omitempty"`
}

// EligibilityRow is one member's standing for the next grading.
type EligibilityRow struct {
	Member    Member   `json:"member"`
	NextRank  string   `json:"next_rank"`
	Since     Date     `json:"since"` // the last grading, or joining without one
	Months    int      `json:"months"`
	Trainings int      `json:"trainings"`
	Eligible  bool     `json:"eligible"`
	Reasons   []Reason `json:"reasons"`
}

// monthsBetween counts the full months from a to b.
func monthsBetween(a, b Date) int {
	m := (b.Year-a.Year)*12 + int(b.Month) - int(a.Month)
	if b.Day < a.Day {
		m--
	}
	return max(m, 0)
}
