package activities_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"membership/activities"
	"membership/members"
	"membership/notify"
	"membership/notify/notifytest"
	"membership/notify/outbox"
	"membership/notify/twilio"
	"membership/web/i18n"
)

func TestSendIsIdempotent(t *testing.T) {
	for _, p := range providers() {
		t.Run(p.name, func(t *testing.T) {
			w, count, _ := p.start(t)
			m := w.member(t, "ada", nil)
			req := request("welcome:member:1:"+p.channel, m, p.channel)
			ctx := t.Context()
			first, err := w.notices.Send(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			second, err := w.notices.Send(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if first.Status != activities.ResultSent || second != first {
				t.Errorf("results %+v then %+v, want sent twice with one notice", first, second)
			}
			if got := count(); got != 1 {
				t.Errorf("provider received %d messages, want 1", got)
			}
			n := w.notice(t, req.Key)
			if n.Status != members.NoticeSent || n.Attempts != 1 || n.ProviderMessageID == "" || n.SentAt == nil {
				t.Errorf("notice %+v, want sent once with the provider's id", n)
			}
		})
	}
}

func TestSendConsentAndContact(t *testing.T) {
	noSMSConsent := func(in *members.MemberInput) { in.SMSConsent = false }
	noEmailConsent := func(in *members.MemberInput) { in.EmailConsent = false }
	noPhone := func(in *members.MemberInput) { in.Phone = "" }
	noEmail := func(in *members.MemberInput) { in.Email = "" }
	tests := []struct {
		name          string
		change        func(*members.MemberInput)
		channel       string
		purpose       string
		template      string
		transactional bool
		want          string
		reason        string
	}{
		{"campaign sms needs consent", noSMSConsent, "sms", "campaign", "campaign", false, "skipped", "no sms consent"},
		{"reminder sms needs consent", noSMSConsent, "sms", "reminder", "fee_reminder", false, "skipped", "no sms consent"},
		{"campaign email needs consent", noEmailConsent, "email", "campaign", "campaign", false, "skipped", "no e-mail consent"},
		{"reminder email needs none", noEmailConsent, "email", "reminder", "fee_reminder", false, "sent", ""},
		{"welcome sms needs none", noSMSConsent, "sms", "welcome", "welcome", false, "sent", ""},
		{"code needs no consent", noSMSConsent, "sms", "verification", "phone_code", true, "sent", ""},
		{"transactional without phone", noPhone, "sms", "verification", "phone_code", true, "skipped", "no phone number"},
		{"without address", noEmail, "email", "reminder", "fee_reminder", false, "skipped", "no e-mail address"},
		{"with consent", nil, "sms", "campaign", "campaign", false, "sent", ""},
	}
	box := outbox.New(outbox.NewMemoryStore())
	w := newWorld(t, box, box)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := w.member(t, "m"+string(rune('a'+i)), tc.change)
			_, before, _ := box.List(t.Context(), 0, 0)
			req := activities.NoticeRequest{Key: "t:" + tc.name, MemberID: m.ID, Channel: tc.channel, Purpose: tc.purpose,
				Template: tc.template, Transactional: tc.transactional, Subject: "News", Body: "Hello {{.FirstName}}",
				Vars: map[string]string{"code": "123456"}}
			got, err := w.notices.Send(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want || got.Reason != tc.reason {
				t.Errorf("result %+v, want %s %q", got, tc.want, tc.reason)
			}
			_, after, _ := box.List(t.Context(), 0, 0)
			if sent := after - before; (tc.want == "sent") != (sent == 1) {
				t.Errorf("outbox got %d messages for a %s notice", sent, tc.want)
			}
			if n := w.notice(t, req.Key); string(n.Status) != tc.want || n.ErrorMessage != tc.reason {
				t.Errorf("notice %s %q, want %s %q", n.Status, n.ErrorMessage, tc.want, tc.reason)
			}
		})
	}
}

