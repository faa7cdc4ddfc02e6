package members

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Timeline is what happened to a member, newest first: changes to the record (from the audit
// log), fees and gradings, plus the entries of extra sources such as notices and workflows.
// limit defaults to 50 and is at most 500.
func (s *Store) Timeline(ctx context.Context, memberID int64, limit int, extra ...TimelineSource) ([]TimelineEntry, error) {
	_, limit = pageBounds(1, limit)
	if _, err := s.Get(ctx, memberID); err != nil {
		return nil, err
	}
	sources := append([]TimelineSource{
		TimelineFunc(s.auditTimeline), TimelineFunc(s.feeTimeline), TimelineFunc(s.gradingTimeline),
	}, extra...)
	out, err := MergeTimeline(ctx, memberID, limit, sources...)
	if err != nil {
		return nil, fmt.Errorf("timeline of member %d: %w", memberID, err)
	}
	return out, nil
}

// auditTimeline turns the member's audit rows into entries; the rows one change wrote (same
// time, actor and action) become one entry, so it reads rows until it has limit complete
// entries. Gradings come from their own table, with notes.
func (s *Store) auditTimeline(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error) {
	batch := max(limit, 100)
	var rows []AuditEntry
	for {
		var more []AuditEntry
		err := s.db.WithContext(ctx).Where("member_id = ? AND action <> ?", memberID, ActionGrading).
			Order("at DESC, id DESC").Offset(len(rows)).Limit(batch).Find(&more).Error
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		rows = append(rows, more...)
		// One group more than needed proves the last needed one complete.
		if groups := groupAudit(rows); len(more) < batch || len(groups) > limit {
			out := make([]TimelineEntry, 0, min(limit, len(groups)))
			for _, g := range groups[:min(limit, len(groups))] {
				out = append(out, auditEntry(g))
			}
			return out, nil
		}
	}
}

// groupAudit splits rows (newest first) into the runs one change wrote.
func groupAudit(rows []AuditEntry) [][]AuditEntry {
	var out [][]AuditEntry
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].At.Equal(rows[i].At) && rows[j].Actor == rows[i].Actor && rows[j].Action == rows[i].Action {
			j++
		}
		out = append(out, rows[i:j])
		i = j
	}
	return out
}

// auditEntry describes the rows of one change, which share time, actor and action.
func auditEntry(rows []AuditEntry) TimelineEntry {
	first := rows[0]
	e := TimelineEntry{At: first.At, Kind: "member", Actor: first.Actor}
	switch first.Action {
	case ActionCreate:
		e.Title = "Member created"
	case ActionArchive:
		e.Title = "Archived"
	case ActionRestore:
		e.Title = "Restored"
	case ActionFeePaid, ActionFeeOverdue:
		e.Kind, e.Ref = "fee", first.Field
		e.Title = map[string]string{ActionFeePaid: "Fee paid", ActionFeeOverdue: "Fee overdue"}[first.Action]
		e.Detail = "#" + strings.TrimPrefix(first.Field, "fee:") + " " + first.NewValue
		return e
	default:
		e.Title = strings.ReplaceAll(first.Action, "_", " ")
	}
	var fields, changes []string
	for _, r := range slices.Backward(rows) { // newest first: back to the order they were written
		if r.Field == "" {
			continue
		}
		fields = append(fields, r.Field)
		changes = append(changes, r.Field+": "+clip(r.OldValue)+" → "+clip(r.NewValue))
	}
	if first.Action == ActionUpdate {
		e.Title = "Changed " + strings.Join(fields, ", ")
	}
	e.Detail = strings.Join(changes, "; ")
	return e
}

// clip shortens a value for the timeline; the audit log keeps it whole.
func clip(s string) string {
	if s == "" {
		return "–"
	}
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

// feeTimeline adds one entry per fee when it was opened; payments and overdue marks come from
// the audit log, which knows who made them.
func (s *Store) feeTimeline(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error) {
	fees, err := byMember[Fee](s.db.WithContext(ctx), memberID, "created_at DESC, id DESC", limit)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, len(fees))
	for i, f := range fees {
		out[i] = TimelineEntry{At: f.CreatedAt, Kind: "fee", Actor: ActorSystem, Ref: feeRef(f.ID),
			Title:  "Fee opened",
			Detail: fmt.Sprintf("#%d %s for %s – %s, due %s", f.ID, formatMoney(f.Amount, f.Currency), f.PeriodStart, f.PeriodEnd, f.DueOn)}
	}
	return out, nil
}

// gradingTimeline adds one entry per grading, at the start of its day in the club's zone.
func (s *Store) gradingTimeline(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error) {
	gs, err := byMember[Grading](s.db.WithContext(ctx), memberID, gradingOrder, limit)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, len(gs))
	for i, g := range gs {
		out[i] = TimelineEntry{At: g.GradedOn.Time(s.opts.Location), Kind: "grading", Title: "Graded " + g.Rank,
			Detail: g.Notes, Actor: g.CreatedBy, Ref: "grading:" + strconv.FormatInt(g.ID, 10)}
	}
	return out, nil
}
