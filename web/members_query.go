package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"membership/members"
	"membership/web/i18n"
)

// listQuery reads the member list's filters, sort and paging from query parameters — the same
// names in the UI, the JSON API and the CSV export (DESIGN.md). A value that cannot be read
// answers 400 naming the parameter, its title and detail in l's language (the field messages
// stay English, as every invalid-input problem's do).
func listQuery(l *i18n.Localizer, v url.Values) (members.ListQuery, error) {
	f, bad := readFilter(v)
	q := members.ListQuery{Filter: f, Sort: v.Get("sort")}
	var n int
	if n, bad = readInt(v, "page", 1, 1_000_000, bad); n > 0 {
		q.Page = n
	}
	if n, bad = readInt(v, "per_page", 1, 500, bad); n > 0 {
		q.PerPage = n
	}
	if ids := v.Get("ids"); ids != "" {
		for _, part := range strings.Split(ids, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				bad = append(bad, FieldError{Field: "ids", Message: "use member ids separated by commas"})
				break
			}
			q.IDs = append(q.IDs, id)
		}
	}
	for _, id := range v["id"] { // checkboxes of a bulk selection
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			q.IDs = append(q.IDs, n)
		}
	}
	if len(bad) > 0 {
		return q, &ProblemError{Problem: Problem{Title: l.T("members.query.title"), Status: http.StatusBadRequest, Detail: l.T("members.query.detail"), Errors: bad}}
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PerPage == 0 {
		q.PerPage = 50
	}
	return q, nil
}

// readFilter reads the list filters (q, status, plan, rank, fee_overdue, verified,
// ends_within_days) from query parameters or a form: the one reader behind the member list,
// the CSV export and the campaign form's audience. bad lists the values it cannot read.
func readFilter(v url.Values) (f members.Filter, bad []FieldError) {
	f = members.Filter{
		Q:      strings.TrimSpace(v.Get("q")),
		Status: v.Get("status"),
		Plan:   v.Get("plan"),
		Rank:   v.Get("rank"),
	}
	f.FeeOverdue, bad = readBool(v, "fee_overdue", bad)
	f.Verified, bad = readBool(v, "verified", bad)
	var n int
	if n, bad = readInt(v, "ends_within_days", 0, 3650, bad); n >= 0 {
		f.EndsWithinDays = &n
	}
	return f, bad
}

// readBool reads true or false; nil when the parameter is absent or empty.
func readBool(v url.Values, name string, bad []FieldError) (*bool, []FieldError) {
	s := v.Get(name)
	if s == "" {
		return nil, bad
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, append(bad, FieldError{Field: name, Message: "use true or false"})
	}
	return &b, bad
}

// readInt reads a whole number from min to max; -1 when the parameter is absent, empty or bad.
func readInt(v url.Values, name string, min, max int, bad []FieldError) (int, []FieldError) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return -1, bad
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return -1, append(bad, FieldError{Field: name, Message: "use a whole number from " + strconv.Itoa(min) + " to " + strconv.Itoa(max)})
	}
	return n, bad
}
