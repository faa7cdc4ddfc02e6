package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"membership/web/webtest"
)

// campaignWords are what the campaign pages say in one language.
type campaignWords struct {
	lang                             string
	listTitle, newButton, planned    string
	completed, channels, startColumn string
	dateTime                         *regexp.Regexp
	// the form and its preview of the five members, three reachable by e-mail, five by SMS
	formTitle, rankLabel, activeOption string
	audience, reachEmail, segments     string
	startConfirm                       string
	// the finished campaign's page: 10 notices to 5 members, 8 sent, 2 skipped
	summary, sentLabel, audienceRow, reportCSV string
	plannedFor, cancel, cancelConfirm          string
	cancelled                                  string
}

var campaignLanguages = []campaignWords{
	{
		lang: "en", listTitle: "Campaigns", newButton: "New campaign", planned: "planned", completed: "completed",
		channels: "E-mail + SMS", startColumn: "Start",
		dateTime:  regexp.MustCompile(`^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} (AM|PM|am|pm)$`),
		formTitle: "New campaign", rankLabel: "Rank", activeOption: "active",
		audience:     "Preview: 5 members in the audience today.",
		reachEmail:   "E-mail: 3 reached, 1 skipped (no e-mail address), 1 skipped (no e-mail consent)",
		segments:     "1 SMS segment per member",
		startConfirm: "Start this campaign to 5 members?",
		summary:      "completed 100% of 10 notices to 5 members", sentLabel: "sent", audienceRow: "status active",
		reportCSV: "Report as CSV", plannedFor: "E-mail + SMS · planned for ", cancel: "Cancel campaign",
		cancelConfirm: "Cancel Later? Notices already sent stay sent; the rest are not sent.", cancelled: "Campaign cancelled.",
	},
	{
		lang: "de", listTitle: "Kampagnen", newButton: "Neue Kampagne", planned: "geplant", completed: "abgeschlossen",
		channels: "E-Mail + SMS", startColumn: "Start",
		dateTime:  regexp.MustCompile(`^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$`),
		formTitle: "Neue Kampagne", rankLabel: "Graduierung", activeOption: "aktiv",
		audience:     "Vorschau: 5 Mitglieder in der Zielgruppe, Stand heute.",
		reachEmail:   "E-Mail: 3 erreicht, 1 übersprungen (keine E-Mail-Adresse), 1 übersprungen (keine Zustimmung zu E-Mails)",
		segments:     "1 SMS-Teil je Mitglied",
		startConfirm: "Diese Kampagne an 5 Mitglieder starten?",
		summary:      "abgeschlossen 100 % von 10 Nachrichten an 5 Mitglieder", sentLabel: "gesendet", audienceRow: "Status aktiv",
		reportCSV: "Bericht als CSV", plannedFor: "E-Mail + SMS · geplant für ", cancel: "Kampagne abbrechen",
		cancelConfirm: "„Later“ abbrechen? Bereits gesendete Nachrichten bleiben gesendet; die übrigen werden nicht mehr gesendet.",
		cancelled:     "Kampagne abgebrochen.",
	},
}

// startTestCampaigns plans n campaigns for later, all named "Later", and runs one to its end:
// 5 members, 10 notices, 8 sent and 2 skipped (see campaignApp).
func startTestCampaigns(t *testing.T, app *webtest.App, n int) (planned []int64, done int64) {
	t.Helper()
	api := app.API(t, "admin")
	later := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Minute)
	start := func(name string, at *time.Time) int64 {
		b := map[string]any{"name": name, "channels": []string{"email", "sms"}, "audience": map[string]any{"status": "active"},
			"subject": "Renew, {{.FirstName}}", "message": "Hello {{.FirstName}}"}
		if at != nil {
			b["start_at"] = at.Format(time.RFC3339)
		}
		resp, body := api.Do(t, http.MethodPost, "/api/v1/campaigns", b)
		if resp.StatusCode >= 300 {
			t.Fatalf("create campaign %s: %d %s", name, resp.StatusCode, body)
		}
		var started struct {
			CampaignID int64 `json:"campaign_id"`
		}
		webtest.DecodeJSON(t, body, &started)
		return started.CampaignID
	}
	for range n {
		planned = append(planned, start("Later", &later))
	}
	done = start("Now", nil)
	waitCampaignDone(t, api, done)
	return planned, done
}

