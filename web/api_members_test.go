package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"membership/members"
	"membership/web"
	"membership/web/webtest"
)

func TestMembersAPI(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.API(t, "admin")
	trainer := app.API(t, "trainer")

	// Create: 201 with Location and an ETag; the phone is stored as E.164.
	resp, body := admin.Do(t, http.MethodPost, "/api/v1/members", map[string]any{
		"first_name": "Aiko", "last_name": "Tanaka", "email": "aiko@example.org", "phone": "0151 23456789",
		"birth_date": "1990-04-01", "sms_consent": true,
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var m members.Member
	webtest.DecodeJSON(t, body, &m)
	if m.Phone != "+4915123456789" || m.Version == 0 {
		t.Fatalf("created %+v", m)
	}
	self := "/api/v1/members/" + strconv.FormatInt(m.ID, 10)
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, self) {
		t.Fatalf("Location %q", loc)
	}

	tests := []struct {
		name       string
		api        *webtest.API
		method     string
		path       string
		body       any
		headers    []string
		want       int
		wantFields []string
	}{
		{"list", trainer, http.MethodGet, "/api/v1/members?q=tanaka", nil, nil, http.StatusOK, nil},
		{"list with bad filter", trainer, http.MethodGet, "/api/v1/members?fee_overdue=maybe&per_page=9999", nil, nil, http.StatusBadRequest, []string{"fee_overdue", "per_page"}},
		{"get", trainer, http.MethodGet, self, nil, nil, http.StatusOK, nil},
		{"get unknown", trainer, http.MethodGet, "/api/v1/members/999999", nil, nil, http.StatusNotFound, nil},
		{"create invalid", admin, http.MethodPost, "/api/v1/members", map[string]any{"first_name": "", "last_name": "X", "email": "not-mail", "phone": "12"}, nil, http.StatusUnprocessableEntity, []string{"first_name", "email", "phone"}},
		{"create duplicate e-mail", admin, http.MethodPost, "/api/v1/members", map[string]any{"first_name": "B", "last_name": "C", "email": "AIKO@example.org"}, nil, http.StatusUnprocessableEntity, []string{"email"}},
		{"create unknown field", admin, http.MethodPost, "/api/v1/members", `{"first_name":"A","last_name":"B","shoe_size":44}`, nil, http.StatusBadRequest, nil},
		{"create malformed", admin, http.MethodPost, "/api/v1/members", `{"first_name":`, nil, http.StatusBadRequest, nil},
		{"create two values", admin, http.MethodPost, "/api/v1/members", `{"first_name":"A","last_name":"B"} {}`, nil, http.StatusBadRequest, nil},
		{"create not an object", admin, http.MethodPost, "/api/v1/members", `["A","B"]`, nil, http.StatusBadRequest, nil},
		{"create date in another form", admin, http.MethodPost, "/api/v1/members", `{"first_name":"A","last_name":"B","birth_date":"01.04.1990"}`, nil, http.StatusUnprocessableEntity, []string{"birth_date"}},
		{"create number for a name", admin, http.MethodPost, "/api/v1/members", `{"first_name":7,"last_name":"B"}`, nil, http.StatusUnprocessableEntity, []string{"first_name"}},
		{"trainer may not create", trainer, http.MethodPost, "/api/v1/members", map[string]any{"first_name": "A", "last_name": "B"}, nil, http.StatusForbidden, nil},
		{"no token", &webtest.API{App: app}, http.MethodGet, "/api/v1/members", nil, nil, http.StatusUnauthorized, nil},
		{"patch stale If-Match", admin, http.MethodPatch, self, map[string]any{"rank": "5. Kyu"}, []string{"If-Match", `"999"`}, http.StatusPreconditionFailed, nil},
		{"patch bad If-Match", admin, http.MethodPatch, self, map[string]any{"rank": "5. Kyu"}, []string{"If-Match", `soon`}, http.StatusBadRequest, nil},
		{"patch invalid", admin, http.MethodPatch, self, map[string]any{"email": "nope"}, nil, http.StatusUnprocessableEntity, []string{"email"}},
		{"patch unknown member", admin, http.MethodPatch, "/api/v1/members/999999", map[string]any{"notes": "x"}, nil, http.StatusNotFound, nil},
		{"timeline", trainer, http.MethodGet, self + "/timeline", nil, nil, http.StatusOK, nil},
		{"archive unknown", admin, http.MethodDelete, "/api/v1/members/999999", nil, nil, http.StatusNotFound, nil},
		{"trainer may not archive", trainer, http.MethodDelete, self, nil, nil, http.StatusForbidden, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.api.Do(t, tc.method, tc.path, tc.body, tc.headers...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if tc.want >= 400 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
				var p web.Problem
				webtest.DecodeJSON(t, body, &p)
				for _, f := range tc.wantFields {
					found := false
					for _, e := range p.Errors {
						found = found || e.Field == f
					}
					if !found {
						t.Errorf("no error for field %s in %s", f, body)
					}
				}
			}
		})
	}

	// The stale PATCH changed nothing; a current one applies and bumps the version and ETag.
	resp, body = admin.Do(t, http.MethodGet, self, nil)
	var before members.Member
	webtest.DecodeJSON(t, body, &before)
	if before.Rank != "" || before.Version != m.Version {
		t.Fatalf("a refused patch changed the member: %+v", before)
	}
	resp, body = admin.Do(t, http.MethodPatch, self, map[string]any{"rank": "5. Kyu"}, "If-Match", resp.Header.Get("ETag"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("patch: %d %s", resp.StatusCode, body)
	}
	var after members.Member
	webtest.DecodeJSON(t, body, &after)
	if after.Rank != "5. Kyu" || after.Version != m.Version+1 || resp.Header.Get("ETag") != `"`+strconv.Itoa(after.Version)+`"` {
		t.Fatalf("after patch: %+v, ETag %s", after, resp.Header.Get("ETag"))
	}
	// Without If-Match the change applies to the current version.
	if resp, body := admin.Do(t, http.MethodPatch, self, map[string]any{"notes": "brown belt soon"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("patch without If-Match: %d %s", resp.StatusCode, body)
	}

	// The list answers the contract's shape.
	resp, body = trainer.Do(t, http.MethodGet, "/api/v1/members?q=tanaka&per_page=10", nil)
	var list struct {
		Items   []members.Member `json:"items"`
		Page    int              `json:"page"`
		PerPage int              `json:"per_page"`
		Total   int64            `json:"total"`
	}
	webtest.DecodeJSON(t, body, &list)
	if list.Total != 1 || len(list.Items) != 1 || list.Page != 1 || list.PerPage != 10 {
		t.Fatalf("list: %s", body)
	}

	// Archive answers 204, and the timeline shows who changed what.
	if resp, body := admin.Do(t, http.MethodDelete, self, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("archive: %d %s", resp.StatusCode, body)
	}
	_, body = trainer.Do(t, http.MethodGet, self+"/timeline", nil)
	if !strings.Contains(string(body), "rank") {
		t.Fatalf("timeline lacks the rank change: %s", body)
	}
}
