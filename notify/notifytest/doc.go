// Package notifytest holds fakes of the notification providers for tests in
// any package: a Twilio API, a SendGrid API and an SMTP server, each on a
// local port, speaking the provider's real wire format, recording what it
// accepted and able to fail a chosen send.
//
//	tw := notifytest.NewTwilio(t)
//	tw.FailNth(2, notifytest.Failure{Permanent: true}) // 400, code 21211
//	sms := twilio.New(twilio.Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken,
//		From: "+15005550006", BaseURL: tw.URL}, nil)
package notifytest
