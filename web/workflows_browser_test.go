package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestWorkflowRewindInBrowser: an admin opens a failed workflow in the monitor, sees the step
// that failed in the timeline, rewinds it (confirming the dialog), and watches the page, polled
// by htmx, turn to completed.
func TestWorkflowRewindInBrowser(t *testing.T) {
	a := newDurableApp(t)
	a.failing.Store(true)
	id := a.start(t, "Flaky", "")
	a.await(t, id, "Failed")

	ctx := browsertest.New(t)
	browsertest.SignIn(ctx, t, a.App, webtest.AdminEmail, webtest.AdminPassword)
	browsertest.Open(ctx, t, a.App, "/workflows/"+id, `[data-testid="timeline"]`)
	failedStep := `[data-testid="step"][data-status="failed"]`
	if name, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(failedStep), "data-name")); err != nil || name.Value != "Send" {
		t.Fatalf("failed step in the timeline: %+v, %v; want Send", name, err)
	}
	if s := browsertest.Text(ctx, t, `[data-testid="failure"]`); !strings.Contains(s, "the mail server said no") {
		t.Errorf("failure shown = %q", s)
	}

	// The fixed Send is held back, so that the page shows the instance running and polls.
	a.failing.Store(false)
	a.holding.Store(true)
	dialogs := browsertest.AcceptDialogs(ctx)
	browsertest.Click(ctx, t, `form[action$="/rewind"] button`)
	if q := <-dialogs; !strings.Contains(q, "Rewind this workflow?") {
		t.Errorf("confirmation = %q", q)
	}
	browsertest.WaitFor(ctx, t, `[data-testid="flash"]`, 10*time.Second)
	browsertest.WaitFor(ctx, t, `#workflow-live[hx-trigger="every 2s"] .badge-running`, 10*time.Second)

	a.holding.Store(false)
	browsertest.WaitFor(ctx, t, `#workflow-live .badge-completed`, 15*time.Second)
	if st, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid="step"][data-name="Send"]`), "data-status")); err != nil || st.Value != "completed" {
		t.Errorf("Send after the rewind: %+v, %v; want completed", st, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-status="failed"]').length`)); err != nil || n != 0 {
		t.Errorf("failed steps left: %d, %v", n, err)
	}
}
