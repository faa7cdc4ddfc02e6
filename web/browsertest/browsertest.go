// Package browsertest drives the real web server with headless Chromium (chromedp) for
// browser tests: New starts a browser for one test, SignIn logs in through the login form of a
// webtest.App, and a few helpers wait for, read and click elements with the test's deadline.
//
// Chromium is /usr/bin/chromium (Debian's package). Where it is missing the test is skipped,
// except in CI (CI=true), where it fails.
package browsertest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"membership/db/dbtest"
	"membership/web/webtest"
)

// ChromiumPath is where the browser is expected.
const ChromiumPath = "/usr/bin/chromium"

// Timeout bounds a whole browser test: a hung page fails the test instead of the run.
const Timeout = 2 * time.Minute

// New starts a headless Chromium with a fresh profile and returns the context of its one tab;
// the browser stops when the test ends. Run actions on it with chromedp.Run and chromedp.Do.
func New(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		dbtest.Unavailable(t, "Chromium", err.Error())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		// As root, Chromium refuses to start with its sandbox; there is no network to reach, so
		// everything that would phone home is off.
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	// The deadline sits on the browser's own context: chromedp stops the browser with it, which
	// is what a test that hangs needs.
	deadline, cancelDeadline := context.WithTimeout(context.Background(), Timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelDeadline()
	})
	// Start the browser now, so that a browser that cannot start fails here and not in the
	// first step of the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// SignIn signs in through app's login form and waits for the page behind it.
func SignIn(ctx context.Context, t testing.TB, app *webtest.App, email, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="current-user"]`)),
	)
	if err != nil {
		t.Fatalf("sign in as %s: %v", email, err)
	}
}

// Open navigates to a path of app and waits until css is visible.
func Open(ctx context.Context, t testing.TB, app *webtest.App, path, css string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+path), chromedp.WaitVisible(chromedp.CSS(css))); err != nil {
		t.Fatalf("open %s and wait for %s: %v", path, css, err)
	}
}

// Text returns the visible text of the first element matching css, waiting for it. Right after
// a form submit the element found may belong to a page being replaced ("No node with given id"),
// so a read that loses its node is tried again on the new page.
func Text(ctx context.Context, t testing.TB, css string) string {
	t.Helper()
	for {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
		if err == nil {
			return s
		}
		// The page may change under the query: htmx swapped the node, or reloaded the page
		// (its old execution context is gone). Both mean: ask again.
		changed := strings.Contains(err.Error(), "No node with given id") || strings.Contains(err.Error(), "Cannot find context with specified id")
		if !changed || ctx.Err() != nil {
			t.Fatalf("text of %s: %v", css, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Click clicks the first element matching css, waiting for it to be visible.
func Click(ctx context.Context, t testing.TB, css string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible)); err != nil {
		t.Fatalf("click %s: %v", css, err)
	}
}

// Submit clicks the first element matching css — a button that loads another page — and
// waits until that page has loaded. Without the wait, the next step may find its element on
// the page being left (the form's own buttons are on both) and lose it mid-step.
func Submit(ctx context.Context, t testing.TB, css string) {
	t.Helper()
	err := chromedp.Do(ctx,
		// A mark on the page being left; the page that replaces it has none.
		chromedp.Evaluate[chromedp.Void](`window.__leaving = true`),
		chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible),
	)
	if err != nil {
		t.Fatalf("submit with %s: %v", css, err)
	}
	// Asked while the page changes, the question may fail with the page it was put to.
	for {
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__leaving === undefined && document.readyState === "complete"`))
		if err == nil && loaded {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("submit with %s: the next page did not load: %v", css, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitFor waits until an element matching css is visible, up to within.
func WaitFor(ctx context.Context, t testing.TB, css string, within time.Duration) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(css))); err != nil {
		t.Fatalf("wait %v for %s: %v", within, css, err)
	}
}

// AcceptDialogs accepts every JavaScript dialog the page opens (confirm, alert) from now until
// the browser stops, and sends each dialog's message on the returned channel (messages nobody
// reads are dropped once its buffer is full). The channel closes when accepting stops: the
// browser ended, or a dialog could not be accepted, which leaves the page blocked and the test
// failing on its next step.
func AcceptDialogs(ctx context.Context) <-chan string {
	msgs := make(chan string, 16)
	// Subscribing before the goroutine starts means no dialog opened after this call is missed.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		defer close(msgs)
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			select {
			case msgs <- ev.Message:
			default:
			}
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil {
				return
			}
		}
	}()
	return msgs
}
