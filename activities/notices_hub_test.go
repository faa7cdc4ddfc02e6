package activities_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership/activities"
	"membership/db/dbtest"
	"membership/members"
	"membership/notify/notifytest"
	"membership/taskhub"
	"membership/workflows"
)

// sendOnce is a test orchestrator scheduling one SendSMS with the contract's retry policy.
func sendOnce(ctx *task.OrchestrationContext) (any, error) {
	var req activities.NoticeRequest
	if err := ctx.GetInput(&req); err != nil {
		return nil, err
	}
	var res activities.NoticeResult
	err := ctx.CallActivity(activities.SendSMSActivity, task.WithActivityInput(req),
		task.WithActivityRetryPolicy(workflows.SendRetryPolicy())).Await(&res)
	return res, err
}

// TestSendSMSActivityRetries runs SendSMS on a real task hub: Twilio answers 503 first, the
// retry policy tries again a second later, and the message goes out once.
func TestSendSMSActivityRetries(t *testing.T) {
	p := providers()[0]
	sms, count, fail := p.sms(t)
	fail(1, notifytest.Failure{})
	w := newWorld(t, sms, nil)
	m := w.member(t, "ada", nil)

	hub, err := taskhub.Open(t.Context(), taskhub.Options{DSN: filepath.Join(t.TempDir(), "taskhub.db"), Name: "test"}, dbtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := hub.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN("SendOnce", sendOnce); err != nil {
		t.Fatal(err)
	}
	if err := w.notices.Register(r); err != nil {
		t.Fatal(err)
	}
	if err := hub.Start(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	req := request("welcome:member:1:sms", m, activities.ChannelSMS)
	id, err := hub.Client().ScheduleNewOrchestration(t.Context(), "SendOnce", api.WithInput(req))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	md, err := hub.Client().WaitForOrchestrationCompletion(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("status %v (%v), want completed", md.RuntimeStatus, md.FailureDetails)
	}
	var res activities.NoticeResult
	if err := json.Unmarshal([]byte(md.SerializedOutput), &res); err != nil {
		t.Fatal(err)
	}
	n := w.notice(t, req.Key)
	if res.Status != activities.ResultSent || n.Status != members.NoticeSent || n.Attempts != 2 || count() != 1 {
		t.Errorf("result %+v, notice %s after %d attempts, twilio has %d; want sent after 2 attempts, 1 message",
			res, n.Status, n.Attempts, count())
	}
}
