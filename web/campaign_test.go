package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"membership/config"
	"membership/members"
	"membership/web/webtest"
)

// campaignApp is the app with the campaign workflows and five members: Ada, Ben and Cleo can
// get e-mail and SMS, Dan gave no e-mail consent, Eve has no e-mail address.
func campaignApp(t *testing.T) (*webtest.App, *webtest.Sending) {
	t.Helper()
	app, s := webtest.StartSending(t, webtest.Options{Configure: func(cfg *config.Config) {
		cfg.Campaigns.QuietHours = config.QuietHours{}
	}})
	for i, first := range []string{"Ada", "Ben", "Cleo", "Dan", "Eve"} {
		in := members.MemberInput{FirstName: first, LastName: "Okafor", Email: strings.ToLower(first) + "@example.org",
			Phone: fmt.Sprintf("+49151234567%02d", i), Status: members.StatusActive, SMSConsent: true, EmailConsent: first != "Dan"}
		if first == "Eve" {
			in.Email, in.EmailConsent = "", false
		}
		if _, err := app.Members.Create(context.Background(), "user:1", in); err != nil {
			t.Fatal(err)
		}
	}
	return app, s
}

// waitCampaignDone polls the API until campaign id has finished.
func waitCampaignDone(t *testing.T, api *webtest.API, id int64) members.Campaign {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var c members.Campaign
		_, body := api.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", id), nil)
		webtest.DecodeJSON(t, body, &c)
		if c.Status.Finished() {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign %d still %s", id, c.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCampaignAPI(t *testing.T) {
	app, _ := campaignApp(t)
	admin, trainer := app.API(t, "admin"), app.API(t, "trainer")
	valid := map[string]any{"name": "Renewal", "channels": []string{"email", "sms"}, "audience": map[string]any{"status": "active"},
		"subject": "Renew, {{.FirstName}}", "message": "Hello {{.FirstName}}"}
	with := func(k string, v any) map[string]any {
		out := map[string]any{}
		for key, val := range valid {
			out[key] = val
		}
		out[k] = v
		return out
	}
	cases := []struct {
		name   string
		api    *webtest.API
		body   any
		status int
		field  string
	}{
		{"unknown field", admin, with("colour", "red"), http.StatusBadRequest, ""},
		{"unknown audience filter", admin, with("audience", map[string]any{"age": 3}), http.StatusBadRequest, ""},
		{"no channel", admin, with("channels", []string{}), http.StatusUnprocessableEntity, "channels"},
		{"unknown template field", admin, with("message", "Hi {{.Nick}}"), http.StatusUnprocessableEntity, "message"},
		{"unknown plan", admin, with("audience", map[string]any{"plan": "Nope"}), http.StatusUnprocessableEntity, "audience.plan"},
		{"trainer", trainer, valid, http.StatusForbidden, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.api.Do(t, http.MethodPost, "/api/v1/campaigns", tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.field != "" && !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
				t.Errorf("body %s names no error for %s", body, tc.field)
			}
		})
	}

	resp, body := admin.Do(t, http.MethodPost, "/api/v1/campaigns", valid)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	var started map[string]any
	webtest.DecodeJSON(t, body, &started)
	id := int64(started["campaign_id"].(float64))
	if started["id"] != fmt.Sprintf("campaign:%d", id) || resp.Header.Get("Location") != started["statusQueryGetUri"] || started["sendEventPostUri"] == nil {
		t.Errorf("202 payload %v, Location %q", started, resp.Header.Get("Location"))
	}
	c := waitCampaignDone(t, admin, id)
	want := members.CampaignCounts{Total: 10, Sent: 8, Skipped: 2}
	if c.Status != members.CampaignCompleted || c.Counts != want || c.AudienceSize != 5 {
		t.Fatalf("campaign = %s %+v of %d, want completed %+v of 5", c.Status, c.Counts, c.AudienceSize, want)
	}

	_, body = trainer.Do(t, http.MethodGet, "/api/v1/campaigns", nil)
	var list struct {
		Items []members.Campaign `json:"items"`
		Total int64              `json:"total"`
		Page  int                `json:"page"`
	}
	webtest.DecodeJSON(t, body, &list)
	if list.Total != 1 || len(list.Items) != 1 || list.Items[0].ID != id || list.Page != 1 {
		t.Errorf("list = %+v", list)
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/api/v1/campaigns/999", http.StatusNotFound},
		{http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/cancel", id), http.StatusConflict},
		{http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id), http.StatusConflict}, // nothing failed
	} {
		if resp, body := admin.Do(t, tc.method, tc.path, nil); resp.StatusCode != tc.status {
			t.Errorf("%s %s = %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.status, body)
		}
	}
	if resp, _ := trainer.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/cancel", id), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer cancel = %d, want 403", resp.StatusCode)
	}
}

