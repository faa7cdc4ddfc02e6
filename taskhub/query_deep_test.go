package taskhub_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/taskhub"
)

// tiedRows are n instances in four statuses, three to a creation time, so that pages end
// inside a group of equal times and only the id orders it.
func tiedRows(n int) []seedRow {
	statuses := []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_RUNNING,
		api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_PENDING}
	rows := make([]seedRow, n)
	for i := range rows {
		rows[i] = seedRow{
			id:      fmt.Sprintf("fee-reminder:%d", (i*7919)%n), // ids not in creation order
			name:    "FeeReminder",
			status:  statuses[i%len(statuses)],
			created: t0.Add(time.Duration(i/3) * time.Second),
		}
	}
	return rows
}

// TestListDeepPages walks every page of several queries and wants exactly the instances the
// query selects, newest first and by id within a time: the keyset condition of a next page
// loses and repeats nothing, at ties either.
func TestListDeepPages(t *testing.T) {
	rows := tiedRows(1500)
	tests := []struct {
		name     string
		q        taskhub.Query
		selected func(seedRow) bool
	}{
		{"any status", taskhub.Query{}, func(seedRow) bool { return true }},
		{"one status", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED}},
			func(r seedRow) bool { return r.status == api.RUNTIME_STATUS_COMPLETED }},
		{"two statuses", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_RUNNING, api.RUNTIME_STATUS_FAILED}},
			func(r seedRow) bool {
				return r.status == api.RUNTIME_STATUS_RUNNING || r.status == api.RUNTIME_STATUS_FAILED
			}},
		{"status and created range", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED},
			CreatedFrom: t0.Add(100 * time.Second), CreatedTo: t0.Add(300 * time.Second)},
			func(r seedRow) bool {
				return r.status == api.RUNTIME_STATUS_COMPLETED &&
					!r.created.Before(t0.Add(100*time.Second)) && !r.created.After(t0.Add(300*time.Second))
			}},
	}
	eachStore(t, nil, func(t *testing.T, s *store) {
		s.seed(t, rows)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var want []string
				for _, r := range newestFirst(rows) {
					if tc.selected(r) {
						want = append(want, r.id)
					}
				}
				q := tc.q
				q.Top = 13
				var got []string
				for pages := 0; ; pages++ {
					if pages > len(rows) {
						t.Fatalf("more than %d pages", len(rows))
					}
					page, err := s.x.List(t.Context(), q)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, ids(page.Instances)...)
					if page.Next == "" {
						break
					}
					q.After = page.Next
				}
				if !slices.Equal(got, want) {
					i := 0
					for i < min(len(got), len(want)) && got[i] == want[i] {
						i++
					}
					t.Errorf("pages give %d instances, want %d; first difference at %d", len(got), len(want), i)
				}
			})
		}
	})
}

// newestFirst is rows in List's order: creation time, then id, both descending.
func newestFirst(rows []seedRow) []seedRow {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b seedRow) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	return out
}

// TestListDeepPageReadsIndex: SQLite reads a page, first or deep, off an index in the list's
// order and sorts nothing: one status off the (RuntimeStatus, CreatedTime, InstanceID) index,
// any status off the (CreatedTime, InstanceID) one, a deep page from the cursor's time on.
// With the next-page condition spelled with OR, the index bounded only the status, and every
// newer instance of it was read and sorted; without InstanceID in the index (the engine's
// IX_Instances_CreatedTime), the instances of one creation time were sorted by id (USE TEMP
// B-TREE FOR LAST TERM OF ORDER BY), and with a name filter the whole table was.
func TestListDeepPageReadsIndex(t *testing.T) {
	s := openStore(t, false, nil)
	rows := tiedRows(300)
	s.seed(t, rows) // before the first list, as in a file that predates the indexes
	completed := []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED}
	tests := []struct {
		name  string
		q     taskhub.Query
		first string // the step that reads the first page
		deep  string // the step that reads a later page
	}{
		{"one status", taskhub.Query{Statuses: completed},
			"SEARCH Instances USING INDEX IX_Instances_RuntimeStatus_CreatedTime_InstanceID (RuntimeStatus=?)",
			"SEARCH Instances USING INDEX IX_Instances_RuntimeStatus_CreatedTime_InstanceID (RuntimeStatus=? AND CreatedTime<?)"},
		{"any status", taskhub.Query{},
			"SCAN Instances USING INDEX IX_Instances_CreatedTime_InstanceID",
			"SEARCH Instances USING INDEX IX_Instances_CreatedTime_InstanceID (CreatedTime<?)"},
		{"any status and a name", taskhub.Query{Name: "FeeReminder"},
			"SCAN Instances USING INDEX IX_Instances_CreatedTime_InstanceID",
			"SEARCH Instances USING INDEX IX_Instances_CreatedTime_InstanceID (CreatedTime<?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Top = 100
			page, err := s.x.List(t.Context(), q) // also adds the indexes
			if err != nil {
				t.Fatal(err)
			}
			if page.Next == "" {
				t.Fatal("one page only; want a deep one")
			}
			for _, p := range []struct{ after, want string }{{"", tc.first}, {page.Next, tc.deep}} {
				q.After = p.after
				plan := listPlan(t, s, q)
				if !slices.Contains(plan, p.want) {
					t.Errorf("after %q, plan:\n  %s\nwant the step %q", p.after, strings.Join(plan, "\n  "), p.want)
				}
				if slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, "TEMP B-TREE") }) {
					t.Errorf("after %q, plan:\n  %s\nwant no sort", p.after, strings.Join(plan, "\n  "))
				}
			}
		})
	}
}

// TestListReplacesOldStatusIndex: a task hub file indexed before the status index had
// InstanceID gets the new index and loses the old one at its first list.
func TestListReplacesOldStatusIndex(t *testing.T) {
	s := openStore(t, false, nil)
	if _, err := s.db.ExecContext(t.Context(), `CREATE INDEX IX_Instances_RuntimeStatus_CreatedTime ON Instances (RuntimeStatus, CreatedTime)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.x.List(t.Context(), taskhub.Query{}); err != nil {
		t.Fatal(err)
	}
	r, err := s.x.DBForTest().QueryContext(t.Context(),
		`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Instances' AND name LIKE 'IX_Instances_RuntimeStatus_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for r.Next() {
		var name string
		if err := r.Scan(&name); err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"IX_Instances_RuntimeStatus_CreatedTime_InstanceID"}; !slices.Equal(got, want) {
		t.Errorf("status indexes = %q, want %q", got, want)
	}
}

// listPlan is SQLite's plan of the statement List runs for q, one detail a step.
func listPlan(t *testing.T, s *store, q taskhub.Query) []string {
	t.Helper()
	query, args, err := taskhub.ListSQL(q, false)
	if err != nil {
		t.Fatal(err)
	}
	// Through List's own handle: another connection plans with the schema it last read, which
	// may predate the status index.
	r, err := s.x.DBForTest().QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var plan []string
	for r.Next() {
		var id, parent, unused int
		var detail string
		if err := r.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
