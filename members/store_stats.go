package members

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Stats counts members by status and the overdue fees.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var rows []struct {
		Status Status
		N      int64
	}
	tx := s.db.WithContext(ctx)
	if err := tx.Model(&Member{}).Select("status, count(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return Stats{}, fmt.Errorf("count members: %w", err)
	}
	var st Stats
	for _, r := range rows {
		switch r.Status {
		case StatusActive:
			st.Active = r.N
		case StatusPending:
			st.Pending = r.N
		case StatusPaused:
			st.Paused = r.N
		case StatusArchived:
			st.Archived = r.N
		}
	}
	if err := tx.Model(&Fee{}).Where("status = ?", FeeOverdue).Count(&st.OverdueFees).Error; err != nil {
		return Stats{}, fmt.Errorf("count overdue fees: %w", err)
	}
	return st, nil
}

// everActive selects members who were members at some time: not the pending, nor those
// archived while pending.
const everActive = "status <> 'pending' AND NOT (status = 'archived' AND prior_status = 'pending')"

type dayCount struct {
	Day Date
	N   int64
}

// MembersOverTime counts the members at the end of each of the last months months, oldest
// first, from the days they joined and were archived. It reads two grouped counts (one row per
// distinct day) instead of counting the table once per month.
func (s *Store) MembersOverTime(ctx context.Context, months int) ([]MonthCount, error) {
	if months < 1 || months > 240 {
		return nil, invalid("months", "out_of_range", "must be between 1 and 240", "Min", 1, "Max", 240)
	}
	tx := s.db.WithContext(ctx)
	var joins, leaves []dayCount
	if err := tx.Model(&Member{}).Select("joined_on AS day, count(*) AS n").Where(everActive).Group("joined_on").Scan(&joins).Error; err != nil {
		return nil, fmt.Errorf("count joins: %w", err)
	}
	if err := tx.Model(&Member{}).Select("archived_on AS day, count(*) AS n").Where(everActive + " AND archived_on IS NOT NULL").Group("archived_on").Scan(&leaves).Error; err != nil {
		return nil, fmt.Errorf("count archivals: %w", err)
	}
	byDay := func(a, b dayCount) int { return a.Day.Compare(b.Day) }
	slices.SortFunc(joins, byDay)
	slices.SortFunc(leaves, byDay)

	today := s.today()
	out := make([]MonthCount, months)
	var active int64
	ji, li := 0, 0
	for i := range out {
		first := NewDate(today.Year, today.Month-time.Month(months-1-i), 1)
		end := NewDate(first.Year, first.Month+1, 0)
		if end.After(today) {
			end = today
		}
		// A member counts from the day they joined until the day before their archival.
		for ; ji < len(joins) && !joins[ji].Day.After(end); ji++ {
			active += joins[ji].N
		}
		for ; li < len(leaves) && !leaves[li].Day.After(end); li++ {
			active -= leaves[li].N
		}
		out[i] = MonthCount{Month: fmt.Sprintf("%04d-%02d", first.Year, first.Month), End: end, Active: active}
	}
	return out, nil
}