func TestFeePaidAPI(t *testing.T) {
	app, _ := campaignApp(t)
	admin := app.API(t, "admin")
	ctx := context.Background()
	plan, err := app.Members.CreatePlan(ctx, "user:1", members.PlanInput{Name: "Adults", FeeAmount: 3500, Currency: "EUR", Period: members.Monthly})
	if err != nil {
		t.Fatal(err)
	}
	m, err := app.Members.Create(ctx, "user:1", members.MemberInput{FirstName: "Yui", LastName: "Mori", Status: members.StatusActive, Plan: plan.Name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Members.CreateFeesForPeriod(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	fees, err := app.Members.Fees(ctx, m.ID)
	if err != nil || len(fees) != 1 {
		t.Fatalf("fees = %v, %v", fees, err)
	}
	today := time.Now().In(app.Config.Club.Location()).Format(time.DateOnly)
	path := fmt.Sprintf("/api/v1/fees/%d/paid", fees[0].ID)
	cases := []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"bad method", path, map[string]string{"paid_on": today, "method": "gold"}, http.StatusUnprocessableEntity},
		{"no date", path, map[string]string{"method": "cash"}, http.StatusUnprocessableEntity},
		{"unknown field", path, map[string]string{"paid_on": today, "method": "cash", "note": "x"}, http.StatusBadRequest},
		{"unknown fee", "/api/v1/fees/99999/paid", map[string]string{"paid_on": today, "method": "cash"}, http.StatusNotFound},
		{"paid", path, map[string]string{"paid_on": today, "method": "bank_transfer"}, http.StatusOK},
		{"the same payment again", path, map[string]string{"paid_on": today, "method": "bank_transfer"}, http.StatusOK},
		{"another payment", path, map[string]string{"paid_on": today, "method": "cash"}, http.StatusConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if resp, body := admin.Do(t, http.MethodPost, tc.path, tc.body); resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
		})
	}
	if resp, _ := app.API(t, "trainer").Do(t, http.MethodPost, path, map[string]string{"paid_on": today, "method": "cash"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer = %d, want 403", resp.StatusCode)
	}
}

func TestCampaignPages(t *testing.T) {
	app, _ := campaignApp(t)
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	if resp, body := admin.Get(t, "/campaigns"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="empty"`) {
		t.Fatalf("empty list: %d", resp.StatusCode)
	}
	if resp, body := admin.Get(t, "/campaigns/new"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="campaign-form"`) {
		t.Fatalf("new: %d", resp.StatusCode)
	}
	form := url.Values{"name": {"Renewal"}, "channels": {"email", "sms"}, "status": {"active"}, "subject": {"Renew, {{.FirstName}}"},
		"message": {"Hello {{.FirstName}}, your membership at {{.Club}} ends soon."}, "when": {"now"}}
	form.Set("action", "preview")
	resp, body := admin.PostFormBody(t, "/campaigns", form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	for _, want := range []string{`data-testid="audience-size">5<`, "3 reached", "5 reached", "1 skipped (no e-mail consent)", "1 skipped (no e-mail address)",
		"Hello Ada, your membership at My Dojo ends soon.", "SMS segment per member", "Renew, Ada"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("message", "Hello {{.Nick}}")
	if resp, body := admin.PostFormBody(t, "/campaigns", bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "unknown field Nick") {
		t.Errorf("bad template: %d", resp.StatusCode)
	}
	bad.Set("message", "Hello")
	bad.Set("when", "later")
	if resp, body := admin.PostFormBody(t, "/campaigns", bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-start_at"`) {
		t.Errorf("planned without a date: %d", resp.StatusCode)
	}

	form.Set("action", "start")
	resp = admin.PostForm(t, "/campaigns", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/campaigns/") {
		t.Fatalf("start: %d to %q", resp.StatusCode, loc)
	}
	if _, body := admin.Get(t, loc); !strings.Contains(body, `data-testid="campaign-progress"`) || !strings.Contains(body, "Campaign started.") {
		t.Error("the campaign page shows no progress or no flash")
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/campaigns/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	waitCampaignDone(t, app.API(t, "admin"), id)

	req, _ := http.NewRequest(http.MethodGet, app.URL+loc+"/progress", nil)
	req.Header.Set("HX-Request", "true")
	presp, err := admin.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	presp.Body.Close()
	if presp.Header.Get("HX-Refresh") != "true" {
		t.Error("the progress of a finished campaign does not ask htmx to reload the page")
	}
	_, body = admin.Get(t, loc)
	for _, want := range []string{`data-testid="sent">8<`, `data-testid="skipped">2<`, "completed", `data-testid="report-csv"`} {
		if !strings.Contains(body, want) {
			t.Errorf("finished page lacks %q", want)
		}
	}
	if strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Error("a finished campaign's page still polls")
	}
	resp, body = admin.Get(t, loc+"/report.csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || err != nil || len(rows) != 11 || rows[0][0] != "member_id" {
		t.Fatalf("report: %s, %d rows, %v", resp.Header.Get("Content-Type"), len(rows), err)
	}
	if _, body := admin.Get(t, "/campaigns"); !strings.Contains(body, `data-testid="campaign-row"`) {
		t.Error("the list shows no campaign")
	}

	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	if resp, _ := trainer.Get(t, loc); resp.StatusCode != http.StatusOK {
		t.Errorf("trainer view: %d", resp.StatusCode)
	}
	if resp, _ := trainer.Get(t, "/campaigns/new"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer new: %d, want 403", resp.StatusCode)
	}
	if resp := trainer.PostForm(t, loc+"/cancel", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer cancel: %d, want 403", resp.StatusCode)
	}
	if resp := admin.PostForm(t, loc+"/cancel", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("cancel of a finished campaign: %d, want a redirect with the reason", resp.StatusCode)
	}
}

// TestCampaignFormAudienceIsTheList: the campaign form takes every member-list filter, and
// its audience is the members the list counts for the same filters; the list's link to a
// campaign carries its filters into the form.
func TestCampaignFormAudienceIsTheList(t *testing.T) {
	app, _ := campaignApp(t)
	ctx := context.Background()
	if _, err := app.Members.Create(ctx, "user:1", members.MemberInput{FirstName: "Ada", LastName: "Lindqvist", Email: "ada.l@example.org",
		Status: members.StatusPaused, Rank: "1. Dan", EmailConsent: true}); err != nil {
		t.Fatal(err)
	}
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	api := app.API(t, "admin")
	tests := []struct {
		name   string
		filter url.Values
		want   int
	}{
		{"search", url.Values{"q": {"ada"}}, 2},
		{"search and status", url.Values{"q": {"ada"}, "status": {"active"}}, 1},
		{"two words", url.Values{"q": {"ada lind"}}, 1},
		{"rank", url.Values{"rank": {"1. Dan"}}, 1},
		{"status list", url.Values{"status": {"active,paused"}}, 6},
		{"not verified", url.Values{"verified": {"false"}, "status": {"active"}}, 5},
		{"no overdue fee", url.Values{"fee_overdue": {"false"}, "q": {"okafor"}}, 5},
		{"ends within", url.Values{"ends_within_days": {"30"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var list struct{ Total int }
			_, body := api.Do(t, http.MethodGet, "/api/v1/members?"+tc.filter.Encode(), nil)
			webtest.DecodeJSON(t, body, &list)
			if list.Total != tc.want {
				t.Fatalf("the list counts %d, want %d", list.Total, tc.want)
			}
			form := url.Values{"name": {"Audience"}, "channels": {"email"}, "subject": {"Hi"}, "message": {"Hello"}, "when": {"now"}, "action": {"preview"}}
			for k, v := range tc.filter {
				form[k] = v
			}
			resp, page := admin.PostFormBody(t, "/campaigns", form)
			if want := fmt.Sprintf(`data-testid="audience-size">%d<`, tc.want); resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
				t.Errorf("preview: %d, want %s", resp.StatusCode, want)
			}
		})
	}

	_, body := admin.Get(t, "/members?q=ada")
	if !strings.Contains(body, `href="/campaigns/new?q=ada"`) {
		t.Error("the member list has no link to a campaign to its members")
	}
	if resp, body := admin.Get(t, "/campaigns/new?q=ada&status=paused"); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `name="q" type="search" value="ada"`) || !strings.Contains(body, `<option value="paused" selected>`) {
		t.Errorf("the form does not take the list's filters: %d", resp.StatusCode)
	}
	if resp, body := admin.PostFormBody(t, "/campaigns", url.Values{"name": {"Bad"}, "channels": {"email"}, "subject": {"Hi"}, "message": {"Hello"},
		"when": {"now"}, "action": {"preview"}, "ends_within_days": {"soon"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "whole number") {
		t.Errorf("a bad number of days: %d", resp.StatusCode)
	}
}
