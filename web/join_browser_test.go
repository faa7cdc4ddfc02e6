package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"membership/members"
	"membership/notify/outbox"
	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestJoinInBrowser: a new member joins on the public form in a real Chromium, reads the SMS
// code and the e-mail link from the outbox (the provider of a fresh installation), confirms
// both, and the membership turns active.
func TestJoinInBrowser(t *testing.T) {
	app, _, n := webtest.StartVerifyingOnOutbox(t, webtest.Options{})
	ctx := browsertest.New(t)
	browsertest.Open(ctx, t, app, "/join", `[data-testid="join"]`)
	err := chromedp.Do(ctx,
		chromedp.SendKeys(`#first_name`, "Yuki"),
		chromedp.SendKeys(`#last_name`, "Mori"),
		chromedp.SendKeys(`#email`, "yuki@example.org"),
		chromedp.SendKeys(`#phone`, "0151 23456789"),
		// A date input takes its keys in the browser's locale; its value is always ISO.
		chromedp.SetValue(`#birth_date`, "1995-02-03"),
		chromedp.Click(`[data-testid="privacy"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="join-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="join-status"]`, browsertest.Timeout)

	sms := waitOutbox(t, n.Outbox, outbox.ChannelSMS, "+4915123456789")
	code := regexp.MustCompile(`\b[0-9]{6}\b`).FindString(sms.Body)
	mail := waitOutbox(t, n.Outbox, outbox.ChannelEmail, "yuki@example.org")
	link := regexp.MustCompile(`https?://\S+/verify/email/[A-Za-z0-9_\-.]+`).FindString(mail.Body)
	if code == "" || link == "" {
		t.Fatalf("no code in %q or no link in %q", sms.Body, mail.Body)
	}
	page, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// The code is out: the page shows where to enter it (htmx would also reload it by itself).
	browsertest.Open(ctx, t, app, strings.TrimPrefix(page, app.URL), `[data-testid="code"]`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(`[data-testid="code"]`, code)); err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="code-submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="phone-verified"]`, browsertest.Timeout)

	// The link is opened as the mail client would; it belongs to this server.
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Open(ctx, t, app, u.Path, `[data-testid="verify-email-result"]`)
	if got := browsertest.Text(ctx, t, `[data-testid="verify-email-result"]`); !strings.Contains(got, "confirmed") {
		t.Fatalf("link page says %q", got)
	}

	// Back on the join page, the membership is active once the join's workflow has finished.
	path := strings.TrimPrefix(page, app.URL)
	deadline := time.Now().Add(30 * time.Second)
	for {
		browsertest.Open(ctx, t, app, path, `[data-testid="join-status"]`)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="join-done"]').length`))
		if err != nil {
			t.Fatal(err)
		}
		if done == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the join page never showed the membership active")
		}
		time.Sleep(200 * time.Millisecond)
	}
	ms, _, err := app.Members.List(context.Background(), members.ListQuery{Filter: members.Filter{Q: "Mori"}})
	if err != nil || len(ms) != 1 || ms[0].Status != members.StatusActive || !ms[0].Verified() {
		t.Fatalf("member after joining: %+v %v", ms, err)
	}
}

// waitOutbox waits for the newest message on channel to to.
func waitOutbox(t *testing.T, o *outbox.Outbox, channel, to string) outbox.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msgs, _, err := o.List(context.Background(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Channel == channel && m.To == to {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s to %s in the outbox", channel, to)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