func TestSendProviderErrors(t *testing.T) {
	for _, p := range providers() {
		if p.name == "outbox" {
			continue
		}
		t.Run(p.name+"/permanent", func(t *testing.T) {
			w, count, fail := p.start(t)
			fail(1, notifytest.Failure{Permanent: true})
			m := w.member(t, "ada", nil)
			req := request("perm", m, p.channel)
			got, err := w.notices.Send(t.Context(), req)
			if err != nil {
				t.Fatalf("permanent refusal returned error %v, want a failed result", err)
			}
			if got.Status != activities.ResultFailed || !strings.HasPrefix(got.Reason, p.permCode+": "+p.name+": ") || !strings.Contains(got.Reason, ". Hint: ") {
				t.Errorf("result %+v, want failed with code %s, the provider's name and a hint", got, p.permCode)
			}
			// A failed notice is done: sending it again asks no provider.
			again, err := w.notices.Send(t.Context(), req)
			if err != nil || again != got {
				t.Errorf("again: %+v, %v; want %+v", again, err, got)
			}
			n := w.notice(t, req.Key)
			if n.Status != members.NoticeFailed || n.ErrorCode != p.permCode || n.Attempts != 1 || count() != 0 {
				t.Errorf("notice %s code %s attempts %d, provider has %d; want failed %s after 1 attempt, none accepted",
					n.Status, n.ErrorCode, n.Attempts, count(), p.permCode)
			}
		})
		t.Run(p.name+"/transient then retry", func(t *testing.T) {
			w, count, fail := p.start(t)
			fail(1, notifytest.Failure{})
			m := w.member(t, "ada", nil)
			req := request("temp", m, p.channel)
			_, err := w.notices.Send(t.Context(), req)
			if err == nil || notify.IsPermanent(err) {
				t.Fatalf("transient failure returned %v, want a transient error", err)
			}
			n := w.notice(t, req.Key)
			if n.Status != members.NoticeQueued || n.ErrorCode != p.tempCode {
				t.Errorf("after the failure: notice %s code %q, want queued %s", n.Status, n.ErrorCode, p.tempCode)
			}
			got, err := w.notices.Send(t.Context(), req)
			if err != nil || got.Status != activities.ResultSent {
				t.Fatalf("retry: %+v, %v; want sent", got, err)
			}
			n = w.notice(t, req.Key)
			if n.Status != members.NoticeSent || n.Attempts != 2 || n.ErrorCode != "" || count() != 1 {
				t.Errorf("notice %s attempts %d code %q, provider has %d; want sent after 2 attempts, 1 accepted",
					n.Status, n.Attempts, n.ErrorCode, count())
			}
		})
	}
}

// crashAfterAccept stands for a process that dies right after the provider accepted a message:
// it hands the message on to the real client, then cancels the send's context, so that
// recording the notice fails like a write that never happened.
type crashAfterAccept struct {
	next   notify.SMSSender
	cancel context.CancelFunc
}

func (c *crashAfterAccept) SendSMS(ctx context.Context, m notify.SMS) (string, error) {
	id, err := c.next.SendSMS(ctx, m)
	c.cancel()
	return id, err
}

// TestSendCrashBetweenAcceptAndRecord shows the ledger's bound on duplicates: a crash after
// Twilio accepted the message but before the notice says so leaves the notice "sending"; the
// retry sends the message a second time and records the second SID. Twilio received exactly
// two messages, one of them the duplicate; a third Send sends nothing.
func TestSendCrashBetweenAcceptAndRecord(t *testing.T) {
	p := providers()[0]
	real, count, _ := p.sms(t)
	crashing := &crashAfterAccept{next: real}
	w := newWorld(t, crashing, nil)
	m := w.member(t, "ada", nil)
	req := request("welcome:member:1:sms", m, activities.ChannelSMS)

	ctx, cancel := context.WithCancel(t.Context())
	crashing.cancel = cancel
	if _, err := w.notices.Send(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("crashed send: err = %v, want context.Canceled", err)
	}
	n := w.notice(t, req.Key)
	if n.Status != members.NoticeSending || n.ProviderMessageID != "" || count() != 1 {
		t.Fatalf("after the crash: notice %s sid %q, twilio has %d; want sending, no sid, 1 accepted", n.Status, n.ProviderMessageID, count())
	}

	w.notices.SMS = real // the restarted process
	for range 2 {
		got, err := w.notices.Send(t.Context(), req)
		if err != nil || got.Status != activities.ResultSent {
			t.Fatalf("retry: %+v, %v; want sent", got, err)
		}
	}
	n = w.notice(t, req.Key)
	if count() != 2 || n.Attempts != 2 || n.Status != members.NoticeSent {
		t.Errorf("twilio has %d messages, notice %s after %d attempts; want 2 (one duplicate), sent after 2", count(), n.Status, n.Attempts)
	}
}

