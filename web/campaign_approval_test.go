package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"membership/members"
	"membership/web/auth"
	"membership/web/webtest"
)

// TestCampaignApprovalPages: the rule is set on the campaign list; a campaign planned in the
// browser waits on its page for another admin, whose approve button sends it; the author's
// button says they cannot; a bad rule comes back with the reason next to its field.
func TestCampaignApprovalPages(t *testing.T) {
	app, _ := campaignApp(t)
	author := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	resp, body := author.PostFormBody(t, "/campaigns/approval-settings", url.Values{"approval_min_audience": {"-3"}, "approval_hours": {"x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-approval_hours"`) ||
		!strings.Contains(body, `value="-3"`) || !strings.Contains(body, `value="x"`) {
		t.Fatalf("bad rule: %d\n%s", resp.StatusCode, body)
	}
	resp, body = author.PostFormBody(t, "/campaigns/approval-settings", url.Values{"approval_min_audience": {"-3"}, "approval_hours": {"5"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-approval_min_audience"`) {
		t.Fatalf("negative audience: %d\n%s", resp.StatusCode, body)
	}
	resp = author.PostForm(t, "/campaigns/approval-settings", url.Values{"approval_min_audience": {"2"}, "approval_hours": {"24"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save rule: %d", resp.StatusCode)
	}
	if set, _ := app.Members.CampaignSettings(context.Background()); set.ApprovalMinAudience != 2 || set.ApprovalHours != 24 {
		t.Fatalf("rule = %+v", set)
	}
	resp = author.PostForm(t, "/campaigns", url.Values{"name": {"Renewal"}, "channels": {"email"}, "subject": {"Hi"},
		"message": {"Hello"}, "when": {"now"}, "status": {"active"}, "missed_policy": {"hold"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plan campaign: %d", resp.StatusCode)
	}
	page := resp.Header.Get("Location")
	var id int64
	fmt.Sscanf(page, "/campaigns/%d", &id)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := app.Members.GetCampaign(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Approval == members.ApprovalAwaiting {
			if c.MissedPolicy != members.MissedHold {
				t.Errorf("missed policy = %q, want hold", c.MissedPolicy)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign %d: approval %q", id, c.Approval)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, body = author.Get(t, page)
	if !strings.Contains(body, `data-approval="awaiting"`) || !strings.Contains(body, page+"/approve") {
		t.Fatalf("the page does not offer the approval:\n%s", body)
	}
	author.PostForm(t, page+"/approve", url.Values{})
	_, body = author.Get(t, page)
	if !strings.Contains(body, "Another admin has to approve") {
		t.Errorf("the author's approval is not refused on the page")
	}
	if _, err := app.Auth.AddUser(context.Background(), "second@example.org", "Second", auth.RoleAdmin, "second-password-42"); err != nil {
		t.Fatal(err)
	}
	second := app.Login(t, "second@example.org", "second-password-42")
	second.PostForm(t, page+"/approve", url.Values{})
	c := waitCampaignDone(t, app.API(t, "admin"), id)
	if c.Status != members.CampaignCompleted || c.Approval != members.ApprovalApproved {
		t.Fatalf("campaign = %s, approval %s", c.Status, c.Approval)
	}
	_, body = second.Get(t, page)
	if !strings.Contains(body, `data-approval="approved"`) {
		t.Errorf("the page does not say it is approved")
	}
	log, _, err := app.Members.AuditLog(context.Background(), members.AuditQuery{PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	var approved bool
	for _, e := range log {
		approved = approved || e.Action == members.ActionCampaignApprove
	}
	if !approved {
		t.Error("no audit row for the approval")
	}
}
