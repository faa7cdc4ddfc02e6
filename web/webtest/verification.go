package webtest

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/activities"
	"membership/config"
	"membership/db/dbtest"
	"membership/members"
	"membership/notify/notifytest"
	"membership/notify/sendgrid"
	"membership/notify/twilio"
	"membership/web"
	"membership/web/auth"
	"membership/workflows"
)

// Verifying is the verification area on the real provider clients (twilio-go, sendgrid-go)
// against the notify fakes, so a test reads the SMS and e-mails a run sends as the member would.
type Verifying struct {
	Twilio        *notifytest.TwilioFake
	SendGrid      *notifytest.SendGridFake
	Notices       *activities.Notices
	Verifications *members.Verifications
	Activities    *activities.Verification
}

// NewVerifying builds the area on store; TellAdmins writes to the admins users lists (nil for
// one admin, admin@example.org).
func NewVerifying(t testing.TB, cfg *config.Config, store *members.Store, users *auth.Store) *Verifying {
	t.Helper()
	v := &Verifying{Notices: &activities.Notices{}, Activities: &activities.Verification{}}
	v.fillNotices(t, cfg, store, users)
	v.fillArea(t, cfg, store)
	return v
}

// fillNotices sets up the sending on the Twilio and SendGrid fakes, into a Notices already
// registered with a task hub.
func (v *Verifying) fillNotices(t testing.TB, cfg *config.Config, store *members.Store, users *auth.Store) {
	t.Helper()
	texts, err := activities.LoadTexts(cfg.Club.Name, cfg.Club.Language, "")
	if err != nil {
		t.Fatal(err)
	}
	v.Twilio, v.SendGrid = notifytest.NewTwilio(t), notifytest.NewSendGrid(t)
	hc := &http.Client{Timeout: 10 * time.Second}
	n := v.Notices
	n.Members, n.Texts, n.Log = store, texts, dbtest.Log()
	n.SMS = twilio.New(twilio.Config{AccountSID: v.Twilio.AccountSID, AuthToken: v.Twilio.AuthToken, From: "+15005550006", BaseURL: v.Twilio.URL}, hc)
	n.Email = sendgrid.New(sendgrid.Config{APIKey: v.SendGrid.APIKey, BaseURL: v.SendGrid.URL}, hc)
	n.SMSProvider, n.EmailProvider, n.EmailFrom = "twilio", "sendgrid", cfg.Club.Name+" <"+cfg.Notify.Email.From+">"
	n.Admins = func(context.Context) ([]activities.Admin, error) {
		return []activities.Admin{{ID: 1, Email: AdminEmail, Name: "Admin"}}, nil
	}
	if users != nil {
		n.Admins = Admins(users)
	}
}

// fillArea sets up the verification store and activities, into activities already registered
// with a task hub.
func (v *Verifying) fillArea(t testing.TB, cfg *config.Config, store *members.Store) {
	t.Helper()
	verifs, err := members.NewVerifications(context.Background(), store, activities.VerificationOptions(cfg))
	if err != nil {
		t.Fatal(err)
	}
	v.Verifications = verifs
	a := v.Activities
	a.Verifications, a.Members, a.Notices, a.BaseURL, a.Log = verifs, store, v.Notices, cfg.Server.BaseURL, dbtest.Log()
}

// Register adds the area's orchestrators, its activities and the sending activities to r.
func (v *Verifying) Register(r *task.TaskRegistry) error {
	return errors.Join(workflows.RegisterVerification(r), v.Activities.Register(r), v.Notices.Register(r))
}

// StartVerifying starts the app with the verification area wired as cmd wires it, sending
// through the Twilio and SendGrid fakes; opts' own Configure, Register and Deps still apply.
func StartVerifying(t testing.TB, opts Options) (*App, *Verifying) {
	t.Helper()
	v := &Verifying{Notices: &activities.Notices{}, Activities: &activities.Verification{}}
	app := Start(t, v.wrap(t, opts, func(d *web.Deps) { v.fillNotices(t, d.Config, d.Members, d.Auth) }))
	v.Activities.BaseURL = app.URL // known once the server listens
	return app, v
}

// StartVerifyingOnOutbox is StartVerifying on the outbox provider, as a fresh installation
// runs: the SMS and e-mails are on the outbox page.
func StartVerifyingOnOutbox(t testing.TB, opts Options) (*App, *Verifying, *Notifying) {
	t.Helper()
	v := &Verifying{Activities: &activities.Verification{}}
	app, n := StartNotifying(t, v.wrap(t, opts, nil))
	v.Notices, v.Activities.Notices, v.Activities.BaseURL = n.Notices, n.Notices, app.URL
	return app, v, n
}

// wrap adds the area to opts (see withArea); notices, when given, also fills the senders.
func (v *Verifying) wrap(t testing.TB, opts Options, notices func(d *web.Deps)) Options {
	register := func(r *task.TaskRegistry) error {
		err := errors.Join(workflows.RegisterVerification(r), v.Activities.Register(r))
		if notices != nil {
			err = errors.Join(err, v.Notices.Register(r))
		}
		return err
	}
	return withArea(t, opts, register, func(d *web.Deps) {
		if notices != nil {
			notices(d)
		}
		v.fillArea(t, d.Config, d.Members)
		d.Verifications = v.Verifications
	})
}

var (
	codePattern = regexp.MustCompile(`\b[0-9]{4,10}\b`)
	linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/verify/email/[A-Za-z0-9_\-.]+`)
)

// WaitSMS waits for the n-th SMS to number (E.164, counted from 1) and returns the code in it.
func (v *Verifying) WaitSMS(t testing.TB, to string, n int) string {
	t.Helper()
	return waitFor(t, "SMS to "+to, n, codePattern, func() []string {
		return textsTo(v.Twilio.Messages(), to, func(m notifytest.TwilioMessage) (string, string) { return m.To, m.Body })
	})
}

// WaitEmail waits for the n-th e-mail to address and returns the confirmation link in it.
func (v *Verifying) WaitEmail(t testing.TB, to string, n int) string {
	t.Helper()
	return waitFor(t, "e-mail to "+to, n, linkPattern, func() []string {
		return textsTo(v.SendGrid.Messages(), to, func(m notifytest.SendGridMessage) (string, string) { return m.To, m.Text })
	})
}

// textsTo lists the texts of the messages to one recipient.
func textsTo[M any](msgs []M, to string, fields func(M) (to, text string)) []string {
	var out []string
	for _, m := range msgs {
		if rcpt, text := fields(m); rcpt == to {
			out = append(out, text)
		}
	}
	return out
}

// waitFor polls list until it has n texts and returns what pattern finds in the n-th.
func waitFor(t testing.TB, what string, n int, pattern *regexp.Regexp, list func() []string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if texts := list(); len(texts) >= n {
			found := pattern.FindString(texts[n-1])
			if found == "" {
				t.Fatalf("%s number %d holds no %s: %q", what, n, pattern, texts[n-1])
			}
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s number %d within 20 s (have %d)", what, n, len(list()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
