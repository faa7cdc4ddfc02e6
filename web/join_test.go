package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"membership/config"
	"membership/members"
	"membership/notify/notifytest"
	"membership/web/webtest"
)

// joinForm is a valid join; tests change what they need.
func joinForm() url.Values {
	return url.Values{
		"first_name": {"Kenji"}, "last_name": {"Sato"}, "email": {"kenji@example.org"}, "phone": {"0151 23456789"},
		"birth_date": {"1991-05-06"}, "privacy": {"1"}, "sms_consent": {"1"},
	}
}

func TestJoinFormValidation(t *testing.T) {
	a := startVerifyApp(t, func(c *config.Config) { c.Verification.Phone.SendsPerIPPerHour = 2 })
	tests := []struct {
		name       string
		change     func(url.Values)
		want       int
		wantErrors []string
		wantKept   string
	}{
		{"missing fields", func(f url.Values) { f.Del("first_name"); f.Del("phone"); f.Del("birth_date") }, http.StatusUnprocessableEntity,
			[]string{"first_name", "phone", "birth_date"}, `value="kenji@example.org"`},
		{"bad values", func(f url.Values) {
			f.Set("email", "kenji@")
			f.Set("phone", "+44 20 7946 0958")
			f.Set("birth_date", "06.05.1991")
		},
			http.StatusUnprocessableEntity, []string{"email", "phone", "birth_date"}, `value="Kenji"`},
		{"minor without guardian", func(f url.Values) { f.Set("birth_date", time.Now().AddDate(-12, 0, 0).Format("2006-01-02")) },
			http.StatusUnprocessableEntity, []string{"guardian_name", "guardian_phone"}, `value="Sato"`},
		{"no consent", func(f url.Values) { f.Del("privacy") }, http.StatusUnprocessableEntity, []string{"privacy"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := joinForm()
			tc.change(f)
			resp, body := a.Anonymous(t).PostFormBody(t, "/join", f)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			for _, field := range tc.wantErrors {
				if !strings.Contains(body, `data-testid="error-`+field+`"`) {
					t.Errorf("no error next to %s", field)
				}
			}
			if !strings.Contains(body, tc.wantKept) {
				t.Errorf("the form lost the input %s", tc.wantKept)
			}
		})
	}
	// Nothing was created, and invalid forms count nothing against the address's limit; joins
	// that send do, up to sends_per_ip_per_hour.
	if _, total, _ := a.Members.List(context.Background(), members.ListQuery{}); total != 0 {
		t.Errorf("%d members after invalid forms", total)
	}
	for i, want := range []int{http.StatusSeeOther, http.StatusSeeOther, http.StatusTooManyRequests} {
		f := joinForm()
		f.Set("email", fmt.Sprintf("kenji%d@example.org", i))
		f.Set("phone", fmt.Sprintf("0151 2345678%d", i))
		if resp, _ := a.Anonymous(t).PostFormBody(t, "/join", f); resp.StatusCode != want {
			t.Fatalf("join %d from one address: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

func TestJoinHoneypot(t *testing.T) {
	a := startVerifyApp(t, nil)
	f := joinForm()
	f.Set("website", "http://spam.example")
	resp, body := a.Anonymous(t).PostFormBody(t, "/join", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The bot sees the thanks a person would (the message was once lost on the way to the page).
	if !strings.Contains(body, "Thank you") {
		t.Errorf("no thanks on the page:\n%s", body)
	}
	if _, total, _ := a.Members.List(context.Background(), members.ListQuery{}); total != 0 {
		t.Errorf("a bot's form created %d members", total)
	}
}

var tokenPath = regexp.MustCompile(`^/join/([^/]+)/phone$`)

// joinAs posts a valid join form and returns the browser and the page it is sent to.
func joinAs(t *testing.T, a *verifyApp, change func(url.Values)) (*webtest.Browser, string) {
	t.Helper()
	b := a.Anonymous(t)
	f := joinForm()
	if change != nil {
		change(f)
	}
	resp, body := b.PostFormBody(t, "/join", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d %s", resp.StatusCode, body)
	}
	page := resp.Header.Get("Location")
	if !tokenPath.MatchString(page) {
		t.Fatalf("join sends to %q", page)
	}
	return b, page
}

func TestJoinEndToEnd(t *testing.T) {
	a := startVerifyApp(t, nil)
	b, page := joinAs(t, a, nil)
	code := a.v.WaitSMS(t, "+4915123456789", 1)
	link := a.v.WaitEmail(t, "kenji@example.org", 1)

	// The SMS can reach the outbox a moment before the run records it as sent; until then the
	// page says the code is on its way, as it would to a person who reloads.
	var resp *http.Response
	var body string
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, body = b.Get(t, page)
		if strings.Contains(body, `data-testid="code"`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="code"`) || !strings.Contains(body, "89") || strings.Contains(body, "23456789") {
		t.Fatalf("status page: %d, want the code form and the number masked:\n%s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) {
		t.Errorf("the page has inline script or no CSP (%q)", csp)
	}
	steps := []struct {
		name, code, want string
	}{
		{"wrong code", wrongDigits(code), "That code is not right. 4 attempts left."},
		{"not digits", "abc", "Enter the digits"},
		{"right code", code, "Your phone number is confirmed."},
	}
	for _, s := range steps {
		resp, body := b.PostFormBody(t, page, url.Values{"code": {s.code}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, s.want) {
			t.Fatalf("%s: %d, want %q in\n%s", s.name, resp.StatusCode, s.want, body)
		}
	}

	// The link confirms once; opening it again says so.
	u, _ := url.Parse(link)
	for i, want := range []string{"E-mail address confirmed", "Already confirmed"} {
		resp, body := a.Anonymous(t).Get(t, u.Path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("link, visit %d: %d, want %q", i+1, resp.StatusCode, want)
		}
	}
	tampered := u.Path[:len(u.Path)-3] + "xyz"
	if resp, _ := a.Anonymous(t).Get(t, tampered); resp.StatusCode != http.StatusNotFound {
		t.Errorf("tampered link: %d", resp.StatusCode)
	}

	// Both confirmed: the join activates the member, who is welcomed.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := b.Get(t, page)
		if strings.Contains(body, `data-testid="join-done"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member never became active:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ms, _, err := a.Members.List(context.Background(), members.ListQuery{Filter: members.Filter{Q: "Sato"}})
	if err != nil || len(ms) != 1 || ms[0].Status != members.StatusActive || !ms[0].Verified() {
		t.Fatalf("member after joining: %+v %v", ms, err)
	}
	if resp, _ := a.Anonymous(t).Get(t, "/join/not-a-token/phone"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown token: %d", resp.StatusCode)
	}
}

func TestJoinCodeExpiredSendNew(t *testing.T) {
	a := startVerifyApp(t, func(c *config.Config) { c.Verification.Phone.Timeout = config.Duration(time.Second) })
	b, page := joinAs(t, a, nil)
	first := a.v.WaitSMS(t, "+4915123456789", 1)
	a.v.WaitEmail(t, "kenji@example.org", 1)
	m := onlyMember(t, a)
	waitRun(t, a, members.VerificationInstanceID(members.VerifyPhone, m.ID, 1), members.VerificationExpired)

	_, body := b.Get(t, page)
	if !strings.Contains(body, "The code has expired.") || !strings.Contains(body, `data-testid="resend-phone"`) {
		t.Fatalf("expired page:\n%s", body)
	}
	resp, body := b.PostFormBody(t, page, url.Values{"code": {first}})
	if !strings.Contains(body, "The code has expired") {
		t.Fatalf("old code after expiry: %d\n%s", resp.StatusCode, body)
	}
	resp = b.PostForm(t, strings.TrimSuffix(page, "/phone")+"/resend", url.Values{"kind": {"phone"}})
	next := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || next == page || !tokenPath.MatchString(next) {
		t.Fatalf("send a new code: %d to %q", resp.StatusCode, next)
	}
	second := a.v.WaitSMS(t, "+4915123456789", 2)
	// The e-mail step started again too, as the first join's link was cancelled with it.
	link := a.v.WaitEmail(t, "kenji@example.org", 2)
	if body := postCodeWhenOut(t, b, next, second); !strings.Contains(body, "Your phone number is confirmed.") {
		t.Fatalf("new code:\n%s", body)
	}
	u, _ := url.Parse(link)
	if _, body := a.Anonymous(t).Get(t, u.Path); !strings.Contains(body, "E-mail address confirmed") {
		t.Fatalf("new link:\n%s", body)
	}
	waitStatus(t, a, m.ID, members.StatusActive)
}

func onlyMember(t *testing.T, a *verifyApp) *members.Member {
	t.Helper()
	ms, _, err := a.Members.List(context.Background(), members.ListQuery{})
	if err != nil || len(ms) != 1 {
		t.Fatalf("members: %+v %v", ms, err)
	}
	return &ms[0]
}

func waitStatus(t *testing.T, a *verifyApp, id int64, want members.Status) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := a.Members.Get(context.Background(), id)
		if err == nil && m.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("member %d is %v (%v), want %s", id, m, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// postCodeWhenOut submits a code as a person would: the SMS can reach the outbox a moment before
// the run records it as sent, and until then the page answers "still on its way" without
// costing an attempt — so submit again, within a bound.
func postCodeWhenOut(t *testing.T, b *webtest.Browser, page, code string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body := b.PostFormBody(t, page, url.Values{"code": {code}})
		if !strings.Contains(body, "still on its way") || time.Now().After(deadline) {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestJoinWhileSMSProviderDown: Twilio is down when someone joins. After the quick tries the
// status page says the text message service cannot be reached and when it tries next, in the
// page's language, instead of a bare "on its way"; the e-mail step goes on unaffected.
func TestJoinWhileSMSProviderDown(t *testing.T) {
	a := startVerifyApp(t, nil)
	a.v.Twilio.Down(notifytest.Failure{Status: 503, Message: "service unavailable"})
	b, page := joinAs(t, a, nil)
	a.v.WaitEmail(t, "kenji@example.org", 1)
	var body string
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, body = b.Get(t, page)
		if strings.Contains(body, "cannot be reached right now") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(body, "The text message service cannot be reached right now") || !strings.Contains(body, "next try at") ||
		!strings.Contains(body, `data-testid="phone-sending"`) {
		t.Fatalf("status page while Twilio is down does not say so:\n%s", body)
	}
	if n := len(a.v.Twilio.Messages()); n != 0 {
		t.Errorf("%d SMS delivered while Twilio was down", n)
	}
}
