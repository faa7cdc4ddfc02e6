package workflows_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/config"
	"membership/members"
	"membership/web/webtest"
)

// sendRig is the fee and campaign areas on a running app: its SQLite stores and task hub, and
// the real Twilio and SendGrid clients against their fakes.
type sendRig struct {
	app   *webtest.App
	s     *webtest.Sending
	admin *webtest.API
}

// newSendRig starts the app with batches of 20 and no quiet hours; configure changes more.
func newSendRig(t *testing.T, configure func(*config.Config)) *sendRig {
	t.Helper()
	app, s := webtest.StartSending(t, webtest.Options{Configure: func(cfg *config.Config) {
		cfg.Campaigns.BatchSize = 20
		cfg.Campaigns.QuietHours = config.QuietHours{}
		if configure != nil {
			configure(cfg)
		}
	}})
	return &sendRig{app: app, s: s, admin: app.API(t, "admin")}
}

// addMembers creates n active members, each with a phone number and an e-mail address of their
// own and both consents; change adjusts member i's input first.
func (r *sendRig) addMembers(t *testing.T, n int, change func(i int, in *members.MemberInput)) []*members.Member {
	t.Helper()
	out := make([]*members.Member, n)
	for i := range n {
		in := members.MemberInput{FirstName: "Kenji", LastName: fmt.Sprintf("Sato%d", i), Email: fmt.Sprintf("kenji%d@example.org", i),
			Phone: fmt.Sprintf("+4915123%06d", i), Status: members.StatusActive, SMSConsent: true, EmailConsent: true}
		if change != nil {
			change(i, &in)
		}
		m, err := r.app.Members.Create(context.Background(), "user:1", in)
		if err != nil {
			t.Fatalf("create member %d: %v", i, err)
		}
		out[i] = m
	}
	return out
}

// startCampaign plans and starts a campaign through the API and returns its id and instance.
func (r *sendRig) startCampaign(t *testing.T, in members.CampaignInput) (int64, api.InstanceID) {
	t.Helper()
	resp, body := r.admin.Do(t, http.MethodPost, "/api/v1/campaigns", in)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/campaigns: %d %s", resp.StatusCode, body)
	}
	var out struct {
		ID         string `json:"id"`
		CampaignID int64  `json:"campaign_id"`
	}
	webtest.DecodeJSON(t, body, &out)
	return out.CampaignID, api.InstanceID(out.ID)
}

// campaign reads a campaign through the API.
func (r *sendRig) campaign(t *testing.T, id int64) members.Campaign {
	t.Helper()
	resp, body := r.admin.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", id), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET campaign %d: %d %s", id, resp.StatusCode, body)
	}
	var c members.Campaign
	webtest.DecodeJSON(t, body, &c)
	return c
}

// waitCampaign waits until campaign id has status.
func (r *sendRig) waitCampaign(t *testing.T, id int64, status members.CampaignStatus) members.Campaign {
	t.Helper()
	var c members.Campaign
	within(t, 60*time.Second, fmt.Sprintf("campaign %d %s", id, status), func() bool {
		c = r.campaign(t, id)
		return c.Status == status
	})
	return c
}

// instance waits until instance id reaches one of the statuses and returns it.
func (r *sendRig) instance(t *testing.T, id api.InstanceID, want ...api.OrchestrationStatus) *api.OrchestrationMetadata {
	t.Helper()
	var md *api.OrchestrationMetadata
	within(t, 60*time.Second, fmt.Sprintf("%s %v", id, want), func() bool {
		var err error
		md, err = r.app.Hub.Client().FetchOrchestrationMetadata(context.Background(), id)
		if err != nil {
			return false
		}
		for _, s := range want {
			if md.RuntimeStatus == s {
				return true
			}
		}
		return false
	})
	return md
}

// within polls cond until it holds, failing the test after d.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
