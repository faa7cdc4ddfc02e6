package activities_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"membership/activities"
	"membership/members"
	"membership/notify/outbox"
	"membership/web/i18n"
)

// TestNoticeInMembersLanguage sends the same notices to members who prefer German, English and
// nothing (the club's English): each gets the text of their language, with amounts, days and
// durations written as that language writes them.
func TestNoticeInMembersLanguage(t *testing.T) {
	due, _ := members.ParseDate("2026-12-05")
	first, _ := members.ParseDate("2026-12-01")
	last, _ := members.ParseDate("2026-12-31")
	reminder := activities.NoticeRequest{Channel: activities.ChannelEmail, Purpose: activities.PurposeReminder,
		Template: "fee_reminder", Values: map[string]activities.Value{
			"amount": activities.Money(3500, "EUR"), "due_on": activities.Day(due), "period": activities.Days(first, last)}}
	code := activities.NoticeRequest{Channel: activities.ChannelSMS, Purpose: activities.PurposeVerification,
		Template: "phone_code", Transactional: true, Vars: map[string]string{"code": "493817"}, Secrets: []string{"code"},
		Values: map[string]activities.Value{"expires_in": activities.Duration(90 * time.Minute)}}
	tests := []struct {
		lang string
		req  activities.NoticeRequest
		want []string
	}{
		{"de", reminder, []string{"Erinnerung: Ihr Mitgliedsbeitrag für 01.12.2026 – 31.12.2026", "von 35,00 €", "war am 05.12.2026 fällig"}},
		{"en", reminder, []string{"for Dec 1, 2026 – Dec 31, 2026", "€35.00", "Dec 5, 2026"}},
		{"", reminder, []string{"€35.00", "Dec 5, 2026"}},
		{"de", code, []string{"Ihr Code lautet 493817", "Er gilt 1 Stunde 30 Minuten."}},
		{"en", code, []string{"your code is 493817", "valid for 1 hour 30 minutes."}},
	}
	for _, tc := range tests {
		t.Run(tc.req.Template+" "+tc.lang, func(t *testing.T) {
			box := outbox.New(outbox.NewMemoryStore())
			w := newWorld(t, box, box)
			m := w.member(t, "ada", func(in *members.MemberInput) { in.Language = tc.lang })
			req := tc.req
			req.Key, req.MemberID = "lang:"+tc.lang+":"+req.Template, m.ID
			res, err := w.notices.Send(t.Context(), req)
			if err != nil || res.Status != activities.ResultSent {
				t.Fatalf("send: %+v, %v", res, err)
			}
			msgs, _, err := box.List(t.Context(), 0, 0)
			if err != nil || len(msgs) != 1 {
				t.Fatalf("outbox: %d messages, %v", len(msgs), err)
			}
			got := strings.ReplaceAll(msgs[0].Subject+"\n"+msgs[0].Body, "\u00a0", " ") // CLDR's no-break space
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("message lacks %q:\n%s", want, got)
				}
			}
			if stored := w.notice(t, req.Key).Body; strings.Contains(stored, "493817") {
				t.Errorf("stored copy shows the code: %q", stored)
			}
		})
	}
}

// TestTextsIn picks a member's language and falls back to the club's for none or one without
// texts; a language folder in the data folder's templates adds a language.
func TestTextsIn(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fr"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fr", "welcome.sms.txt"), []byte("Bienvenue, {{.FirstName}} !"), 0o644); err != nil {
		t.Fatal(err)
	}
	texts, err := activities.LoadTexts("My Dojo", "de", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, want string }{{"en", "en"}, {"de", "de"}, {"", "de"}, {"fr", "fr"}, {"it", "de"}} {
		if got := texts.In(tc.lang).Language(); got != tc.want {
			t.Errorf("In(%q) = %s, want %s", tc.lang, got, tc.want)
		}
	}
	p, err := texts.In("fr").Preview(activities.NoticeRequest{Channel: activities.ChannelSMS, Template: "welcome"}, &members.Member{FirstName: "Ada"})
	if err != nil || p.Text != "Bienvenue, Ada !" {
		t.Errorf("french welcome: %q, %v", p.Text, err)
	}
}

// TestTellAdminsInTheirLanguage: each admin gets the e-mail in their own language; one who
// chose none gets the club's.
func TestTellAdminsInTheirLanguage(t *testing.T) {
	box := outbox.New(outbox.NewMemoryStore())
	w := newWorld(t, box, box)
	w.notices.Admins = func(context.Context) ([]activities.Admin, error) {
		return []activities.Admin{{ID: 1, Email: "de@example.org", Language: "de"}, {ID: 2, Email: "club@example.org"}}, nil
	}
	err := w.notices.TellAdmins(t.Context(), "admin:i1:joined", func(l *i18n.Localizer) (string, string) {
		return l.T("admin_mail.joined.subject", "Name", "Ada Lovelace"), l.T("admin_mail.joined.text", "Name", "Ada Lovelace", "Link", "http://x/members/1")
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := box.List(t.Context(), 0, 0)
	want := map[string]string{"de@example.org": "Neues Mitglied: Ada Lovelace", "club@example.org": "New member: Ada Lovelace"}
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		if m.Subject != want[m.To] || !strings.Contains(m.Body, "http://x/members/1") {
			t.Errorf("to %s: %q / %q, want subject %q and the link", m.To, m.Subject, m.Body, want[m.To])
		}
	}
}
