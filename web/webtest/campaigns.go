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
	// Collections runs the FeeCollection workflow; a test sets its clock (Now) to reach the
	// pre-notification and settlement days.
	Collections *activities.Collections
	// Gradings runs the GradingInvitation workflow.
	Gradings *activities.Gradings
}

// Register adds the sending areas' workflows and activities to r: what StartSending's task hub
// runs, and what a test that opens the task hub again (a restart) registers on the new one.
func (s *Sending) Register(r *task.TaskRegistry) error {
	return errors.Join(s.Notices.Register(r), s.Fees.Register(r), s.Campaigns.Register(r), s.Collections.Register(r), s.Gradings.Register(r),
		workflows.RegisterFees(r), workflows.RegisterCampaigns(r), workflows.RegisterCollections(r), workflows.RegisterGradings(r))
}

// StartSending starts the app with the fee, collection and campaign workflows wired as cmd wires them
// (and the SendSMS/SendEmail activities); opts' own Configure, Register and Deps still apply.
// A test may adjust the returned activities (a clock, the send concurrency) before anything
// runs.
func StartSending(t testing.TB, opts Options) (*App, *Sending) {
	t.Helper()
	s := &Sending{Twilio: notifytest.NewTwilio(t), SendGrid: notifytest.NewSendGrid(t),
		Notices: &activities.Notices{}, Fees: &activities.Fees{}, Campaigns: &activities.Campaigns{}, Collections: &activities.Collections{}, Gradings: &activities.Gradings{}}
	opts = withArea(t, opts, s.Register, func(d *web.Deps) {
		fillNotices(t, d, s.Notices,
			twilio.New(twilio.Config{AccountSID: s.Twilio.AccountSID, AuthToken: s.Twilio.AuthToken,
				From: "+15005550006", BaseURL: s.Twilio.URL}, nil),
			sendgrid.New(sendgrid.Config{APIKey: s.SendGrid.APIKey, BaseURL: s.SendGrid.URL}, nil),
			"twilio", "sendgrid")
		log := dbtest.Log()
		*s.Fees = *activities.NewFees(d.Config, d.Members, s.Notices, d.Hub.Client(), log)
		*s.Campaigns = *activities.NewCampaigns(d.Config, d.Members, s.Notices, log)
		*s.Collections = *activities.NewCollections(d.Config, d.Members, s.Notices, log)
		*s.Gradings = *activities.NewGradings(d.Config, d.Members, s.Notices, log)
	})
	return Start(t, opts), s
}
