package members

import (
	"fmt"
	"strings"
	"time"
)

// Period is how often a plan's fee falls due. Periods follow the calendar: months, quarters
// starting in January, April, July and October, and calendar years.
type Period string

// The fee periods.
const (
	Monthly   Period = "monthly"
	Quarterly Period = "quarterly"
	Yearly    Period = "yearly"
)

// Valid reports whether p is one of the periods.
func (p Period) Valid() bool { return p == Monthly || p == Quarterly || p == Yearly }

// Bounds returns the first and last day of the period that contains day.
func (p Period) Bounds(day Date) (start, end Date) {
	switch p {
	case Quarterly:
		start = NewDate(day.Year, day.Month-(day.Month-1)%3, 1)
		return start, NewDate(start.Year, start.Month+3, 0)
	case Yearly:
		return NewDate(day.Year, time.January, 1), NewDate(day.Year, time.December, 31)
	default:
		return NewDate(day.Year, day.Month, 1), NewDate(day.Year, day.Month+1, 0)
	}
}

// Plan is a membership plan with its fee.
type Plan struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	FeeAmount int64     `json:"fee_amount"` // minor units: 3500 is 35.00
	Currency  string    `json:"currency"`
	Period    Period    `json:"period"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PlanInput is what creates a plan.
type PlanInput struct {
	Name      string `json:"name"`
	FeeAmount int64  `json:"fee_amount"`
	Currency  string `json:"currency"`
	Period    Period `json:"period"`
}

// validate trims and upper-cases in place and reports every invalid field.
func (in *PlanInput) validate() error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	switch {
	case in.Name == "":
		v.Add("name", "required", "is required")
	case len(in.Name) > 100:
		v.Add("name", "too_long", "is longer than 100 characters", "Max", 100)
	}
	if in.FeeAmount < 0 {
		v.Add("fee_amount", "negative", "must not be negative")
	}
	if len(in.Currency) != 3 || strings.IndexFunc(in.Currency, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		v.Add("currency", "invalid_currency", "must be a three-letter ISO 4217 code such as EUR")
	}
	if !in.Period.Valid() {
		v.Add("period", "invalid_period", fmt.Sprintf("must be %s, %s or %s", Monthly, Quarterly, Yearly))
	}
	return v.err()
}
