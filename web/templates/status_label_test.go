package templates

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"membership/web/i18n"
	"membership/workflows"
)

// TestStatusLabelsCoverTheWorkflows: every field the app's workflows write into their custom
// status has a label in each language, so the monitor never shows a bare JSON name.
func TestStatusLabelsCoverTheWorkflows(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	statuses := map[string]any{
		"FeeCollection": workflows.FeeCollectionStatus{Stage: "notifying", CollectOn: "2026-12-08", WaitUntil: at, Error: "x",
			CollectionTally: workflows.CollectionTally{Fees: 1, Total: 1, Notified: 1, NoticeFailed: 1, NoticeSkipped: 1, Submitted: 1, Returned: 1, Paid: 1}},
		"GradingInvitation": workflows.GradingInvitationStatus{Stage: "waiting", Sent: 1, Reminded: 1, Fees: 1, ReminderAt: at, DeadlineAt: at,
			GradingCounts: workflows.GradingCounts{Invited: 1, Accepted: 1, Declined: 1, NoAnswer: 1, Pending: 1}},
		"RenewalCampaign": workflows.CampaignStatus{State: "quiet", Reason: "x", RetryAt: at, StartAt: at, ExpiresAt: at, QuietUntil: at,
			CampaignCounts: workflows.CampaignCounts{Total: 1, Sent: 1, Failed: 1, Skipped: 1}, Batches: 1, Done: 1},
	}
	for _, lang := range cat.Languages() {
		ctx := i18n.With(context.Background(), cat.Localizer(lang))
		for name, st := range statuses {
			b, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]any
			if err := json.Unmarshal(b, &fields); err != nil {
				t.Fatal(err)
			}
			for key := range fields {
				if statusLabel(ctx, key) == key {
					t.Errorf("%s: %s's status field %q has no label", lang, name, key)
				}
			}
		}
	}
}
