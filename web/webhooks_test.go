package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"membership/config"
	"membership/members"
	"membership/notify/notifytest"
	"membership/web/webtest"
)

// sentNotice records a notice the provider accepted under providerID, as Send leaves it.
func sentNotice(t *testing.T, store *members.Store, memberID int64, key, channel, provider, providerID string) {
	t.Helper()
	ctx := context.Background()
	n, err := store.ClaimNotice(ctx, members.Notice{Key: key, MemberID: &memberID, Purpose: "welcome", Channel: channel, Template: "welcome"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.MarkNoticeSending(ctx, n.ID, provider, "", "hello"); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkNoticeSent(ctx, n.ID, providerID); err != nil {
		t.Fatal(err)
	}
}

func noticeStatus(t *testing.T, store *members.Store, key string) *members.Notice {
	t.Helper()
	n, err := store.NoticeByKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func notifyMember(t *testing.T, app *webtest.App, first string, smsConsent bool) *members.Member {
	t.Helper()
	m, err := app.Members.Create(context.Background(), "user:1", members.MemberInput{FirstName: first, LastName: "Tanaka",
		Email: strings.ToLower(first) + "@example.org", Phone: "0151 23456789", Status: members.StatusActive, SMSConsent: smsConsent})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func postWebhook(t *testing.T, app *webtest.App, path, contentType, body string, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := webtest.Client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestTwilioStatusWebhook(t *testing.T) {
	fake := notifytest.NewTwilio(t)
	app := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) { c.Notify.SMS.Twilio.AuthToken = fake.AuthToken }})
	m := notifyMember(t, app, "Aiko", true)
	const path = "/webhooks/twilio/status"
	tests := []struct {
		name      string
		sid       string
		params    url.Values
		signature func(params url.Values) string
		want      int
		status    members.NoticeStatus
		errorCode string
	}{
		{"signed delivered", "SM1", url.Values{"MessageStatus": {"delivered"}}, nil, http.StatusOK, members.NoticeDelivered, ""},
		{"signed undelivered", "SM2", url.Values{"MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}, nil, http.StatusOK, members.NoticeUndeliverable, "30003"},
		{"signed failed", "SM3", url.Values{"MessageStatus": {"failed"}, "ErrorCode": {"30007"}}, nil, http.StatusOK, members.NoticeFailed, "30007"},
		{"signed interim status", "SM4", url.Values{"MessageStatus": {"sent"}}, nil, http.StatusOK, members.NoticeSent, ""},
		{"unsigned", "SM5", url.Values{"MessageStatus": {"delivered"}}, func(url.Values) string { return "" }, http.StatusForbidden, members.NoticeSent, ""},
		{"signed with another token", "SM6", url.Values{"MessageStatus": {"delivered"}}, func(p url.Values) string {
			other := notifytest.NewTwilio(t)
			other.AuthToken = "ffffffffffffffffffffffffffffffff"
			return other.SignWebhook(app.URL+path, p)
		}, http.StatusForbidden, members.NoticeSent, ""},
		{"signature of other params", "SM7", url.Values{"MessageStatus": {"delivered"}}, func(p url.Values) string {
			return fake.SignWebhook(app.URL+path, url.Values{"MessageSid": p["MessageSid"], "MessageStatus": {"failed"}})
		}, http.StatusForbidden, members.NoticeSent, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := "t:" + tc.sid
			sentNotice(t, app.Members, m.ID, key, "sms", "twilio", tc.sid)
			tc.params.Set("MessageSid", tc.sid)
			tc.params.Set("AccountSid", fake.AccountSID)
			sig := fake.SignWebhook(app.URL+path, tc.params)
			if tc.signature != nil {
				sig = tc.signature(tc.params)
			}
			resp := postWebhook(t, app, path, "application/x-www-form-urlencoded", tc.params.Encode(), map[string]string{"X-Twilio-Signature": sig})
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
			n := noticeStatus(t, app.Members, key)
			if n.Status != tc.status || n.ErrorCode != tc.errorCode {
				t.Errorf("notice %s %q, want %s %q", n.Status, n.ErrorCode, tc.status, tc.errorCode)
			}
		})
	}
}

func TestTwilioInboundStopWithdrawsConsent(t *testing.T) {
	fake := notifytest.NewTwilio(t)
	app := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) { c.Notify.SMS.Twilio.AuthToken = fake.AuthToken }})
	const path = "/webhooks/twilio/inbound"
	tests := []struct {
		name    string
		body    string
		signed  bool
		want    int
		consent bool
	}{
		{"unsigned stop", "STOP", false, http.StatusForbidden, true},
		{"a question", "When is training?", true, http.StatusOK, true},
		{"stop", " stop ", true, http.StatusOK, false},
		{"unsubscribe", "UNSUBSCRIBE", true, http.StatusOK, false},
		{"german", "Stopp", true, http.StatusOK, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := notifyMember(t, app, "Member"+strconv.Itoa(i), true)
			phone := "+49151" + strconv.Itoa(10000000+i)
			if _, err := app.Members.Update(context.Background(), "user:1", m.ID, members.MemberPatch{Phone: &phone}, nil); err != nil {
				t.Fatal(err)
			}
			params := url.Values{"From": {phone}, "To": {"+15005550006"}, "Body": {tc.body}, "MessageSid": {"SMin" + strconv.Itoa(i)}}
			headers := map[string]string{}
			if tc.signed {
				headers["X-Twilio-Signature"] = fake.SignWebhook(app.URL+path, params)
			}
			resp := postWebhook(t, app, path, "application/x-www-form-urlencoded", params.Encode(), headers)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			got, err := app.Members.Get(context.Background(), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SMSConsent != tc.consent {
				t.Errorf("sms_consent = %v, want %v", got.SMSConsent, tc.consent)
			}
			log, _, err := app.Members.AuditLog(context.Background(), members.AuditQuery{MemberID: m.ID})
			if err != nil {
				t.Fatal(err)
			}
			if optedOut := log[0].Action == members.ActionSMSOptOut; optedOut == tc.consent {
				t.Errorf("newest audit row %+v; want an opt-out row only when consent was withdrawn", log[0])
			}
		})
	}
}

