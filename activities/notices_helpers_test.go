package activities_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/activities"
	"membership/db/dbtest"
	"membership/members"
	"membership/notify"
	"membership/notify/notifytest"
	"membership/notify/outbox"
	"membership/notify/sendgrid"
	"membership/notify/smtp"
	"membership/notify/twilio"
)

const emailFrom = "My Dojo <dojo@example.org>"

// world is a notices sender on a fresh SQLite app database.
type world struct {
	gdb     *gorm.DB
	store   *members.Store
	notices *activities.Notices
}

func newWorld(t testing.TB, sms notify.SMSSender, email notify.EmailSender) *world {
	t.Helper()
	gdb := dbtest.SQLite(t)
	return newWorldOn(t, gdb, sms, email)
}

func newWorldOn(t testing.TB, gdb *gorm.DB, sms notify.SMSSender, email notify.EmailSender) *world {
	t.Helper()
	store := members.NewStore(gdb, members.Options{Region: "DE"}, dbtest.Log())
	texts, err := activities.LoadTexts("My Dojo", "en", "")
	if err != nil {
		t.Fatal(err)
	}
	n := &activities.Notices{Members: store, SMS: sms, Email: email, SMSProvider: "sms-provider", EmailProvider: "email-provider",
		EmailFrom: emailFrom, Texts: texts, Log: dbtest.Log()}
	return &world{gdb: gdb, store: store, notices: n}
}

// member creates a member with both contacts; change adjusts the input first.
func (w *world) member(t testing.TB, first string, change func(*members.MemberInput)) *members.Member {
	t.Helper()
	in := members.MemberInput{FirstName: first, LastName: "Lovelace", Email: first + "@example.org", Phone: "0151 23456789",
		Status: members.StatusActive, SMSConsent: true, EmailConsent: true}
	if change != nil {
		change(&in)
	}
	m, err := w.store.Create(context.Background(), "user:1", in)
	if err != nil {
		t.Fatalf("create member %s: %v", first, err)
	}
	return m
}

func (w *world) notice(t testing.TB, key string) *members.Notice {
	t.Helper()
	n, err := w.store.NoticeByKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// provider is one real provider client against its fake, with a way to count what the fake
// accepted and to plan a failure.
type provider struct {
	name     string
	channel  string
	sms      func(t testing.TB) (notify.SMSSender, func() int, func(int, notifytest.Failure))
	email    func(t testing.TB) (notify.EmailSender, func() int, func(int, notifytest.Failure))
	permCode string // the error code a permanent refusal records
	tempCode string // the error code a transient failure records
}

func providers() []provider {
	return []provider{
		{name: "twilio", channel: activities.ChannelSMS, permCode: "21211", tempCode: "20503",
			sms: func(t testing.TB) (notify.SMSSender, func() int, func(int, notifytest.Failure)) {
				f := notifytest.NewTwilio(t)
				c := twilio.New(twilio.Config{AccountSID: f.AccountSID, AuthToken: f.AuthToken, From: "+15005550006", BaseURL: f.URL},
					nil)
				return c, func() int { return len(f.Messages()) }, f.FailNth
			}},
		{name: "sendgrid", channel: activities.ChannelEmail, permCode: "from", tempCode: "500",
			email: func(t testing.TB) (notify.EmailSender, func() int, func(int, notifytest.Failure)) {
				f := notifytest.NewSendGrid(t)
				c := sendgrid.New(sendgrid.Config{APIKey: f.APIKey, BaseURL: f.URL}, nil)
				return c, func() int { return len(f.Messages()) }, f.FailNth
			}},
		{name: "smtp", channel: activities.ChannelEmail, permCode: "5.1.1", tempCode: "4.3.0",
			email: func(t testing.TB) (notify.EmailSender, func() int, func(int, notifytest.Failure)) {
				s := notifytest.NewSMTPSink(t)
				c, err := smtp.New(smtp.Config{Host: s.Host, Port: s.Port, TLS: smtp.NoTLS, From: emailFrom, Timeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				return c, func() int { return len(s.Messages()) }, s.FailNth
			}},
		{name: "outbox", channel: activities.ChannelSMS,
			sms: func(t testing.TB) (notify.SMSSender, func() int, func(int, notifytest.Failure)) {
				o := outbox.New(outbox.NewMemoryStore())
				count := func() int {
					_, n, err := o.List(context.Background(), 0, 0)
					if err != nil {
						t.Fatal(err)
					}
					return int(n)
				}
				return o, count, nil
			}},
	}
}

// start builds p's client against a fresh fake and a world sending through it.
func (p provider) start(t testing.TB) (*world, func() int, func(int, notifytest.Failure)) {
	t.Helper()
	if p.sms != nil {
		s, count, fail := p.sms(t)
		return newWorld(t, s, nil), count, fail
	}
	e, count, fail := p.email(t)
	return newWorld(t, nil, e), count, fail
}

func request(key string, m *members.Member, channel string) activities.NoticeRequest {
	return activities.NoticeRequest{Key: key, MemberID: m.ID, Channel: channel, Purpose: activities.PurposeWelcome, Template: "welcome"}
}
