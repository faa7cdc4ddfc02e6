package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"membership/activities"
	"membership/notify"
	"membership/web/webtest"
)

func TestOutboxPage(t *testing.T) {
	app, n := webtest.StartNotifying(t, webtest.Options{})
	browser := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)

	_, body := browser.Get(t, "/outbox")
	doc := outboxHTML(t, body)
	if doc.Find(`[data-testid="empty"]`).Length() != 1 || doc.Find(`[data-testid="outbox"][hx-trigger]`).Length() != 1 {
		t.Fatalf("empty outbox: want the empty state inside the polled list:\n%s", body)
	}

	m := notifyMember(t, app, "Aiko", true)
	ctx := context.Background()
	link := "https://club.example/verify/email/tok123"
	for _, req := range []activities.NoticeRequest{
		{Key: "verification:v1:1:member:1:sms", MemberID: m.ID, Channel: "sms", Purpose: "verification", Template: "phone_code",
			Transactional: true, Vars: map[string]string{"code": "493817"}, Secrets: []string{"code"}},
		{Key: "verification:v2:1:member:1:email", MemberID: m.ID, Channel: "email", Purpose: "verification", Template: "email_link",
			Transactional: true, Vars: map[string]string{"link": link}},
	} {
		if res, err := n.Notices.Send(ctx, req); err != nil || res.Status != activities.ResultSent {
			t.Fatalf("send %s: %+v %v", req.Key, res, err)
		}
	}
	_, body = browser.Get(t, "/outbox")
	doc = outboxHTML(t, body)
	rows := doc.Find(`[data-testid="outbox-messages"] tbody tr`)
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 2:\n%s", rows.Length(), body)
	}
	// Newest first: the e-mail, then the SMS.
	if got := rows.First().Find(`[data-testid="subject"]`).Text(); got != "Confirm your e-mail address for "+app.Config.Club.Name {
		t.Errorf("first row's subject %q", got)
	}
	if href, _ := rows.First().Find(`a[data-testid="link"]`).Attr("href"); href != link {
		t.Errorf("link href %q, want %q", href, link)
	}
	if code := rows.Eq(1).Find(`[data-testid="code"]`).Text(); code != "493817" {
		t.Errorf("code %q, want 493817", code)
	}

	for i := range 55 {
		if _, err := n.Outbox.SendSMS(ctx, notify.SMS{To: "+4915123456789", Body: "message " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, body = browser.Get(t, "/outbox?page=2")
	doc = outboxHTML(t, body)
	if got := doc.Find(`[data-testid="outbox-messages"] tbody tr`).Length(); got != 7 {
		t.Errorf("page 2 has %d rows, want 7 of 57", got)
	}
	if !strings.Contains(doc.Find(`[data-testid="pager"]`).Text(), "Page 2 of 2") {
		t.Errorf("pager %q", doc.Find(`[data-testid="pager"]`).Text())
	}
}

func TestOutboxAPI(t *testing.T) {
	app, n := webtest.StartNotifying(t, webtest.Options{})
	for i := range 3 {
		if _, err := n.Outbox.SendEmail(context.Background(), notify.Email{To: "a@example.org", Subject: "S" + strconv.Itoa(i), Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		role     string
		path     string
		want     int
		subjects []string
		total    int64
	}{
		{"first page", "trainer", "/api/v1/outbox?per_page=2", http.StatusOK, []string{"S2", "S1"}, 3},
		{"second page", "admin", "/api/v1/outbox?per_page=2&page=2", http.StatusOK, []string{"S0"}, 3},
		{"beyond the end", "admin", "/api/v1/outbox?page=9", http.StatusOK, nil, 3},
		{"bad per_page", "admin", "/api/v1/outbox?per_page=0", http.StatusBadRequest, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := app.API(t, tc.role).Do(t, http.MethodGet, tc.path, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if tc.want != http.StatusOK {
				return
			}
			var list struct {
				Items []struct {
					Subject string `json:"subject"`
					Channel string `json:"channel"`
					To      string `json:"to"`
				} `json:"items"`
				Page, PerPage int
				Total         int64 `json:"total"`
			}
			webtest.DecodeJSON(t, body, &list)
			var subjects []string
			for _, it := range list.Items {
				subjects = append(subjects, it.Subject)
			}
			if strings.Join(subjects, ",") != strings.Join(tc.subjects, ",") || list.Total != tc.total || list.Items == nil {
				t.Errorf("items %v total %d, want %v %d (items never null)", subjects, list.Total, tc.subjects, tc.total)
			}
		})
	}
	resp, _ := (&webtest.API{App: app}).Do(t, http.MethodGet, "/api/v1/outbox", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without token: %d, want 401", resp.StatusCode)
	}
}

func TestOutboxAbsentWithoutOutboxProvider(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	if resp, _ := app.Login(t, webtest.AdminEmail, webtest.AdminPassword).Get(t, "/outbox"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/outbox: %d, want 404", resp.StatusCode)
	}
	if resp, _ := app.API(t, "admin").Do(t, http.MethodGet, "/api/v1/outbox", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/api/v1/outbox: %d, want 404", resp.StatusCode)
	}
}

func outboxHTML(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
