package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"membership/members"
	"membership/taskhub"
	"membership/workflows"
)

// TestFeeReminderVersions runs both code paths of FeeReminder for a member who gave no SMS
// consent: the first version (0) skips the SMS and waits; version 1 sends the reminder by
// e-mail instead and says so in its status. Each records its history for the replay tests.
func TestFeeReminderVersions(t *testing.T) {
	tests := []struct {
		version  int
		golden   string
		notices  []string // after the SMS step; %[1]d the fee, %[2]d the member
		fallback string
	}{
		{0, "fee_reminder_v0_sms_skipped", []string{"fee:%[1]d:step:1:member:%[2]d:email=sent", "fee:%[1]d:step:2:member:%[2]d:sms=skipped"}, ""},
		{workflows.FeeReminderVersion, "fee_reminder_v1_sms_fallback", []string{"fee:%[1]d:step:1:member:%[2]d:email=sent",
			"fee:%[1]d:step:2:member:%[2]d:sms=skipped", "fee:%[1]d:step:2:member:%[2]d:email=sent"}, "email"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("version %d", tc.version), func(t *testing.T) {
			r := newFeeRig(t, nil)
			ms := r.addMembers(t, 1, func(_ int, in *members.MemberInput) { in.Plan, in.SMSConsent = r.plan.Name, false })
			if _, err := r.app.Members.CreateFeesForPeriod(context.Background(), time.Now()); err != nil {
				t.Fatal(err)
			}
			fees, err := r.app.Members.Fees(context.Background(), ms[0].ID)
			if err != nil || len(fees) != 1 {
				t.Fatalf("fees: %v, %v", fees, err)
			}
			fee, m := fees[0], ms[0]
			id := api.InstanceID(workflows.FeeReminderID(fee.ID))
			if started, err := taskhub.StartFixed(context.Background(), r.app.Hub.Client(), workflows.FeeReminderName, id,
				workflows.FeeReminderInput{FeeID: fee.ID, SMSAfter: 100 * time.Millisecond, OverdueAfter: time.Hour, Version: tc.version}); err != nil || !started {
				t.Fatalf("start: %v, %v", started, err)
			}
			want := make([]string, len(tc.notices))
			for i, n := range tc.notices {
				want[i] = fmt.Sprintf(n, fee.ID, m.ID)
			}
			var st workflows.FeeReminderStatus
			within(t, 30*time.Second, "the SMS step", func() bool {
				md := r.instance(t, id, api.RUNTIME_STATUS_RUNNING)
				return json.Unmarshal([]byte(md.SerializedCustomStatus), &st) == nil && st.Step == 2
			})
			if got := r.noticeKeys(t, m); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("notices = %v, want %v", got, want)
			}
			if st.Fallback != tc.fallback || len(r.s.Twilio.Messages()) != 0 {
				t.Errorf("status %+v with %d SMS; want fallback %q and no SMS", st, len(r.s.Twilio.Messages()), tc.fallback)
			}
			resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/fees/%d/paid", fee.ID),
				map[string]string{"paid_on": time.Now().In(r.app.Config.Club.Location()).Format(time.DateOnly), "method": "cash"})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("mark paid: %d %s", resp.StatusCode, body)
			}
			if got := r.outcome(t, id); got != workflows.FeeReminderPaid {
				t.Fatalf("outcome = %q, want Paid", got)
			}
			saveGolden(t, r.app.Hub, id, tc.golden)
		})
	}
}

// TestGoldenReplayVersionMatters: the version recorded at the start is what keeps an instance
// on its path. Each checked-in history of a versioned orchestrator replays with today's code as
// it was recorded, and fails once its start claims the other version.
func TestGoldenReplayVersionMatters(t *testing.T) {
	for _, tc := range []struct {
		file                string
		register            func(*task.TaskRegistry) error
		recorded, claimedAs float64
		breaksAt            string
	}{
		{"fee_reminder_v0_sms_skipped.json", workflows.RegisterFees, 0, 1, "activity SendFeeReminder"},
		{"fee_reminder_v1_sms_fallback.json", workflows.RegisterFees, 1, 0, "timer"},
		{"campaign_batch_v1_waited_for_provider.json", workflows.RegisterCampaigns, 1, 0, "NoteCampaignWaiting"},
		{"phone_verification_v1_waited_for_provider.json", workflows.RegisterVerification, 1, 0, "activity EndVerification"},
		{"renewal_campaign_v1_approved.json", workflows.RegisterCampaigns, 1, 0, "RequestCampaignApproval"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			id, events := loadGolden(t, filepath.Join("testdata", tc.file))
			if err := replay(registry(t, tc.register), id, events); err != nil {
				t.Fatalf("the history of version %v does not replay: %v", tc.recorded, err)
			}
			es := events[startedIndex(t, events)].GetExecutionStarted()
			var in map[string]any
			if err := json.Unmarshal([]byte(es.GetInput().GetValue()), &in); err != nil {
				t.Fatal(err)
			}
			if v, _ := in["version"].(float64); v != tc.recorded {
				t.Fatalf("recorded input %s: want version %v", es.GetInput().GetValue(), tc.recorded)
			}
			in["version"] = tc.claimedAs
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			es.Input = wrapperspb.String(string(b))
			if err := replay(registry(t, tc.register), id, events); err == nil || !strings.Contains(err.Error(), tc.breaksAt) {
				t.Fatalf("replayed as version %v: %v; want a break at %q", tc.claimedAs, err, tc.breaksAt)
			}
		})
	}
}

func startedIndex(t *testing.T, events []*backend.HistoryEvent) int {
	t.Helper()
	for i, e := range events {
		if e.GetExecutionStarted() != nil {
			return i
		}
	}
	t.Fatal("history without ExecutionStarted")
	return 0
}
