package webtest

import (
	"errors"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/activities"
	"membership/db/dbtest"
	"membership/notify/notifytest"
	"membership/notify/sendgrid"
	"membership/notify/twilio"
	"membership/web"
	"membership/workflows"
)

// Sending is the fee and campaign workflows of an App with their activities, sending SMS
// through a Twilio fake and e-mail through a SendGrid fake with the real clients.
type Sending struct {
	Twilio    *notifytest.TwilioFake
	SendGrid  *notifytest.SendGridFake
	Notices   *activities.Notices
	Fees      *activities.Fees
	Campaigns *activities.Campaigns
}

// StartSending starts the app with the fee and campaign workflows wired as cmd wires them
// (and the SendSMS/SendEmail activities); opts' own Configure, Register and Deps still apply.
// A test may adjust the returned activities (a clock, the send concurrency) before anything
// runs.
func StartSending(t testing.TB, opts Options) (*App, *Sending) {
	t.Helper()
	s := &Sending{Twilio: notifytest.NewTwilio(t), SendGrid: notifytest.NewSendGrid(t),
		Notices: &activities.Notices{}, Fees: &activities.Fees{}, Campaigns: &activities.Campaigns{}}
	register, deps := opts.Register, opts.Deps
	// The task hub starts before the stores exist: the activities are registered now and get
	// their dependencies in Deps, before any workflow can run them.
	opts.Register = func(r *task.TaskRegistry) {
		err := errors.Join(s.Notices.Register(r), s.Fees.Register(r), s.Campaigns.Register(r),
			workflows.RegisterFees(r), workflows.RegisterCampaigns(r))
		if err != nil {
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
		log := dbtest.Log()
		*s.Notices = activities.Notices{
			Members: d.Members, Texts: texts, Log: log, Admins: Admins(d.Auth),
			SMS: twilio.New(twilio.Config{AccountSID: s.Twilio.AccountSID, AuthToken: s.Twilio.AuthToken,
				From: "+15005550006", BaseURL: s.Twilio.URL}, nil),
			Email:       sendgrid.New(sendgrid.Config{APIKey: s.SendGrid.APIKey, BaseURL: s.SendGrid.URL}, nil),
			SMSProvider: "twilio", EmailProvider: "sendgrid",
			EmailFrom: d.Config.Club.Name + " <" + d.Config.Notify.Email.From + ">",
		}
		*s.Fees = *activities.NewFees(d.Config, d.Members, s.Notices, d.Hub.Client(), log)
		*s.Campaigns = *activities.NewCampaigns(d.Config, d.Members, s.Notices, log)
		if deps != nil {
			deps(d)
		}
	}
	return Start(t, opts), s
}