func TestSendMasksSecrets(t *testing.T) {
	box := outbox.New(outbox.NewMemoryStore())
	w := newWorld(t, box, box)
	m := w.member(t, "ada", nil)
	req := activities.NoticeRequest{Key: "verification:i1:1:member:1:sms", MemberID: m.ID, Channel: activities.ChannelSMS,
		Purpose: activities.PurposeVerification, Template: "phone_code", Transactional: true,
		Vars: map[string]string{"code": "493817"}, Secrets: []string{"code"}}
	if _, err := w.notices.Send(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := box.List(t.Context(), 0, 0)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "493817") || msgs[0].To != "+4915123456789" {
		t.Fatalf("outbox %+v, want the code sent to +4915123456789", msgs)
	}
	n := w.notice(t, req.Key)
	if strings.Contains(n.Body, "493817") || !strings.Contains(n.Body, "******") {
		t.Errorf("stored body %q, want the code masked", n.Body)
	}
}

func TestSendEmailParts(t *testing.T) {
	box := outbox.New(outbox.NewMemoryStore())
	w := newWorld(t, box, box)
	m := w.member(t, "ada", nil)
	link := "https://club.example/verify/email/abc?x=1&y=2"
	req := activities.NoticeRequest{Key: "verification:i2:1:member:1:email", MemberID: m.ID, Channel: activities.ChannelEmail,
		Purpose: activities.PurposeVerification, Template: "email_link", Transactional: true, Vars: map[string]string{"link": link}}
	if _, err := w.notices.Send(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := box.List(t.Context(), 0, 0)
	got := msgs[0]
	for _, c := range []struct{ what, in, want string }{
		{"subject", got.Subject, "Confirm your e-mail address for My Dojo"},
		{"text", got.Body, "Hello ada,"},
		{"text link", got.Body, link},
		{"html link", got.HTML, `href="https://club.example/verify/email/abc?x=1&amp;y=2"`},
		{"html layout", got.HTML, "<p style=\"margin:0 0 16px;font-weight:600;\">My Dojo</p>"},
	} {
		if !strings.Contains(c.in, c.want) {
			t.Errorf("%s %q lacks %q", c.what, c.in, c.want)
		}
	}
}

func TestTellAdmins(t *testing.T) {
	box := outbox.New(outbox.NewMemoryStore())
	w := newWorld(t, box, box)
	w.notices.Admins = func(context.Context) ([]activities.Admin, error) {
		return []activities.Admin{{ID: 1, Email: "a@example.org", Name: "A"}, {ID: 2, Email: "b@example.org", Name: "B"}}, nil
	}
	for range 2 {
		if err := w.notices.TellAdmins(t.Context(), "fee:3:overdue", func(*i18n.Localizer) (string, string) {
			return "Fee #3 overdue", "Ada's fee #3 is overdue."
		}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _, _ := box.List(t.Context(), 0, 0)
	var to []string
	for _, m := range msgs {
		to = append(to, m.To)
		if m.Subject != "Fee #3 overdue" || !strings.Contains(m.HTML, "Ada&#39;s fee #3 is overdue.") {
			t.Errorf("message %+v, want the subject and the escaped text", m)
		}
	}
	if strings.Join(to, ",") != "b@example.org,a@example.org" {
		t.Errorf("sent to %v, want each admin once", to)
	}
}

func TestLoadTexts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("en/welcome.sms.txt", "Hi {{.FirstName}} from {{.Club}} (custom)")
	write("en/birthday.sms.txt", "Happy birthday, {{.FirstName}}!")
	m := &members.Member{ID: 1, FirstName: "Ada"}
	tests := []struct {
		name, lang, dir, template, want string
	}{
		{"embedded english", "en", "", "welcome", "Welcome to My Dojo, Ada! Your membership is active. See you on the mat."},
		{"embedded german", "de", "", "welcome", "Willkommen bei My Dojo, Ada! Ihre Mitgliedschaft ist aktiv. Bis bald auf der Matte."},
		{"override", "en", dir, "welcome", "Hi Ada from My Dojo (custom)"},
		{"german beats an english override", "de", dir, "welcome", "Willkommen bei My Dojo, Ada! Ihre Mitgliedschaft ist aktiv. Bis bald auf der Matte."},
		{"new template, english for german", "de", dir, "birthday", "Happy birthday, Ada!"},
		{"missing dir", "en", filepath.Join(dir, "nope"), "welcome", "Welcome to My Dojo, Ada! Your membership is active. See you on the mat."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			texts, err := activities.LoadTexts("My Dojo", tc.lang, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := texts.Preview(activities.NoticeRequest{Channel: "sms", Template: tc.template}, m)
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != tc.want {
				t.Errorf("got %q, want %q", p.Text, tc.want)
			}
		})
	}
	t.Run("broken template", func(t *testing.T) {
		write("en/fee_reminder.email.txt", "no subject line")
		if _, err := activities.LoadTexts("My Dojo", "en", dir); err == nil || !strings.Contains(err.Error(), "fee_reminder.email.txt") {
			t.Errorf("err = %v, want one naming fee_reminder.email.txt", err)
		}
	})
}

func TestPreview(t *testing.T) {
	texts, err := activities.LoadTexts("My Dojo", "en", "")
	if err != nil {
		t.Fatal(err)
	}
	m := &members.Member{ID: 7, FirstName: "Jürgen", LastName: "Groß"}
	tests := []struct {
		name     string
		req      activities.NoticeRequest
		text     string
		segments int
		err      string
	}{
		{"gsm sms", activities.NoticeRequest{Channel: "sms", Template: "campaign", Body: "Hi {{.LastName}}, renew now: " + strings.Repeat("x", 150)},
			"Hi Groß, renew now: " + strings.Repeat("x", 150), 2, ""},
		{"ucs-2 sms", activities.NoticeRequest{Channel: "sms", Template: "campaign", Body: "Hallo {{.FirstName}} 🥋"}, "Hallo Jürgen 🥋", 1, ""},
		{"masked code", activities.NoticeRequest{Channel: "sms", Template: "phone_code", Vars: map[string]string{"code": "123456"}, Secrets: []string{"code"}},
			"My Dojo: your code is ******. Do not share it.", 1, ""},
		{"unknown field", activities.NoticeRequest{Channel: "sms", Template: "campaign", Body: "Hi {{.Fistname}}"}, "", 0, `"Fistname"`},
		{"unknown template", activities.NoticeRequest{Channel: "sms", Template: "nope"}, "", 0, `no sms template "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := texts.Preview(tc.req, m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Text != tc.text || p.Segments != tc.segments {
				t.Errorf("got %q in %d segments, want %q in %d", p.Text, p.Segments, tc.text, tc.segments)
			}
		})
	}
}

// TestSendWaitsOutRetryAfter: Twilio's 429 asks for a second's pause; Send returns the
// transient error only after it, so the retry policy's next attempt comes later still. The
// check is a lower bound on the time taken, which a slow machine cannot fail.
func TestSendWaitsOutRetryAfter(t *testing.T) {
	p := providers()[0]
	w, count, fail := p.start(t)
	fail(1, notifytest.Failure{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	m := w.member(t, "ada", nil)
	start := time.Now()
	_, err := w.notices.Send(t.Context(), request("429", m, activities.ChannelSMS))
	if took := time.Since(start); err == nil || notify.RetryAfterOf(err) != time.Second || took < time.Second {
		t.Errorf("err %v after %v; want a transient error with Retry-After 1s, returned after at least 1s", err, took)
	}
	if n := w.notice(t, "429"); n.Status != members.NoticeQueued || n.ErrorCode != "20429" || count() != 0 {
		t.Errorf("notice %s %s, twilio has %d; want queued 20429, none", n.Status, n.ErrorCode, count())
	}
}

// TestSendCredentialsRefused: twilio-go refuses credentials with characters Twilio never issues
// before it sends anything; the notice fails for good, and its reason — what the timeline and
// the workflow's status show — names the provider, its code and the key to fix.
func TestSendCredentialsRefused(t *testing.T) {
	f := notifytest.NewTwilio(t)
	tests := []struct {
		name, sid, token, code, key string
	}{
		{"account sid", "AC not/a sid", f.AuthToken, "21222", "notify.sms.twilio.account_sid"},
		{"auth token", f.AccountSID, "token with spaces", "21224", "notify.sms.twilio.auth_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := twilio.New(twilio.Config{AccountSID: tc.sid, AuthToken: tc.token, From: "+15005550006", BaseURL: f.URL}, nil)
			w := newWorld(t, c, nil)
			req := request("creds-"+tc.code, w.member(t, "ada", nil), activities.ChannelSMS)
			got, err := w.notices.Send(t.Context(), req)
			if err != nil {
				t.Fatalf("refused credentials returned error %v, want a failed result", err)
			}
			if got.Status != activities.ResultFailed || !strings.HasPrefix(got.Reason, tc.code+": twilio: ") || !strings.Contains(got.Reason, tc.key) {
				t.Errorf("reason %q, want code %s, twilio and a hint naming %s", got.Reason, tc.code, tc.key)
			}
			if len(f.Messages()) != 0 {
				t.Errorf("the fake got %d messages, want none", len(f.Messages()))
			}
		})
	}
}
