package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/config"
	"membership/members"
	"membership/taskhub"
	"membership/web/webtest"
	"membership/workflows"
)

// feeRig is a rig with a monthly plan: its members owe a fee for the current month.
type feeRig struct {
	*sendRig
	plan *members.Plan
}

func newFeeRig(t *testing.T, configure func(*config.Config)) *feeRig {
	t.Helper()
	r := newSendRig(t, configure)
	p, err := r.app.Members.CreatePlan(context.Background(), "user:1", members.PlanInput{Name: "Adults", FeeAmount: 3500, Currency: "EUR", Period: members.Monthly})
	if err != nil {
		t.Fatal(err)
	}
	return &feeRig{sendRig: r, plan: p}
}

// owing creates n members on the plan and opens this month's fees; it returns each member's fee.
func (r *feeRig) owing(t *testing.T, n int) ([]*members.Member, []members.Fee) {
	t.Helper()
	ms := r.addMembers(t, n, func(_ int, in *members.MemberInput) { in.Plan = r.plan.Name })
	if _, err := r.app.Members.CreateFeesForPeriod(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	fees := make([]members.Fee, n)
	for i, m := range ms {
		fs, err := r.app.Members.Fees(context.Background(), m.ID)
		if err != nil || len(fs) != 1 {
			t.Fatalf("fees of member %d: %v, %v", m.ID, fs, err)
		}
		fees[i] = fs[0]
	}
	return ms, fees
}

// remind starts the FeeReminder of fee as the scheduler would, with the given intervals.
func (r *feeRig) remind(t *testing.T, fee members.Fee, smsAfter, overdueAfter time.Duration) api.InstanceID {
	t.Helper()
	id := api.InstanceID(workflows.FeeReminderID(fee.ID))
	started, err := taskhub.StartFixed(context.Background(), r.app.Hub.Client(), workflows.FeeReminderName, id,
		workflows.FeeReminderInput{FeeID: fee.ID, SMSAfter: smsAfter, OverdueAfter: overdueAfter})
	if err != nil || !started {
		t.Fatalf("start %s: %v, %v", id, started, err)
	}
	return id
}

// outcome waits for a reminder to complete and returns its output.
func (r *feeRig) outcome(t *testing.T, id api.InstanceID) string {
	t.Helper()
	md := r.instance(t, id, api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED)
	var out string
	if err := json.Unmarshal([]byte(md.SerializedOutput), &out); err != nil {
		t.Fatalf("%s ended %s with %q: %v", id, md.RuntimeStatus, md.SerializedOutput, md.FailureDetails)
	}
	return out
}

// noticeKeys lists the keys of a member's notices, oldest first.
func (r *feeRig) noticeKeys(t *testing.T, m *members.Member) []string {
	t.Helper()
	ns, err := r.app.Members.MemberNotices(context.Background(), m.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(ns))
	for i, n := range ns {
		keys[len(ns)-1-i] = n.Key + "=" + string(n.Status)
	}
	return keys
}

// TestFeePaidAfterSMS: the e-mail goes out, then the SMS; the payment through the API ends the
// reminder "Paid" before the fee is overdue.
func TestFeePaidAfterSMS(t *testing.T) {
	r := newFeeRig(t, nil)
	ms, fees := r.owing(t, 1)
	id := r.remind(t, fees[0], 200*time.Millisecond, time.Hour)
	within(t, 30*time.Second, "the reminder SMS", func() bool { return len(r.s.Twilio.Messages()) == 1 })

	resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/fees/%d/paid", fees[0].ID),
		map[string]string{"paid_on": time.Now().In(r.app.Config.Club.Location()).Format(time.DateOnly), "method": "cash"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mark paid: %d %s", resp.StatusCode, body)
	}
	var fee members.Fee
	webtest.DecodeJSON(t, body, &fee)
	if fee.Status != members.FeePaid || fee.Method != "cash" {
		t.Errorf("fee = %+v, want paid in cash", fee)
	}
	if got := r.outcome(t, id); got != workflows.FeeReminderPaid {
		t.Fatalf("outcome = %q, want Paid", got)
	}
	want := []string{
		fmt.Sprintf("fee:%d:step:1:member:%d:email=sent", fee.ID, ms[0].ID),
		fmt.Sprintf("fee:%d:step:2:member:%d:sms=sent", fee.ID, ms[0].ID),
	}
	if got := r.noticeKeys(t, ms[0]); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notices = %v, want %v", got, want)
	}
	if n := len(r.s.SendGrid.Messages()); n != 1 {
		t.Errorf("%d e-mails, want the one reminder (no admin, no overdue notice)", n)
	}
	saveGolden(t, r.app.Hub, id, "fee_reminder_paid_after_sms")
}

