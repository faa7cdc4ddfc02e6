package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestMemberFormInBrowser: an admin adds a member with a bad phone number, sees the message next
// to the field, fixes it, saves, and finds the member by search — in a real Chromium.
func TestMemberFormInBrowser(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := browsertest.New(t)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)

	browsertest.Open(ctx, t, app, "/members", `[data-testid="new-member"]`)
	browsertest.Click(ctx, t, `[data-testid="new-member"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="member-form"]`, browsertest.Timeout)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#first_name`, "Hana"),
		chromedp.SendKeys(`#last_name`, "Kobayashi"),
		chromedp.SendKeys(`#email`, "hana@example.org"),
		chromedp.SendKeys(`#phone`, "0151 2345"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="save"]`)
	msg := browsertest.Text(ctx, t, `[data-testid="error-phone"]`)
	if !strings.Contains(strings.ToLower(msg), "phone") {
		t.Fatalf("phone error reads %q", msg)
	}
	// The input is kept: only the phone needs fixing.
	if err := chromedp.Do(ctx,
		chromedp.Clear(`#phone`),
		chromedp.SendKeys(`#phone`, "0151 23456789"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="save"]`)
	if name := browsertest.Text(ctx, t, `[data-testid="member-name"]`); name != "Hana Kobayashi" {
		t.Fatalf("member page shows %q", name)
	}

	browsertest.Open(ctx, t, app, "/members", `[data-testid="search"]`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(`[data-testid="search"]`, "kobaya\n")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, `[data-testid="member-row"]`, browsertest.Timeout)
	if row := browsertest.Text(ctx, t, `[data-testid="member-row"]`); !strings.Contains(row, "+4915123456789") {
		t.Fatalf("search result row %q", row)
	}
}
