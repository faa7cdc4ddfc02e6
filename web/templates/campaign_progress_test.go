package templates_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"membership/members"
	"membership/web/i18n"
	"membership/web/templates"
)

// TestCampaignProgressWaitingForProvider: while a campaign's sends wait for a provider, its
// live progress says so in the reader's language, with the next attempt and the provider's
// answer; once the wait is over, or the campaign has finished, it does not.
func TestCampaignProgressWaitingForProvider(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 18, 30, 0, 0, time.UTC)
	running := members.Campaign{ID: 3, Status: members.CampaignRunning, WaitingUntil: &at, WaitingReason: "sendgrid: transient status 503"}
	tests := []struct {
		name, lang string
		cp         members.Campaign
		want       []string
		waiting    bool
	}{
		{"english", "en", running, []string{"Waiting for the provider", "Dec 5, 2026", "503"}, true},
		{"german", "de", running, []string{"Warten auf den Anbieter", "05.12.2026, 18:30", "503"}, true},
		{"no wait", "en", members.Campaign{ID: 3, Status: members.CampaignRunning}, nil, false},
		{"finished", "en", members.Campaign{ID: 3, Status: members.CampaignCompleted, WaitingUntil: &at}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			ctx := i18n.With(context.Background(), c.Localizer(tc.lang))
			if err := templates.CampaignProgress(tc.cp).Render(ctx, &b); err != nil {
				t.Fatal(err)
			}
			html := b.String()
			if got := strings.Contains(html, `data-testid="campaign-waiting"`); got != tc.waiting {
				t.Fatalf("waiting note shown = %v, want %v:\n%s", got, tc.waiting, html)
			}
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("progress lacks %q:\n%s", w, html)
				}
			}
		})
	}
}
