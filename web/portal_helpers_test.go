package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"membership/members"
	"membership/notify/notifytest"
	"membership/web/webtest"
)

// portalApp is the server with the verification area on the Twilio and SendGrid fakes, so a
// test reads the sign-in e-mails and SMS as the member would.
type portalApp struct {
	*webtest.App
	v *webtest.Verifying
	n atomic.Int64
}

func startPortal(t *testing.T) *portalApp {
	t.Helper()
	app, v := webtest.StartPortal(t, webtest.Options{})
	return &portalApp{App: app, v: v}
}

// member creates an active member with a number and an address of their own.
func (a *portalApp) member(t *testing.T, change func(*members.MemberInput)) *members.Member {
	t.Helper()
	n := a.n.Add(1)
	in := members.MemberInput{
		FirstName: "Aiko", LastName: fmt.Sprintf("Tanaka%d", n), Email: fmt.Sprintf("aiko%d@example.org", n),
		Phone: fmt.Sprintf("+491512345%04d", n), Status: members.StatusActive, BirthDate: members.Date{Year: 1990, Month: 5, Day: 6},
	}
	if change != nil {
		change(&in)
	}
	m, err := a.Members.Create(context.Background(), "user:1", in)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var signInLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+/portal/sign-in/link/[A-Za-z0-9_\-]+`)

// signInLink waits for the n-th sign-in e-mail to address and returns its link's path.
func (a *portalApp) signInLink(t *testing.T, to string, n int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var links []string
		for _, m := range a.v.SendGrid.Messages() {
			if m.To == to {
				if l := signInLinkPattern.FindString(m.Text); l != "" {
					links = append(links, l)
				}
			}
		}
		if len(links) >= n {
			u, err := url.Parse(links[n-1])
			if err != nil {
				t.Fatal(err)
			}
			return u.Path
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sign-in e-mail number %d to %s within 20 s (have %d)", n, to, len(links))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// askSignIn posts the sign-in form and returns the code page's path.
func askSignIn(t *testing.T, b *webtest.Browser, address string) string {
	t.Helper()
	resp := b.PostForm(t, "/portal/sign-in", url.Values{"address": {address}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in form for %s: status %d", address, resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/portal/sign-in/") {
		t.Fatalf("sign-in form sent to %q", loc)
	}
	return loc
}

// signInByEmail signs a fresh browser in with the link in the n-th sign-in e-mail to address.
func (a *portalApp) signInByEmail(t *testing.T, address string, n int) *webtest.Browser {
	t.Helper()
	b := a.Anonymous(t)
	askSignIn(t, b, address)
	link := a.signInLink(t, address, n)
	resp := b.PostForm(t, link, url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal" {
		t.Fatalf("sign-in link: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

// smsTo counts the SMS sent to number.
func smsTo(tw *notifytest.TwilioFake, number string) int {
	n := 0
	for _, m := range tw.Messages() {
		if m.To == number {
			n++
		}
	}
	return n
}

func portalPath(m *members.Member, rest string) string {
	return fmt.Sprintf("/portal/members/%d%s", m.ID, rest)
}
