package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as a Go duration string, plus "d" for days ("7d", "1d12h").
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String writes the duration the way it is read.
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	return d.set(s)
}

func (d *Duration) set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses a Go duration with an optional leading day count: "21d", "1d6h", "90m".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (use e.g. 30s, 10m, 2h, 7d)", s)
	}
	return days + v, nil
}

// ClockTime is a time of day "HH:MM", in the club's time zone.
type ClockTime struct{ Hour, Minute int }

// String writes the time as HH:MM.
func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// UnmarshalYAML reads "HH:MM".
func (c *ClockTime) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	return c.set(s)
}

func (c *ClockTime) set(s string) error {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("bad time of day %q (use HH:MM)", s)
	}
	c.Hour, c.Minute = t.Hour(), t.Minute()
	return nil
}

// Minutes is the time of day as minutes after midnight.
func (c ClockTime) Minutes() int { return c.Hour*60 + c.Minute }

// QuietHours is a daily window "21:00-08:00" (it may wrap midnight); an empty value means none.
type QuietHours struct {
	From, To ClockTime
	Set      bool
}

// String writes the window as it is read.
func (q QuietHours) String() string {
	if !q.Set {
		return ""
	}
	return q.From.String() + "-" + q.To.String()
}

// UnmarshalYAML reads "HH:MM-HH:MM" or "".
func (q *QuietHours) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	return q.set(s)
}

func (q *QuietHours) set(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		*q = QuietHours{}
		return nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return fmt.Errorf("bad quiet hours %q (use HH:MM-HH:MM)", s)
	}
	if err := q.From.set(from); err != nil {
		return err
	}
	if err := q.To.set(to); err != nil {
		return err
	}
	q.Set = true
	return nil
}

// Contains reports whether the wall-clock time t (already in the club's zone) lies in the window.
func (q QuietHours) Contains(t time.Time) bool {
	if !q.Set {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	from, to := q.From.Minutes(), q.To.Minutes()
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// End returns the first moment at or after t (in t's zone) that lies outside the window.
func (q QuietHours) End(t time.Time) time.Time {
	if !q.Contains(t) {
		return t
	}
	end := time.Date(t.Year(), t.Month(), t.Day(), q.To.Hour, q.To.Minute, 0, 0, t.Location())
	if !end.After(t) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}
