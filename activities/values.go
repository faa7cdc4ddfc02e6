package activities

import (
	"fmt"
	"time"

	"membership/members"
	"membership/web/i18n"
)

// Kinds of Value: what it holds and so how a language writes it.
const (
	valueMoney    = "money"
	valueDay      = "day"
	valueDays     = "days"
	valueDuration = "duration"
)

// Value is a template variable each language writes its own way: an amount ("€35.00",
// "35,00 €"), a day ("Dec 5, 2026", "05.12.2026"), a stretch of days, a duration ("10 minutes",
// "10 Minuten"). A notice carries the value, not a sentence, and is worded in its member's
// language when it is rendered. Vars hold what reads the same in every language (a code, a link).
type Value struct {
	Kind     string `json:"kind"`
	Minor    int64  `json:"minor,omitempty"`    // money: the amount in cents
	Currency string `json:"currency,omitempty"` // money: ISO 4217
	From     string `json:"from,omitempty"`     // day, days: the (first) day, ISO 8601
	To       string `json:"to,omitempty"`       // days: the last day
	Seconds  int64  `json:"seconds,omitempty"`  // duration
}

// Money is an amount of minor units (cents) of an ISO 4217 currency.
func Money(minor int64, currency string) Value {
	return Value{Kind: valueMoney, Minor: minor, Currency: currency}
}

// Day is one day.
func Day(d members.Date) Value { return Value{Kind: valueDay, From: d.String()} }

// Days is the days from first to last, both included.
func Days(first, last members.Date) Value {
	return Value{Kind: valueDays, From: first.String(), To: last.String()}
}

// Duration is a length of time, written to the minute.
func Duration(d time.Duration) Value {
	return Value{Kind: valueDuration, Seconds: int64(d / time.Second)}
}

// In writes v as l's language does.
func (v Value) In(l *i18n.Localizer) (string, error) {
	switch v.Kind {
	case valueMoney:
		return l.Money(v.Minor, v.Currency), nil
	case valueDay:
		d, err := day(v.From)
		return l.Date(d), err
	case valueDays:
		from, err := day(v.From)
		if err != nil {
			return "", err
		}
		to, err := day(v.To)
		return l.Date(from) + " – " + l.Date(to), err
	case valueDuration:
		return l.Duration(time.Duration(v.Seconds) * time.Second), nil
	}
	return "", fmt.Errorf("template value of unknown kind %q", v.Kind)
}

func day(iso string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return time.Time{}, fmt.Errorf("template value: day %q: %w", iso, err)
	}
	return t, nil
}