func TestSendGridEventsWebhook(t *testing.T) {
	fake := notifytest.NewSendGrid(t)
	const path = "/webhooks/sendgrid/events"
	tests := []struct {
		name    string
		key     bool // webhook_public_key configured
		event   string
		sign    string // "ok", "none", "wrong"
		want    int
		status  members.NoticeStatus
		errCode string
	}{
		{"signed delivered", true, "delivered", "ok", http.StatusOK, members.NoticeDelivered, ""},
		{"signed bounce", true, "bounce", "ok", http.StatusOK, members.NoticeUndeliverable, "5.1.1"},
		{"signed dropped", true, "dropped", "ok", http.StatusOK, members.NoticeFailed, "5.1.1"},
		{"signed open", true, "open", "ok", http.StatusOK, members.NoticeSent, ""},
		{"unsigned", true, "delivered", "none", http.StatusForbidden, members.NoticeSent, ""},
		{"signature of another body", true, "delivered", "wrong", http.StatusForbidden, members.NoticeSent, ""},
		{"no key configured", false, "delivered", "none", http.StatusForbidden, members.NoticeSent, ""},
	}
	signed := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) { c.Notify.Email.SendGrid.WebhookPublicKey = fake.PublicKey() }})
	unsigned := webtest.Start(t, webtest.Options{})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := unsigned
			if tc.key {
				app = signed
			}
			m := notifyMember(t, app, "Member"+strconv.Itoa(i), true)
			msgID := "sgmsg" + strconv.Itoa(i)
			sentNotice(t, app.Members, m.ID, "t:"+msgID, "email", "sendgrid", msgID)
			body := `[{"email":"aiko@example.org","timestamp":1750000000,"event":"processed","sg_message_id":"` + msgID + `.filterdrecv-1.0"},` +
				`{"email":"aiko@example.org","timestamp":1750000060,"event":"` + tc.event + `","sg_message_id":"` + msgID + `.filterdrecv-1.0",` +
				`"status":"5.1.1","reason":"550 5.1.1 unknown user","type":"bounce"}]`
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			headers := map[string]string{"X-Twilio-Email-Event-Webhook-Timestamp": ts}
			switch tc.sign {
			case "ok":
				headers["X-Twilio-Email-Event-Webhook-Signature"] = fake.SignEvents([]byte(body), ts)
			case "wrong":
				headers["X-Twilio-Email-Event-Webhook-Signature"] = fake.SignEvents([]byte("[]"), ts)
			}
			resp := postWebhook(t, app, path, "application/json", body, headers)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			n := noticeStatus(t, app.Members, "t:"+msgID)
			if n.Status != tc.status || n.ErrorCode != tc.errCode {
				t.Errorf("notice %s %q, want %s %q", n.Status, n.ErrorCode, tc.status, tc.errCode)
			}
		})
	}
}