// TestFeeNeverPaid: e-mail, SMS, then the fee is marked overdue, the admins are told and the
// member gets the overdue notice; the member's timeline shows each step.
func TestFeeNeverPaid(t *testing.T) {
	r := newFeeRig(t, nil)
	ms, fees := r.owing(t, 1)
	fee, m := fees[0], ms[0]
	id := r.remind(t, fee, 100*time.Millisecond, 400*time.Millisecond)
	if got := r.outcome(t, id); got != workflows.FeeReminderOverdue {
		t.Fatalf("outcome = %q, want Overdue", got)
	}
	got, err := r.app.Members.GetFee(context.Background(), fee.ID)
	if err != nil || got.Status != members.FeeOverdue {
		t.Fatalf("fee = %+v, %v; want overdue", got, err)
	}
	want := []string{
		fmt.Sprintf("fee:%d:step:1:member:%d:email=sent", fee.ID, m.ID),
		fmt.Sprintf("fee:%d:step:2:member:%d:sms=sent", fee.ID, m.ID),
		fmt.Sprintf("fee:%d:step:3:member:%d:email=sent", fee.ID, m.ID),
	}
	if keys := r.noticeKeys(t, m); fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("notices = %v, want %v", keys, want)
	}
	var toAdmin int
	for _, msg := range r.s.SendGrid.Messages() {
		if msg.To == webtest.AdminEmail {
			toAdmin++
		}
	}
	if toAdmin != 1 || len(r.s.SendGrid.Messages()) != 3 || len(r.s.Twilio.Messages()) != 1 {
		t.Errorf("%d admin e-mails of %d, %d SMS; want 1 of 3 and 1", toAdmin, len(r.s.SendGrid.Messages()), len(r.s.Twilio.Messages()))
	}
	timeline, err := r.app.Members.Timeline(context.Background(), m.ID, 50, members.TimelineFunc(r.app.Members.NoticeTimeline))
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, e := range timeline {
		titles = append(titles, e.Title)
	}
	for _, title := range []string{"Fee overdue", "E-mail sent: fee_reminder", "SMS sent: fee_reminder", "E-mail sent: fee_overdue"} {
		if !containsString(titles, title) {
			t.Errorf("timeline %v lacks %q", titles, title)
		}
	}
	saveGolden(t, r.app.Hub, id, "fee_reminder_overdue")
}

func containsString(items []string, s string) bool {
	for _, it := range items {
		if it == s {
			return true
		}
	}
	return false
}

// TestFeeSchedulerRun: the scheduler's first run (at once: run_at has passed today) opens the
// month's fees and starts a reminder for each open one; the fee paid before the run gets
// none. Then it continues as new and waits for tomorrow.
func TestFeeSchedulerRun(t *testing.T) {
	r := newFeeRig(t, func(cfg *config.Config) {
		cfg.Fees.RunAt = config.ClockTime{}
		cfg.Fees.SMSAfter, cfg.Fees.OverdueAfter = config.Duration(time.Hour), config.Duration(2*time.Hour)
	})
	ms, fees := r.owing(t, 2)
	today := members.DateOf(time.Now().In(r.app.Config.Club.Location()))
	if _, err := r.app.Members.MarkFeePaid(context.Background(), "user:1", fees[1].ID, today, "cash"); err != nil {
		t.Fatal(err)
	}
	r.addMembers(t, 1, func(_ int, in *members.MemberInput) {
		in.Plan, in.Email, in.Phone = r.plan.Name, "new@example.org", "+4915129999999"
	})

	ctx := context.Background()
	started, err := taskhub.StartFixed(ctx, r.app.Hub.Client(), workflows.FeeSchedulerName, workflows.FeeSchedulerID, workflows.FeeSchedulerInput{})
	if err != nil || !started {
		t.Fatalf("start scheduler: %v, %v", started, err)
	}
	var st workflows.FeeSchedulerStatus
	within(t, 30*time.Second, "the scheduler's first run", func() bool {
		md, err := r.app.Hub.Client().FetchOrchestrationMetadata(ctx, workflows.FeeSchedulerID)
		return err == nil && json.Unmarshal([]byte(md.SerializedCustomStatus), &st) == nil && st.LastRun != ""
	})
	if st.LastRun != today.String() || st.LastResult != (workflows.FeeRunResult{Created: 1, Due: 2, Started: 2}) || !st.NextRun.After(time.Now()) {
		t.Fatalf("status = %+v, want today's run: 1 fee created, 2 due, 2 reminders", st)
	}
	r.instance(t, api.InstanceID(workflows.FeeReminderID(fees[0].ID)), api.RUNTIME_STATUS_RUNNING)
	if _, err := r.app.Hub.Client().FetchOrchestrationMetadata(ctx, api.InstanceID(workflows.FeeReminderID(fees[1].ID))); err == nil {
		t.Error("the fee paid before the run got a reminder")
	}
	within(t, 30*time.Second, "the first reminders", func() bool { return len(r.s.SendGrid.Messages()) == 2 })
	if keys := r.noticeKeys(t, ms[1]); len(keys) != 0 {
		t.Errorf("the member who paid got %v", keys)
	}
	again, err := taskhub.StartFixed(ctx, r.app.Hub.Client(), workflows.FeeSchedulerName, workflows.FeeSchedulerID, workflows.FeeSchedulerInput{})
	if err != nil || again {
		t.Errorf("a second start = %v, %v; want already running", again, err)
	}
	saveGolden(t, r.app.Hub, workflows.FeeSchedulerID, "fee_scheduler_waiting")
}
