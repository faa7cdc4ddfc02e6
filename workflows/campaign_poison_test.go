package workflows_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"membership/members"
	"membership/notify"
	"membership/web/webtest"
)

// panicky is an SMS provider whose client panics for one number: poison in one member's send.
type panicky struct {
	notify.SMSSender
	poison string
	armed  atomic.Bool
}

func (p *panicky) SendSMS(ctx context.Context, m notify.SMS) (string, error) {
	if p.armed.Load() && m.To == p.poison {
		panic("index out of range [3] with length 3")
	}
	return p.SMSSender.SendSMS(ctx, m)
}

// TestCampaignPoisonWork: in a 30-recipient SMS campaign the provider's client panics for one
// member and the message fails to render for another. The batch goes on: the other 28 get
// theirs, the two are reported failed with the reason (the panic, the template's error), and
// neither is retried. Once the client is mended, "retry failed" sends to the first; the second
// fails again with the same reason until the text is mended.
func TestCampaignPoisonWork(t *testing.T) {
	r := newSendRig(t, nil)
	ms := r.addMembers(t, 30, func(i int, in *members.MemberInput) {
		if i == 7 {
			in.LastName = "Poison"
		}
	})
	provider := &panicky{SMSSender: r.s.Notices.SMS, poison: ms[3].Phone}
	provider.armed.Store(true)
	r.s.Notices.SMS = provider

	id, _ := r.startCampaign(t, members.CampaignInput{Name: "Poison", Channels: []string{"sms"},
		Message: `Hello {{.FirstName}}{{if eq .LastName "Poison"}}{{template "missing"}}{{end}}`})
	c := r.waitCampaign(t, id, members.CampaignCompleted)
	if c.Counts != (members.CampaignCounts{Total: 30, Sent: 28, Failed: 2}) {
		t.Fatalf("counts = %+v, want 28 sent and the 2 poisoned failed", c.Counts)
	}
	failed, _, err := r.app.Members.CampaignRecipients(context.Background(), id, members.RecipientQuery{Status: members.RecipientFailed})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[int64]string{}
	for _, f := range failed {
		reasons[f.MemberID] = f.Reason
	}
	if got := reasons[ms[3].ID]; !strings.Contains(got, "panic") || strings.Contains(got, "goroutine") {
		t.Errorf("the panicking send's reason %q: want the panic named, without its stack", got)
	}
	if got := reasons[ms[7].ID]; !strings.Contains(got, "missing") {
		t.Errorf("the failed render's reason %q: want the template's error", got)
	}
	if n := len(r.s.Twilio.Messages()); n != 28 {
		t.Errorf("the provider got %d SMS, want 28", n)
	}

	provider.armed.Store(false)
	resp, body := r.admin.Do(t, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id), nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("retry failed: %d %s", resp.StatusCode, body)
	}
	var out struct {
		CampaignID int64 `json:"campaign_id"`
	}
	webtest.DecodeJSON(t, body, &out)
	retry := r.waitCampaign(t, out.CampaignID, members.CampaignCompleted)
	if retry.Counts != (members.CampaignCounts{Total: 2, Sent: 1, Failed: 1}) {
		t.Errorf("the retry's counts = %+v, want the mended one sent and the bad text failed again", retry.Counts)
	}
	got := 0
	for _, m := range r.s.Twilio.Messages() {
		if m.To == ms[3].Phone {
			got++
		}
	}
	if got != 1 {
		t.Errorf("the mended member got %d SMS, want 1", got)
	}
}
