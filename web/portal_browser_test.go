package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"membership/members"
	"membership/web/browsertest"
	"membership/web/webtest"
)

// phone is a browser the size of a phone, as members use the portal.
func phone(t *testing.T) context.Context {
	t.Helper()
	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// askInBrowser fills the sign-in form with address and waits for the code page.
func askInBrowser(ctx context.Context, t *testing.T, a *portalApp, address string) {
	t.Helper()
	browsertest.Open(ctx, t, a.App, "/portal/sign-in", `[data-testid="portal-sign-in"]`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#address`), address)); err != nil {
		t.Fatal(err)
	}
	browsertest.Submit(ctx, t, `[data-testid="portal-sign-in-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="portal-code"]`, 10*time.Second)
}

func TestPortalInChromiumOnAPhone(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, func(in *members.MemberInput) { in.SMSConsent, in.EmailConsent = true, true })
	record := `[data-testid="portal-member"]`

	t.Run("sign in by link", func(t *testing.T) {
		ctx := phone(t)
		askInBrowser(ctx, t, a, m.Email)
		browsertest.Open(ctx, t, a.App, a.signInLink(t, m.Email, 1), `[data-testid="portal-link-submit"]`)
		browsertest.Submit(ctx, t, `[data-testid="portal-link-submit"]`)
		browsertest.WaitFor(ctx, t, record, 10*time.Second)
		if got := browsertest.Text(ctx, t, `[data-testid="portal-email"]`); got != m.Email {
			t.Errorf("the record shows e-mail %q", got)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`))
		if err != nil || width > 390 {
			t.Errorf("the page is %.0f px wide on a 390 px phone (%v)", width, err)
		}
	})

	ctx := phone(t)
	t.Run("sign in by code", func(t *testing.T) {
		askInBrowser(ctx, t, a, m.Phone)
		code := a.v.WaitSMS(t, m.Phone, 1)
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#code`), code)); err != nil {
			t.Fatal(err)
		}
		browsertest.Submit(ctx, t, `[data-testid="portal-code-submit"]`)
		browsertest.WaitFor(ctx, t, record, 10*time.Second)
	})

	t.Run("change the phone and verify it", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#phone`), "0151 55554444")); err != nil {
			t.Fatal(err)
		}
		browsertest.Submit(ctx, t, `[data-testid="portal-contact-submit"]`)
		browsertest.WaitFor(ctx, t, `[data-testid="portal-pending-phone"]`, 10*time.Second)
		if got := browsertest.Text(ctx, t, `[data-testid="portal-phone"]`); got != m.Phone {
			t.Errorf("before the code the record shows %q, want the old %q", got, m.Phone)
		}
		code := a.v.WaitSMS(t, "+4915155554444", 1)
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#change-code`), code)); err != nil {
			t.Fatal(err)
		}
		browsertest.Submit(ctx, t, `[data-testid="portal-change-code-submit"]`)
		browsertest.WaitFor(ctx, t, record, 10*time.Second)
		if got := browsertest.Text(ctx, t, `[data-testid="portal-phone"]`); got != "+4915155554444" {
			t.Errorf("after the code the record shows %q", got)
		}
	})

	t.Run("withdraw consent", func(t *testing.T) {
		browsertest.Click(ctx, t, `[data-testid="portal-sms-consent"]`)
		browsertest.Submit(ctx, t, `[data-testid="portal-consent-submit"]`)
		browsertest.WaitFor(ctx, t, `[data-testid="flash"]`, 10*time.Second)
		got, err := a.Members.Get(context.Background(), m.ID)
		if err != nil || got.SMSConsent || !got.EmailConsent {
			t.Fatalf("consent sms %v email %v (%v), want withdrawn / kept", got.SMSConsent, got.EmailConsent, err)
		}
	})

	t.Run("download the export", func(t *testing.T) {
		dir := t.TempDir()
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		if err != nil {
			t.Fatal(err)
		}
		browsertest.Click(ctx, t, `[data-testid="portal-export"]`)
		var file string
		deadline := time.Now().Add(15 * time.Second)
		for file == "" {
			matches, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(matches) == 1 {
				file = matches[0]
			} else if time.Now().After(deadline) {
				entries, _ := os.ReadDir(dir)
				t.Fatalf("no export downloaded within 15 s (%v)", entries)
			}
			time.Sleep(50 * time.Millisecond)
		}
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var pd struct {
			Member struct {
				ID    int64  `json:"id"`
				Phone string `json:"phone"`
			} `json:"member"`
		}
		if err := json.Unmarshal(body, &pd); err != nil || pd.Member.ID != m.ID || pd.Member.Phone != "+4915155554444" {
			t.Fatalf("the export %s holds %+v (%v)", filepath.Base(file), pd, err)
		}
		if !strings.HasPrefix(filepath.Base(file), "member-") {
			t.Errorf("the export is named %s", filepath.Base(file))
		}
	})
}

// TestErasureRequestInChromium walks a request for erasure through both browsers it needs: the
// member asks on a phone (the box unticked first, which asks again instead of acting), an admin
// confirms it on the requests page after the browser's own "are you sure?", and the member's
// session on the phone ends with the erasure.
func TestErasureRequestInChromium(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	ctx := phone(t)
	askInBrowser(ctx, t, a, m.Email)
	browsertest.Open(ctx, t, a.App, a.signInLink(t, m.Email, 1), `[data-testid="portal-link-submit"]`)
	browsertest.Submit(ctx, t, `[data-testid="portal-link-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="portal-member"]`, 10*time.Second)

	browsertest.Submit(ctx, t, `[data-testid="portal-erasure"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="portal-erasure-form"]`, 10*time.Second)
	browsertest.Submit(ctx, t, `[data-testid="portal-erasure-submit"]`)
	if got := browsertest.Text(ctx, t, `[data-testid="portal-erasure-problem"]`); got == "" {
		t.Error("an unticked box says nothing next to the form")
	}
	if _, err := a.Members.OpenErasureRequest(context.Background(), m.ID); !errors.Is(err, members.ErrNotFound) {
		t.Fatalf("an unticked box opened a request: %v", err)
	}
	browsertest.Click(ctx, t, `[data-testid="portal-erasure-confirm"]`)
	browsertest.Submit(ctx, t, `[data-testid="portal-erasure-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="portal-erasure-open"]`, 10*time.Second)

	admin := browsertest.New(t)
	dialogs := browsertest.AcceptDialogs(admin)
	browsertest.SignIn(admin, t, a.App, webtest.AdminEmail, webtest.AdminPassword)
	browsertest.Open(admin, t, a.App, "/erasure-requests", `[data-testid="erasure-row"][data-status="pending"]`)
	browsertest.Submit(admin, t, `[data-testid="erasure-row"] a`)
	browsertest.Click(admin, t, `#sure`)
	browsertest.Submit(admin, t, `[data-testid="erasure-confirm"] button`)
	select {
	case q := <-dialogs:
		if q == "" {
			t.Error("the confirmation asked nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("confirming the erasure asked no question first")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := a.Members.Get(context.Background(), m.ID)
		if err == nil && got.ErasedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member was not erased within 30 s of the confirmation (%v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	browsertest.Open(admin, t, a.App, "/erasure-requests", `[data-testid="erasure-row"][data-status="confirmed"]`)

	browsertest.Open(ctx, t, a.App, portalPath(m, ""), `[data-testid="portal-sign-in"]`)
}