// TestCampaignPagesInLanguages: the campaign list, the form with its preview and a campaign's
// page speak the admin's language, with its plurals and its dates; badge classes stay the
// stored status.
func TestCampaignPagesInLanguages(t *testing.T) {
	app, _ := campaignApp(t)
	plannedIDs, done := startTestCampaigns(t, app, len(campaignLanguages))
	for i, tc := range campaignLanguages {
		planned := plannedIDs[i]
		t.Run(tc.lang, func(t *testing.T) {
			admin := adminSpeaking(t, app, tc.lang)

			doc := page(t, admin, "/campaigns", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.listTitle {
				t.Errorf("heading %q, want %q", got, tc.listTitle)
			}
			if got := doc.Find(`[data-testid="new-campaign"]`).Text(); got != tc.newButton {
				t.Errorf("new button %q, want %q", got, tc.newButton)
			}
			if got := doc.Find(`[data-testid="campaigns"] th`).Eq(2).Text(); got != tc.startColumn {
				t.Errorf("column %q, want %q", got, tc.startColumn)
			}
			rows := doc.Find(`[data-testid="campaign-row"]`)
			if rows.Length() != len(plannedIDs)+1 {
				t.Fatalf("%d rows, want %d", rows.Length(), len(plannedIDs)+1)
			}
			for id, want := range map[int64]string{planned: tc.planned, done: tc.completed} {
				row := rows.FilterFunction(func(_ int, s *goquery.Selection) bool {
					return s.Find(fmt.Sprintf(`a[href="/campaigns/%d"]`, id)).Length() > 0
				})
				badge := row.Find(`[data-testid="campaign-status"]`)
				if badge.Text() != want || !strings.Contains(badge.AttrOr("class", ""), "badge-") {
					t.Errorf("campaign %d: badge %q, want %q", id, badge.Text(), want)
				}
				if got := row.Find(`[data-testid="campaign-start"]`).Text(); !tc.dateTime.MatchString(got) {
					t.Errorf("campaign %d: start %q, want it as %s", id, got, tc.dateTime)
				}
				if got := row.Find("td").Eq(1).Text(); got != tc.channels {
					t.Errorf("campaign %d: channels %q, want %q", id, got, tc.channels)
				}
			}

			doc = page(t, admin, "/campaigns/new", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.formTitle {
				t.Errorf("form heading %q, want %q", got, tc.formTitle)
			}
			if got := strings.TrimSpace(doc.Find(`select[name="rank"]`).Parent().Contents().First().Text()); got != tc.rankLabel {
				t.Errorf("rank label %q, want %q", got, tc.rankLabel)
			}
			if got := doc.Find(`select[name="status"] option[value="active"]`).Text(); got != tc.activeOption {
				t.Errorf("status option %q, want %q", got, tc.activeOption)
			}
			preview := url.Values{"name": {"Renewal"}, "channels": {"email", "sms"}, "status": {"active"}, "subject": {"Renew"},
				"message": {"Hello {{.FirstName}}"}, "when": {"now"}, "action": {"preview"}}
			resp, body := admin.PostFormBody(t, "/campaigns", preview)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("preview: %d", resp.StatusCode)
			}
			doc = parse(t, body)
			if got := squash(doc.Find(`[data-testid="campaign-preview"] header`).Text()); got != tc.audience {
				t.Errorf("audience %q, want %q", got, tc.audience)
			}
			if got := squash(doc.Find(`[data-testid="reach-email"]`).Text()); got != tc.reachEmail {
				t.Errorf("e-mail reach %q, want %q", got, tc.reachEmail)
			}
			if got := doc.Find(`[data-testid="segments"]`).First().Text(); !strings.HasSuffix(got, tc.segments) {
				t.Errorf("segments %q, want it to end %q", got, tc.segments)
			}
			if got := doc.Find(`[data-testid="start"]`).AttrOr("data-confirm", ""); got != tc.startConfirm {
				t.Errorf("start confirmation %q, want %q", got, tc.startConfirm)
			}

			doc = page(t, admin, fmt.Sprintf("/campaigns/%d", done), http.StatusOK)
			if got := squash(doc.Find(`[data-testid="progress-summary"]`).Text()); got != tc.summary {
				t.Errorf("progress %q, want %q", got, tc.summary)
			}
			if got := doc.Find(`[data-testid="sent"]`).Next().Text(); got != tc.sentLabel {
				t.Errorf("sent card %q, want %q", got, tc.sentLabel)
			}
			if got := doc.Find(`[data-testid="audience"]`).Text(); got != tc.audienceRow {
				t.Errorf("audience %q, want %q", got, tc.audienceRow)
			}
			if got := doc.Find(`[data-testid="report-csv"]`).Text(); got != tc.reportCSV {
				t.Errorf("report link %q, want %q", got, tc.reportCSV)
			}
			for _, id := range []string{"started", "finished"} {
				if got := doc.Find(`[data-testid="` + id + `"]`).Text(); !tc.dateTime.MatchString(got) {
					t.Errorf("%s %q, want it as %s", id, got, tc.dateTime)
				}
			}

			// The planned campaign's page, its live fragment and its cancellation.
			path := fmt.Sprintf("/campaigns/%d", planned)
			doc = page(t, admin, path, http.StatusOK)
			head := squash(doc.Find(`[data-testid="campaign-planned"]`).Text())
			if !strings.HasPrefix(head, tc.plannedFor) || !tc.dateTime.MatchString(strings.TrimPrefix(head, tc.plannedFor)) {
				t.Errorf("planned %q, want %q and a time as %s", head, tc.plannedFor, tc.dateTime)
			}
			button := doc.Find(`form[action$="/cancel"] button`)
			if button.Text() != tc.cancel || button.AttrOr("data-confirm", "") != tc.cancelConfirm {
				t.Errorf("cancel %q asking %q, want %q asking %q", button.Text(), button.AttrOr("data-confirm", ""), tc.cancel, tc.cancelConfirm)
			}
			frag := page(t, admin, path+"/progress", http.StatusOK)
			if got := frag.Find(`[data-testid="campaign-status"]`).Text(); got != tc.planned {
				t.Errorf("live status %q, want %q", got, tc.planned)
			}
			if got := frag.Find(`[data-testid="pending"]`).Next().Text(); got == "" || got == tc.sentLabel {
				t.Errorf("live pending label %q", got)
			}
			if got := flashAfter(t, admin, path+"/cancel", nil); got != tc.cancelled {
				t.Errorf("cancel flash %q, want %q", got, tc.cancelled)
			}
		})
	}
}

// parse reads an HTML page.
func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// squash is text with its runs of white space as single spaces, and none before a comma.
func squash(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), " ,", ",")
}
