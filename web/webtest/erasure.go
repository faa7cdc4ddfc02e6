package webtest

import (
	"errors"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/activities"
	"membership/db/dbtest"
	"membership/web"
	"membership/workflows"
)

// Erasing is the sending areas plus the ErasureRequest workflow with its activities, which
// erase through the app's own server as cmd wires them.
type Erasing struct {
	*Sending
	Erasures *activities.Erasures
}

// StartErasing starts the app as StartSending does, with the erasure requests wired too.
func StartErasing(t testing.TB, opts Options) (*App, *Erasing) {
	t.Helper()
	e := &Erasing{Erasures: &activities.Erasures{}}
	register := func(r *task.TaskRegistry) error {
		return errors.Join(workflows.RegisterErasures(r), e.Erasures.Register(r))
	}
	opts = withArea(t, opts, register, func(d *web.Deps) {
		*e.Erasures = *activities.NewErasures(d.Config, d.Members, nil, dbtest.Log())
	})
	app, s := StartSending(t, opts)
	// Set before anything runs, as a test sets a clock on the returned activities.
	e.Sending, e.Erasures.Notices = s, s.Notices
	e.Erasures.SetEraser(app.Server)
	return app, e
}

// StartPortal starts the app as StartVerifying does (sign-in codes and links through the Twilio
// and SendGrid fakes), with the erasure requests the portal's members ask for wired too.
func StartPortal(t testing.TB, opts Options) (*App, *Verifying) {
	t.Helper()
	e := &activities.Erasures{}
	opts = withArea(t, opts, func(r *task.TaskRegistry) error {
		return errors.Join(workflows.RegisterErasures(r), e.Register(r))
	}, func(d *web.Deps) {
		*e = *activities.NewErasures(d.Config, d.Members, nil, dbtest.Log())
	})
	app, v := StartVerifying(t, opts)
	e.Notices = v.Notices
	e.SetEraser(app.Server)
	return app, v
}
