package webtest

import (
	"context"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/activities"
	"membership/db/dbtest"
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
	register, deps := opts.Register, opts.Deps
	// The task hub starts before the stores exist: the activities are registered now and get
	// their dependencies in Deps, before any run can start.
	opts.Register = func(r *task.TaskRegistry) {
		if err := n.Notices.Register(r); err != nil {
			t.Fatal(err)
		}
		if register != nil {
			register(r)
		}
	}
	opts.Deps = func(d *web.Deps) {
		texts, err := activities.LoadTexts(d.Config.Club.Name, d.Config.Club.Language, "")
		if err != nil {
			t.Fatal(err)
		}
		ns := n.Notices
		ns.Members, ns.Texts, ns.Log, ns.Admins = d.Members, texts, dbtest.Log(), Admins(d.Auth)
		ns.SMS, ns.Email, ns.SMSProvider, ns.EmailProvider = n.Outbox, n.Outbox, "outbox", "outbox"
		ns.EmailFrom = d.Config.Club.Name + " <" + d.Config.Notify.Email.From + ">"
		d.Outbox = n.Outbox
		if deps != nil {
			deps(d)
		}
	}
	return Start(t, opts), n
}

// Admins is web.Admins, for the areas' test set-ups.
func Admins(users *auth.Store) func(ctx context.Context) ([]activities.Admin, error) {
	return web.Admins(users)
}
