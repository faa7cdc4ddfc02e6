package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// TestContractCampaignAudience: DESIGN.md says a campaign's `audience` takes the member list's
// filters as an object, so a campaign's audience size is what the list counts for the same
// filters — every one of them, q first.
func TestContractCampaignAudience(t *testing.T) {
	s := startContract(t)
	for i, m := range []map[string]any{
		{"first_name": "Anna", "last_name": "Renewal", "email": "anna@example.org", "status": "active", "rank": "5. Kyu", "email_consent": true},
		{"first_name": "Bernd", "last_name": "Renewal", "email": "bernd@example.org", "status": "active", "rank": "1. Dan", "email_consent": true},
		{"first_name": "Clara", "last_name": "Renewal", "email": "clara@example.org", "status": "paused", "email_consent": true},
		{"first_name": "Dieter", "last_name": "Other", "email": "dieter@example.org", "status": "active", "email_consent": true},
	} {
		wantStatus(t, fmt.Sprintf("create member %d", i), s.api(t, s.Admin, http.MethodPost, "/api/v1/members", m), http.StatusCreated)
	}
	cases := []struct {
		name     string
		audience map[string]any
		query    url.Values
	}{
		{"q and status", map[string]any{"q": "Renewal", "status": "active"}, url.Values{"q": {"Renewal"}, "status": {"active"}}},
		{"q alone", map[string]any{"q": "renewal"}, url.Values{"q": {"renewal"}}},
		{"rank", map[string]any{"rank": "1. Dan"}, url.Values{"rank": {"1. Dan"}}},
		{"status list", map[string]any{"status": "active,paused"}, url.Values{"status": {"active,paused"}}},
		{"verified", map[string]any{"verified": false}, url.Values{"verified": {"false"}}},
		{"fee_overdue", map[string]any{"fee_overdue": false, "q": "Other"}, url.Values{"fee_overdue": {"false"}, "q": {"Other"}}},
		{"ends_within_days", map[string]any{"ends_within_days": 60}, url.Values{"ends_within_days": {"60"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var list struct {
				Total int `json:"total"`
			}
			r := s.api(t, s.Admin, http.MethodGet, "/api/v1/members?"+tc.query.Encode(), nil)
			wantStatus(t, "list", r, http.StatusOK)
			r.JSON(t, &list)
			start := s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", map[string]any{
				"name": "Audience " + tc.name, "channels": []string{"email"}, "audience": tc.audience,
				"subject": "Renew", "message": "Hello {{.FirstName}}",
			})
			wantStatus(t, "start campaign", start, http.StatusAccepted)
			var started struct {
				CampaignID int64 `json:"campaign_id"`
			}
			start.JSON(t, &started)
			var c struct {
				Status       string `json:"status"`
				AudienceSize int    `json:"audience_size"`
			}
			waitFor(t, contractWait, "the campaign completes", func() bool {
				r := s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", started.CampaignID), nil)
				wantStatus(t, "read campaign", r, http.StatusOK)
				r.JSON(t, &c)
				return c.Status == "completed"
			})
			if c.AudienceSize != list.Total {
				t.Errorf("audience %v: %d members, the list with %s counts %d", tc.audience, c.AudienceSize, tc.query.Encode(), list.Total)
			}
		})
	}
}
