package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestCollectionInBrowser: an admin saves the creditor settings, adds a mandate on a member,
// plans a run from the list and cancels it from its page after confirming. The webtest app
// runs no FeeCollection workflow, so the run stays planned until it is cancelled.
func TestCollectionInBrowser(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	m := createMember(t, app, "Ada", "Okafor", "ada@example.org")
	ctx := browsertest.New(t)
	dialogs := browsertest.AcceptDialogs(ctx)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)

	browsertest.Open(ctx, t, app, "/collections", `[data-testid="settings-incomplete"]`)
	browsertest.Submit(ctx, t, `[data-testid="settings-link"]`)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#creditor_name`, "TSV Beispiel e.V."),
		chromedp.SendKeys(`#creditor_id`, testCreditorID),
		chromedp.SendKeys(`#iban`, testIBAN),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Submit(ctx, t, `[data-testid="save-settings"]`)
	if got := browsertest.Text(ctx, t, `[data-testid="flash"]`); got != "Direct debit settings saved." {
		t.Errorf("flash after saving settings = %q", got)
	}

	browsertest.Open(ctx, t, app, fmt.Sprintf("/members/%d", m.ID), `[data-testid="mandate-form"]`)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`[data-testid="mandate-form"] #iban`, testIBAN),
		chromedp.SetValue(`[data-testid="mandate-form"] #signed_on`, "2025-01-15"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Submit(ctx, t, `[data-testid="save-mandate"]`)
	if got := browsertest.Text(ctx, t, `[data-testid="mandate-iban"]`); got != testIBANShown {
		t.Errorf("mandate IBAN = %q, want %q", got, testIBANShown)
	}

	browsertest.Open(ctx, t, app, "/collections", `[data-testid="create-collection"]`)
	browsertest.Submit(ctx, t, `[data-testid="create-collection"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="collection-progress"]`, browsertest.Timeout)
	if st := browsertest.Text(ctx, t, `[data-testid="collection-status"]`); st != "planned" {
		t.Fatalf("new run's status = %q, want planned", st)
	}
	browsertest.Submit(ctx, t, `[data-confirm^="Cancel the collection"]`)
	if q := <-dialogs; !strings.HasPrefix(q, "Cancel the collection on ") {
		t.Errorf("confirmation asked %q", q)
	}
	if got := browsertest.Text(ctx, t, `[data-testid="flash"]`); got != "Collection cancelled." {
		t.Errorf("flash after cancelling = %q", got)
	}
	if st := browsertest.Text(ctx, t, `[data-testid="collection-status"]`); st != "cancelled" {
		t.Errorf("status after cancelling = %q, want cancelled", st)
	}
}
