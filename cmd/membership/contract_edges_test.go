package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestContractEdges answers, once each, the status codes the README's API section lists that
// the other contract tests do not reach on their way: refusals a script meets when it asks
// for something the state forbids.
func TestContractEdges(t *testing.T) {
	s := startContract(t, "MEMBERSHIP_IMPORT_MAX_BYTES=200")
	created := s.api(t, s.Admin, http.MethodPost, "/api/v1/members", map[string]any{
		"first_name": "Nomi", "last_name": "Edge", "email": "nomi@example.org", "status": "active", "email_consent": true})
	wantStatus(t, "create member", created, http.StatusCreated)
	id := int64(created.Object(t)["id"].(float64))
	member := fmt.Sprintf("/api/v1/members/%d", id)

	campaign := s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", map[string]any{"name": "Edge", "channels": []string{"email"},
		"audience": map[string]any{"q": "Edge"}, "subject": "Hi", "message": "Hello"})
	wantStatus(t, "start campaign", campaign, http.StatusAccepted)
	cid := int64(campaign.Object(t)["campaign_id"].(float64))
	waitFor(t, contractWait, "the campaign completes", func() bool {
		var c struct{ Status string }
		s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", cid), nil).JSON(t, &c)
		return c.Status == "completed"
	})

	tests := []struct {
		name, method, path string
		body               any
		want               int
		field              string // the field a 422 must name
	}{
		{"list with an unknown plan", http.MethodGet, "/api/v1/members?plan=Senioren", nil, http.StatusUnprocessableEntity, "plan"},
		{"duplicate e-mail", http.MethodPost, "/api/v1/members", map[string]any{"first_name": "N", "last_name": "E", "email": "nomi@example.org"}, http.StatusUnprocessableEntity, "email"},
		{"verifications of a member", http.MethodGet, member + "/verifications", nil, http.StatusOK, ""},
		{"verifications of no member", http.MethodGet, "/api/v1/members/999999/verifications", nil, http.StatusNotFound, ""},
		{"phone verification without a phone", http.MethodPost, member + "/verifications/phone", nil, http.StatusUnprocessableEntity, "phone"},
		{"cancel verifications", http.MethodPost, member + "/verifications/cancel", nil, http.StatusOK, ""},
		{"cancel verifications of no member", http.MethodPost, "/api/v1/members/999999/verifications/cancel", nil, http.StatusNotFound, ""},
		{"campaigns with a bad page", http.MethodGet, "/api/v1/campaigns?page=abc", nil, http.StatusBadRequest, ""},
		{"campaigns with too many per page", http.MethodGet, "/api/v1/campaigns?per_page=501", nil, http.StatusBadRequest, ""},
		{"cancel no campaign", http.MethodPost, "/api/v1/campaigns/999999/cancel", nil, http.StatusNotFound, ""},
		{"cancel a finished campaign", http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/cancel", cid), nil, http.StatusConflict, ""},
		{"retry no campaign", http.MethodPost, "/api/v1/campaigns/999999/retry-failed", nil, http.StatusNotFound, ""},
		{"retry a campaign without failures", http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", cid), nil, http.StatusConflict, ""},
		{"import larger than import.max_bytes", http.MethodPost, "/api/v1/members/import", strings.Repeat("first_name,last_name\nA,B\n", 20), http.StatusRequestEntityTooLarge, ""},
		{"start with a body that is no JSON", http.MethodPost, "/runtime/webhooks/durabletask/orchestrators/PhoneVerification", "{not json", http.StatusBadRequest, ""},
		{"start an id that exists", http.MethodPost, "/runtime/webhooks/durabletask/orchestrators/CrashTest/crash-test", nil, http.StatusConflict, ""},
		{"purge by filter without createdTimeFrom", http.MethodDelete, "/runtime/webhooks/durabletask/instances", nil, http.StatusBadRequest, ""},
		{"purge by filter finding nothing", http.MethodDelete, "/runtime/webhooks/durabletask/instances?createdTimeFrom=2000-01-01T00:00:00Z&instanceIdPrefix=nothing-", nil, http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if strings.HasSuffix(tc.path, "/import") {
				headers = []string{"Content-Type", "text/csv"}
			}
			r := s.api(t, s.Admin, tc.method, tc.path, tc.body, headers...)
			if tc.want < 400 {
				wantStatus(t, tc.name, r, tc.want)
				return
			}
			p := wantProblem(t, tc.name, r, tc.want)
			if tc.field != "" && !strings.Contains(fmt.Sprint(p["errors"]), "field:"+tc.field) {
				t.Errorf("%s: errors %v do not name %q", tc.name, p["errors"], tc.field)
			}
		})
	}
	// The e-mail verification of a member without an address, after the one with an address
	// above would have started: remove the address first.
	wantStatus(t, "remove the e-mail", s.api(t, s.Admin, http.MethodPatch, member, map[string]any{"email": ""}), http.StatusOK)
	wantProblem(t, "e-mail verification without an address", s.api(t, s.Admin, http.MethodPost, member+"/verifications/email", nil), http.StatusUnprocessableEntity)
}
