package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"membership/members"
	"membership/notify/outbox"
	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestJoinInGermanInBrowser walks the join in German in a real Chromium: the visitor picks
// Deutsch on the switch, meets a German validation message next to the phone field, gets the
// SMS and the e-mail in German, enters a wrong code (a German refusal with the attempts left),
// then the right one, opens the link, and ends a member whose messages come in German.
func TestJoinInGermanInBrowser(t *testing.T) {
	app, _, n := webtest.StartVerifyingOnOutbox(t, webtest.Options{})
	ctx := browsertest.New(t)
	browsertest.Open(ctx, t, app, "/join", `[data-testid="join"]`)
	browsertest.Click(ctx, t, `[data-testid="language-switch"] a[hreflang="de"]`)
	browsertest.WaitFor(ctx, t, `html[lang="de"] [data-testid="join"]`, browsertest.Timeout)
	wantText(ctx, t, `h1`, "Mitglied werden")
	wantText(ctx, t, `label[for="phone"]`, "Handynummer")

	fill := func(phone string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.SetValue(`#first_name`, "Kenji"),
			chromedp.SetValue(`#last_name`, "Sato"),
			chromedp.SetValue(`#email`, "kenji@example.org"),
			chromedp.SetValue(`#phone`, phone),
			chromedp.SetValue(`#birth_date`, "1990-04-05"),
			chromedp.SetAttributeValue(`[data-testid="privacy"]`, "checked", "checked"),
		)
		if err != nil {
			t.Fatal(err)
		}
	}
	fill("12")
	browsertest.Click(ctx, t, `[data-testid="join-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="error-phone"]`, browsertest.Timeout)
	wantText(ctx, t, `[data-testid="error-phone"]`, "Keine gültige Telefonnummer")
	wantText(ctx, t, `[data-testid="join-errors"]`, "Bitte prüfen Sie")

	fill("0151 23456780")
	browsertest.Click(ctx, t, `[data-testid="join-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="join-status"]`, browsertest.Timeout)
	sms := waitOutbox(t, n.Outbox, outbox.ChannelSMS, "+4915123456780")
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sms.Body)
	mail := waitOutbox(t, n.Outbox, outbox.ChannelEmail, "kenji@example.org")
	link := regexp.MustCompile(`https?://\S+/verify/email/[A-Za-z0-9_\-.]+`).FindString(mail.Body)
	if code == "" || link == "" {
		t.Fatalf("no code in %q or no link in %q", sms.Body, mail.Body)
	}
	if !strings.Contains(sms.Body, "Ihr Code lautet") || !strings.Contains(sms.Body, "Minuten") {
		t.Errorf("the SMS is not German: %q", sms.Body)
	}
	if !strings.Contains(mail.Subject+mail.Body, "E-Mail") {
		t.Errorf("the e-mail is not German: %q / %q", mail.Subject, mail.Body)
	}

	page, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(page, app.URL)
	browsertest.Open(ctx, t, app, path, `[data-testid="code"]`)
	wantText(ctx, t, `[data-testid="phone-step"]`, "Versuche")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	enterCode(ctx, t, wrong)
	browsertest.WaitFor(ctx, t, `[data-testid="join-message"]`, browsertest.Timeout)
	wantText(ctx, t, `[data-testid="join-message"]`, "Dieser Code stimmt nicht. Noch")

	enterCode(ctx, t, code)
	browsertest.WaitFor(ctx, t, `[data-testid="phone-verified"]`, browsertest.Timeout)
	wantText(ctx, t, `[data-testid="phone-verified"]`, "ist bestätigt")

	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Open(ctx, t, app, u.Path, `[data-testid="verify-email-result"]`)
	wantText(ctx, t, `[data-testid="verify-email-result"]`, "E-Mail-Adresse ist bestätigt")

	browsertest.Open(ctx, t, app, path, `[data-testid="join-status"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="join-done"]`, browsertest.Timeout)
	wantText(ctx, t, `[data-testid="join-done"]`, "Willkommen bei")

	ms, _, err := app.Members.List(context.Background(), members.ListQuery{Filter: members.Filter{Q: "Sato"}})
	if err != nil || len(ms) != 1 || ms[0].Status != members.StatusActive || ms[0].Language != "de" {
		t.Fatalf("member after joining in German: %+v %v", ms, err)
	}
}

func enterCode(ctx context.Context, t *testing.T, code string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.SetValue(`[data-testid="code"]`, code)); err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="code-submit"]`)
}

// wantText fails unless the element's text contains want.
func wantText(ctx context.Context, t *testing.T, css, want string) {
	t.Helper()
	if got := browsertest.Text(ctx, t, css); !strings.Contains(got, want) {
		t.Errorf("%s says %q, want %q in it", css, got, want)
	}
}
