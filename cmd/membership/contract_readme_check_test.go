package main

import (
	"slices"
	"testing"
)

// TestCheckREADMEStatuses: the README check fails both ways — a code answered but not listed,
// a code listed but never seen — and matches paths with parameters, literal rows first.
func TestCheckREADMEStatuses(t *testing.T) {
	const readme = "# x\n\n## API\n\n| method and path | token | answers |\n|---|---|---|\n" +
		"| `GET /api/v1/members/export.csv` | any | 200 |\n" +
		"| `GET /api/v1/members/{id}` | any | 200, 404 not found |\n" +
		"| `POST /api/v1/members` | admin | 201 · 422 `{a\\|b}` |\n\n## Next\n\n| `GET /elsewhere` | any | 500 |\n"
	tests := []struct {
		name string
		seen map[string]map[int]bool
		want []string
	}{
		{"agree", map[string]map[int]bool{
			"GET /api/v1/members/export.csv": {200: true}, "GET /api/v1/members/7": {200: true}, "GET /api/v1/members/8": {404: true},
			"POST /api/v1/members": {201: true, 422: true}, "GET /not/documented": {418: true}}, nil},
		{"answered but not listed", map[string]map[int]bool{
			"GET /api/v1/members/export.csv": {200: true}, "GET /api/v1/members/7": {200: true, 404: true, 500: true}, "POST /api/v1/members": {201: true, 422: true}},
			[]string{"GET /api/v1/members/{id} answered 500, which the README does not list"}},
		{"listed but not seen", map[string]map[int]bool{
			"GET /api/v1/members/export.csv": {200: true}, "GET /api/v1/members/7": {200: true, 404: true}, "POST /api/v1/members": {201: true}},
			[]string{"POST /api/v1/members: the README lists 422, but no contract test saw it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkREADMEStatuses(readme, tc.seen); !slices.Equal(got, tc.want) {
				t.Errorf("problems = %q, want %q", got, tc.want)
			}
		})
	}
	if got := checkREADMEStatuses("# no api here\n", nil); len(got) != 1 {
		t.Errorf("a README without an API section: %q, want one problem", got)
	}
}
