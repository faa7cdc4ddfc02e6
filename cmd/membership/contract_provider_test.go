package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestContractProviderRefusalShown: a provider that refuses to send says so where an admin
// looks — the workflow's status (GET …/instances/{id}) and the member's timeline — with the
// provider's code and a hint, not only in the log. twilio-go refuses an account SID with
// characters Twilio never issues (21222) before it sends anything.
func TestContractProviderRefusalShown(t *testing.T) {
	s := startContract(t,
		"MEMBERSHIP_NOTIFY_SMS_PROVIDER=twilio",
		"MEMBERSHIP_NOTIFY_SMS_TWILIO_ACCOUNT_SID=AC-not/a sid",
		"MEMBERSHIP_NOTIFY_SMS_TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef",
		"MEMBERSHIP_NOTIFY_SMS_TWILIO_FROM=+4915112345678",
		// Nothing may reach a real host; twilio-go refuses before it dials.
		"MEMBERSHIP_NOTIFY_SMS_TWILIO_BASE_URL=http://127.0.0.1:9",
	)
	created := s.api(t, s.Admin, http.MethodPost, "/api/v1/members", map[string]any{
		"first_name": "Kenji", "last_name": "Sato", "phone": "+4915123456789", "status": "active", "sms_consent": true})
	wantStatus(t, "create member", created, http.StatusCreated)
	id := int64(created.Object(t)["id"].(float64))

	started := s.api(t, s.Admin, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", id), nil)
	wantStatus(t, "start phone verification", started, http.StatusAccepted)
	var status struct {
		RuntimeStatus string `json:"runtimeStatus"`
		CustomStatus  struct {
			State  string `json:"state"`
			Reason string `json:"reason"`
		} `json:"customStatus"`
	}
	statusPath := "/runtime/webhooks/durabletask/instances/" + started.Object(t)["id"].(string)
	waitFor(t, contractWait, "the verification ends", func() bool {
		s.api(t, s.Admin, http.MethodGet, statusPath, nil).JSON(t, &status)
		return status.RuntimeStatus == "Completed"
	})
	for _, want := range []string{"21222", "twilio", "Hint:", "notify.sms.twilio.account_sid"} {
		if status.CustomStatus.State != "failed" || !strings.Contains(status.CustomStatus.Reason, want) {
			t.Errorf("workflow status %+v does not say %q", status.CustomStatus, want)
		}
	}

	var timeline struct {
		Items []struct {
			Kind, Title, Detail string
		} `json:"items"`
	}
	r := s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/members/%d/timeline", id), nil)
	wantStatus(t, "timeline", r, http.StatusOK)
	r.JSON(t, &timeline)
	found := false
	for _, e := range timeline.Items {
		if e.Kind == "notice" && strings.Contains(e.Title, "failed") &&
			strings.Contains(e.Detail, "21222") && strings.Contains(e.Detail, "notify.sms.twilio.account_sid") {
			found = true
		}
	}
	if !found {
		t.Errorf("the timeline shows no failed SMS with Twilio's code and a hint: %+v", timeline.Items)
	}
}
