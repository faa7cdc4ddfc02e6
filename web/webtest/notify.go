package webtest

import (
	"context"
	"path/filepath"
	"testing"

	"membership/activities"
	"membership/db/dbtest"
	"membership/notify"
	"membership/notify/outbox"
	"membership/web"
	"membership/web/auth"
)

// Notifying is the notices area on the outbox provider, as a fresh installation runs it: both
// SMS and e-mail are kept in Outbox, and the outbox page and API are served.
type Notifying struct {
	Outbox  *outbox.Outbox
	Notices *activities.Notices
}

// StartNotifying starts the app with the sending activities (SendSMS, SendEmail) on an outbox
// in memory; opts' own Configure, Register and Deps still apply.
func StartNotifying(t testing.TB, opts Options) (*App, *Notifying) {
	t.Helper()
	n := &Notifying{Outbox: outbox.New(outbox.NewMemoryStore()), Notices: &activities.Notices{}}
	opts = withArea(t, opts, n.Notices.Register, func(d *web.Deps) {
		fillNotices(t, d, n.Notices, n.Outbox, n.Outbox, "outbox", "outbox")
		d.Outbox = n.Outbox
	})
	return Start(t, opts), n
}

// Admins is web.Admins, for the areas' test set-ups.
func Admins(users *auth.Store) func(ctx context.Context) ([]activities.Admin, error) {
	return web.Admins(users)
}

// fillNotices gives ns what cmd gives it on SQLite: the members store, the texts, the admins
// to tell, the sender address, the two providers and a send journal.
func fillNotices(t testing.TB, d *web.Deps, ns *activities.Notices, sms notify.SMSSender, email notify.EmailSender, smsProvider, emailProvider string) {
	t.Helper()
	texts, err := activities.LoadTexts(d.Config.Club.Name, d.Config.Club.Language, "")
	if err != nil {
		t.Fatal(err)
	}
	journal, err := activities.OpenSendJournal(filepath.Join(t.TempDir(), "sends"))
	if err != nil {
		t.Fatal(err)
	}
	*ns = activities.Notices{
		Members: d.Members, Texts: texts, Log: dbtest.Log(), Admins: Admins(d.Auth),
		SMS: sms, Email: email, SMSProvider: smsProvider, EmailProvider: emailProvider,
		EmailFrom: d.Config.Club.Name + " <" + d.Config.Notify.Email.From + ">",
		Journal:   journal,
	}
}
