package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"membership/members"
)

// listQuery reads the member list's filters, sort and paging from query parameters — the same
// names in the UI, the JSON API, the CSV export and campaign audiences (DESIGN.md). A value that
// cannot be read answers 400 naming the parameter.
func listQuery(v url.Values) (members.ListQuery, error) {
	q := members.ListQuery{
		Q:      strings.TrimSpace(v.Get("q")),
		Status: v.Get("status"),
		Plan:   v.Get("plan"),
		Rank:   v.Get("rank"),
		Sort:   v.Get("sort"),
	}
	var bad []FieldError
	readBool := func(name string) *bool {
		s := v.Get(name)
		if s == "" {
			return nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			bad = append(bad, FieldError{Field: name, Message: "use true or false"})
			return nil
		}
		return &b
	}
	readInt := func(name string, min, max int) (int, bool) {
		s := v.Get(name)
		if s == "" {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < min || n > max {
			bad = append(bad, FieldError{Field: name, Message: "use a whole number from " + strconv.Itoa(min) + " to " + strconv.Itoa(max)})
			return 0, false
		}
		return n, true
	}
	q.FeeOverdue = readBool("fee_overdue")
	q.Verified = readBool("verified")
	if n, ok := readInt("ends_within_days", 0, 3650); ok {
		q.EndsWithinDays = &n
	}
	q.Page, _ = readInt("page", 1, 1_000_000)
	q.PerPage, _ = readInt("per_page", 1, 500)
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
		return q, &ProblemError{Problem: Problem{Title: "Bad query", Status: http.StatusBadRequest, Detail: "Some query parameters cannot be read.", Errors: bad}}
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PerPage == 0 {
		q.PerPage = 50
	}
	return q, nil
}
