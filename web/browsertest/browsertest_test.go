package browsertest_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestSignIn proves the harness: a browser starts, signs in through the real login form and
// lands on a page that names the user; a dialog the page opens is accepted and reported.
func TestSignIn(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := browsertest.New(t)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)
	if got := browsertest.Text(ctx, t, `[data-testid="current-user"]`); got != webtest.AdminEmail {
		t.Errorf("current user = %q, want %q", got, webtest.AdminEmail)
	}

	// The logout button asks nothing; a confirm raised by script stands in for the pages' own.
	dialogs := browsertest.AcceptDialogs(ctx)
	accepted, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`confirm("Really?")`))
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	if !accepted {
		t.Error("confirm answered false, want the dialog accepted")
	}
	if msg := <-dialogs; msg != "Really?" {
		t.Errorf("dialog message = %q, want %q", msg, "Really?")
	}
}
