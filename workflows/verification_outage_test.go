package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/notify/notifytest"
	"membership/workflows"
)

// TestVerificationWaitsOutProviderOutage: Twilio is down when a phone run sends its first code,
// for two rounds of quick tries. The run (version 1) says "waiting_for_provider" with the time
// of its next try, backs off instead of looping (a bounded number of attempts a second), and
// once Twilio answers again the member gets the code exactly once, with its whole validity
// from then, and it verifies. Its history is testdata/phone_verification_v1_waited_for_provider.
func TestVerificationWaitsOutProviderOutage(t *testing.T) {
	r := newRig(t, nil)
	r.v.Twilio.Down(notifytest.Failure{Status: 503, Message: "service unavailable"})
	m := r.member(t)
	run, err := r.v.Verifications.Begin(context.Background(), "user:1", m.ID, members.VerifyPhone)
	if err != nil {
		t.Fatal(err)
	}
	id := api.InstanceID(run.InstanceID)
	downAt := time.Now()
	_, err = r.hub.Client().ScheduleNewOrchestration(context.Background(), workflows.PhoneVerificationName, api.WithInstanceID(id),
		api.WithInput(workflows.VerificationInput{MemberID: m.ID, Version: workflows.VerificationVersion, ProviderWait: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}

	var waiting workflows.VerificationStatus
	r.eventually(t, "the run waits for the provider", func() bool {
		waiting = r.status(t, id)
		return waiting.State == "waiting_for_provider"
	})
	if waiting.RetryAt.IsZero() {
		t.Errorf("waiting status %+v names no next try", waiting)
	}
	// Two rounds of three quick tries: the run waited once and is into its second round.
	r.eventually(t, "a second round of tries", func() bool { return r.v.Twilio.Attempts() >= 6 })
	r.eventually(t, "the second wait", func() bool { return r.status(t, id).State == "waiting_for_provider" })
	attempts, outage := r.v.Twilio.Attempts(), time.Since(downAt)
	t.Logf("%d send attempts in %s of outage", attempts, outage.Round(time.Millisecond))
	if limit := 3 + int(2*outage.Seconds()); attempts > limit {
		t.Errorf("%d attempts in %s of outage: more than %d, a tight loop", attempts, outage, limit)
	}
	if n := len(r.v.Twilio.Messages()); n != 0 {
		t.Fatalf("%d messages delivered while Twilio was down", n)
	}
	upAt := time.Now()
	r.v.Twilio.Up()

	code := r.v.WaitSMS(t, m.Phone, 1)
	t.Logf("provider up to code delivered: %s", time.Since(upAt).Round(time.Millisecond))
	var st workflows.VerificationStatus
	r.eventually(t, "the run says the code is out", func() bool { st = r.status(t, id); return st.State != "sending" })
	if st.State != "code_sent" || st.ExpiresAt.Before(upAt.Add(r.cfg.Verification.Phone.Timeout.Std()-time.Second)) {
		t.Errorf("status after the provider came back: %+v, want code_sent valid for the whole timeout from now", st)
	}
	if res := r.enter(t, id, code); res.Result != "verified" {
		t.Fatalf("the late code: %+v, want verified", res)
	}
	if got := r.done(t, id); got != workflows.Verified {
		t.Fatalf("output %q, want %q", got, workflows.Verified)
	}
	if n := len(r.v.Twilio.Messages()); n != 1 {
		t.Errorf("%d SMS delivered, want the code once", n)
	}
	saveGolden(t, r.hub, id, "phone_verification_v1_waited_for_provider")
}
