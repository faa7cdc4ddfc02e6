package members

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// TimelineEntry is one thing that happened to a member. Kind groups entries for display
// ("member", "fee", "grading" here; "notice" and "workflow" from other packages); Ref names
// the object the entry is about ("fee:311", "workflow:fee-reminder:311") so a page can link it.
type TimelineEntry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Title  string    `json:"title"`
	Detail string    `json:"detail"`
	Actor  string    `json:"actor"`
	Ref    string    `json:"ref"`
}

// TimelineSource yields a member's entries of one kind, newest first, at most limit of them.
// Other packages (notices, workflows) implement it to join the member's timeline.
type TimelineSource interface {
	TimelineEntries(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error)
}

// TimelineFunc adapts a function to TimelineSource.
type TimelineFunc func(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error)

// TimelineEntries calls f.
func (f TimelineFunc) TimelineEntries(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error) {
	return f(ctx, memberID, limit)
}

// MergeTimeline asks every source for its newest limit entries and merges them newest first.
// Entries at the same instant keep the order of their sources.
func MergeTimeline(ctx context.Context, memberID int64, limit int, sources ...TimelineSource) ([]TimelineEntry, error) {
	var all []TimelineEntry
	for _, src := range sources {
		entries, err := src.TimelineEntries(ctx, memberID, limit)
		if err != nil {
			return nil, err
		}
		all = append(all, entries...)
	}
	slices.SortStableFunc(all, func(a, b TimelineEntry) int { return cmp.Compare(b.At.UnixNano(), a.At.UnixNano()) })
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}
