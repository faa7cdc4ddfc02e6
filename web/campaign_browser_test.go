package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestCampaignInBrowser: an admin previews and starts a campaign from the form, after
// confirming; then watches a planned campaign's page go from planned to completed without
// reloading it — htmx polls the progress and reloads the page for the report at the end.
func TestCampaignInBrowser(t *testing.T) {
	app, _ := campaignApp(t)
	ctx := browsertest.New(t)
	dialogs := browsertest.AcceptDialogs(ctx)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)

	browsertest.Open(ctx, t, app, "/campaigns", `[data-testid="new-campaign"]`)
	browsertest.Click(ctx, t, `[data-testid="new-campaign"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="campaign-form"]`, browsertest.Timeout)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#name`, "Spring renewal"),
		chromedp.SendKeys(`#subject`, "Renew, {{.FirstName}}"),
		chromedp.SendKeys(`#message`, "Hello {{.FirstName}}"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="preview"]`)
	if size := browsertest.Text(ctx, t, `[data-testid="audience-size"]`); size != "5" {
		t.Fatalf("preview audience = %q, want 5", size)
	}
	if sample := browsertest.Text(ctx, t, `[data-testid="sample"]`); !strings.Contains(sample, "Hello Ada") {
		t.Errorf("sample = %q", sample)
	}
	browsertest.Click(ctx, t, `[data-testid="start"]`)
	if q := <-dialogs; !strings.Contains(q, "Start this campaign") {
		t.Errorf("confirmation asked %q", q)
	}
	browsertest.WaitFor(ctx, t, `[data-testid="campaign-progress"]`, browsertest.Timeout)

	start := time.Now().Add(3 * time.Second).UTC()
	resp, body := app.API(t, "admin").Do(t, http.MethodPost, "/api/v1/campaigns", map[string]any{"name": "Later", "channels": []string{"email"},
		"subject": "Hi", "message": "Hello", "start_at": start})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("plan: %d %s", resp.StatusCode, body)
	}
	var planned struct {
		CampaignID int64 `json:"campaign_id"`
	}
	webtest.DecodeJSON(t, body, &planned)
	browsertest.Open(ctx, t, app, fmt.Sprintf("/campaigns/%d", planned.CampaignID), `[data-testid="campaign-status"]`)
	if st := browsertest.Text(ctx, t, `[data-testid="campaign-status"]`); st != "planned" {
		t.Fatalf("status = %q, want planned", st)
	}
	// Nothing but htmx touches the page from here on.
	deadline := time.Now().Add(30 * time.Second)
	for browsertest.Text(ctx, t, `[data-testid="campaign-status"]`) != "completed" {
		if time.Now().After(deadline) {
			t.Fatal("the page never showed the campaign completed")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if sent := browsertest.Text(ctx, t, `[data-testid="sent"]`); sent != "3" {
		t.Errorf("sent = %q, want 3", sent)
	}
}
