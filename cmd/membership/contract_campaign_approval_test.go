package main

import (
	"fmt"
	"net/http"
	"testing"
)

// TestContractCampaignApproval: with approval for every campaign, a campaign waits until an
// admin other than its author approves it; its author is refused (403), a decided campaign is
// 409; a campaign that is not held cannot be sent now or skipped (409).
func TestContractCampaignApproval(t *testing.T) {
	s := startContract(t)
	second := s.cli(t, "token", "create", "second admin", "-role", "admin")
	for _, path := range []string{"/api/v1/campaign-settings", "/api/v1/campaigns/1/approve", "/api/v1/campaigns/1/reject",
		"/api/v1/campaigns/1/send-now", "/api/v1/campaigns/1/skip"} {
		method := http.MethodPost
		if path == "/api/v1/campaign-settings" {
			method = http.MethodPut
			wantStatus(t, "GET settings without a token", s.api(t, "", http.MethodGet, path, nil), http.StatusUnauthorized)
			wantStatus(t, "GET settings as a trainer", s.api(t, s.Trainer, http.MethodGet, path, nil), http.StatusForbidden)
		}
		wantStatus(t, method+" "+path+" without a token", s.api(t, "", method, path, nil), http.StatusUnauthorized)
		wantStatus(t, method+" "+path+" as a trainer", s.api(t, s.Trainer, method, path, nil), http.StatusForbidden)
	}
	wantStatus(t, "malformed settings", s.api(t, s.Admin, http.MethodPut, "/api/v1/campaign-settings", "{"), http.StatusBadRequest)
	wantStatus(t, "bad settings", s.api(t, s.Admin, http.MethodPut, "/api/v1/campaign-settings", map[string]any{"approval_min_audience": -1, "approval_hours": 0}), http.StatusUnprocessableEntity)
	wantStatus(t, "settings", s.api(t, s.Admin, http.MethodPut, "/api/v1/campaign-settings", map[string]any{"approval_min_audience": 1, "approval_hours": 48}), http.StatusOK)
	wantStatus(t, "read settings", s.api(t, s.Admin, http.MethodGet, "/api/v1/campaign-settings", nil), http.StatusOK)
	wantStatus(t, "member", s.api(t, s.Admin, http.MethodPost, "/api/v1/members", map[string]any{
		"first_name": "Anna", "last_name": "Approval", "email": "anna@example.org", "status": "active", "email_consent": true}), http.StatusCreated)

	start := func(name string) int64 {
		r := s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", map[string]any{"name": name, "channels": []string{"email"},
			"subject": "Renew", "message": "Hello {{.FirstName}}", "missed_policy": "hold"})
		wantStatus(t, "start "+name, r, http.StatusAccepted)
		var out struct {
			CampaignID int64 `json:"campaign_id"`
		}
		r.JSON(t, &out)
		waitFor(t, contractWait, name+" awaits approval", func() bool {
			var c struct {
				Approval string `json:"approval"`
			}
			s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", out.CampaignID), nil).JSON(t, &c)
			return c.Approval == "awaiting"
		})
		return out.CampaignID
	}
	path := func(id int64, verb string) string { return fmt.Sprintf("/api/v1/campaigns/%d/%s", id, verb) }

	ok := start("Approved")
	wantStatus(t, "the author approves", s.api(t, s.Admin, http.MethodPost, path(ok, "approve"), nil), http.StatusForbidden)
	wantStatus(t, "the author rejects", s.api(t, s.Admin, http.MethodPost, path(ok, "reject"), nil), http.StatusForbidden)
	wantStatus(t, "send-now, not held", s.api(t, s.Admin, http.MethodPost, path(ok, "send-now"), nil), http.StatusConflict)
	wantStatus(t, "skip, not held", s.api(t, s.Admin, http.MethodPost, path(ok, "skip"), nil), http.StatusConflict)
	wantStatus(t, "approve", s.api(t, second, http.MethodPost, path(ok, "approve"), map[string]any{"note": "fine"}), http.StatusOK)
	waitFor(t, contractWait, "the approved campaign completes", func() bool {
		var c struct {
			Status string `json:"status"`
		}
		s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", ok), nil).JSON(t, &c)
		return c.Status == "completed"
	})
	wantStatus(t, "reject after approval", s.api(t, second, http.MethodPost, path(ok, "reject"), nil), http.StatusConflict)

	no := start("Rejected")
	wantStatus(t, "reject", s.api(t, second, http.MethodPost, path(no, "reject"), nil), http.StatusOK)
	wantStatus(t, "approve after rejection", s.api(t, second, http.MethodPost, path(no, "approve"), nil), http.StatusConflict)
	for _, verb := range []string{"approve", "reject", "send-now", "skip"} {
		wantStatus(t, verb+" of no campaign", s.api(t, second, http.MethodPost, path(999999, verb), nil), http.StatusNotFound)
	}
}
