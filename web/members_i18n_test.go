package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"membership/members"
	"membership/web/webtest"
)

// TestMembersInLanguages: the member list, a member's page, the member form and the import's
// report speak the admin's language: words, plurals, dates and amounts as the language writes
// them; badge classes, option values and data attributes stay the stored ones.
func TestMembersInLanguages(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := context.Background()
	plan, err := app.Members.CreatePlan(ctx, "system", members.PlanInput{Name: "Erwachsene", FeeAmount: 4500, Currency: "EUR", Period: members.Monthly})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := app.Members.Create(ctx, "system", members.MemberInput{FirstName: "Anna", LastName: "Zeller", Email: "anna@example.org",
		BirthDate: members.NewDate(1990, time.February, 1), JoinedOn: members.NewDate(2024, time.March, 5), Status: members.StatusActive,
		Plan: plan.Name, Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	createMember(t, app, "Ben", "Bauer", "ben@example.org")
	if _, err := app.Members.CreateFeesForPeriod(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		lang                          string
		title, countAll, countOne     string
		noMatch, archiveAll, active   string
		born, joined, amount          string
		archiveOne, language, created string
		method, formTitle, langOption string
		saved                         string
		fileLine                      string
		problems                      []string
		importCount, dashboard, yAxis string
	}{
		{
			lang: "en", title: "Members", countAll: "2 members found", countOne: "1 member found",
			noMatch: "No member matches these filters.", archiveAll: "Archive the selected members?", active: "active",
			born: "Feb 1, 1990", joined: "Mar 5, 2024", amount: "€45.00",
			archiveOne: "Archive Anna Zeller? They no longer count as a member; you can restore them later.",
			language:   "Deutsch", created: "Member created", method: "direct debit",
			formTitle: "Edit Anna Zeller", langOption: "Club default (English)", saved: "Changes to Anna Zeller saved.",
			fileLine: "2 rows, read as UTF-8, fields separated by semicolons.",
			problems: []string{
				`Line 3, column Geburtsdatum: "1990-13-01" is not a date; use YYYY-MM-DD or DD.MM.YYYY`,
				"Line 3, column E-Mail: is not a valid e-mail address",
			},
			importCount: "problems", dashboard: "Dashboard", yAxis: "Active members",
		},
		{
			lang: "de", title: "Mitglieder", countAll: "2 Mitglieder gefunden", countOne: "1 Mitglied gefunden",
			noMatch: "Kein Mitglied passt zu diesen Filtern.", archiveAll: "Die ausgewählten Mitglieder archivieren?", active: "aktiv",
			born: "01.02.1990", joined: "05.03.2024", amount: "45,00\u00a0€",
			archiveOne: "Anna Zeller archivieren? Die Person zählt dann nicht mehr als Mitglied; Sie können sie später wiederherstellen.",
			language:   "Deutsch", created: "Mitglied angelegt", method: "Lastschrift",
			formTitle: "Anna Zeller bearbeiten", langOption: "Wie der Verein (English)", saved: "Änderungen an Anna Zeller gespeichert.",
			fileLine: "2 Zeilen, gelesen als UTF-8, Felder getrennt durch Semikolons.",
			problems: []string{
				"Zeile 3, Spalte Geburtsdatum: „1990-13-01“ ist kein Datum; verwenden Sie TT.MM.JJJJ oder JJJJ-MM-TT.",
				"Zeile 3, Spalte E-Mail: Das ist keine gültige E-Mail-Adresse.",
			},
			importCount: "Probleme", dashboard: "Übersicht", yAxis: "Aktive Mitglieder",
		},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			admin := adminSpeaking(t, app, tc.lang)

			// The list: its count with the language's plural, a status, the bulk confirmation.
			doc := page(t, admin, "/members", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.title {
				t.Errorf("heading %q, want %q", got, tc.title)
			}
			if got := doc.Find(`[data-testid="members-count"]`).Text(); got != tc.countAll {
				t.Errorf("count %q, want %q", got, tc.countAll)
			}
			if got := doc.Find(`button[value="archive"]`).AttrOr("data-confirm", ""); got != tc.archiveAll {
				t.Errorf("bulk archive asks %q, want %q", got, tc.archiveAll)
			}
			badge := doc.Find(`[data-testid="member-row"] .badge-active`).First()
			if badge.Text() != tc.active || badge.AttrOr("data-status", "") != "active" {
				t.Errorf("status badge %q (%s), want %q with the stored status", badge.Text(), badge.AttrOr("data-status", ""), tc.active)
			}
			if got := doc.Find(`select[name="status"] option[value="active"]`).Text(); got != tc.active {
				t.Errorf("status filter %q, want %q", got, tc.active)
			}
			doc = page(t, admin, "/members?q=zeller", http.StatusOK)
			if got := doc.Find(`[data-testid="members-count"]`).Text(); got != tc.countOne {
				t.Errorf("count of one %q, want %q", got, tc.countOne)
			}
			doc = page(t, admin, "/members?q=nobody", http.StatusOK)
			if got := doc.Find(`[data-testid="empty"] strong`).Text(); got != tc.noMatch {
				t.Errorf("empty state %q, want %q", got, tc.noMatch)
			}

			// A member's page: dates and the fee as the language writes them.
			memberPage := fmt.Sprintf("/members/%d", anna.ID)
			doc = page(t, admin, memberPage, http.StatusOK)
			for _, c := range []struct{ sel, want string }{
				{`[data-testid="member-born"]`, tc.born},
				{`[data-testid="member-joined"]`, tc.joined},
				{`[data-testid="fee-amount"]`, tc.amount},
				{`[data-testid="member-language"]`, tc.language},
				{`select[name="method"] option[value="direct_debit"]`, tc.method},
			} {
				if got := strings.TrimSpace(doc.Find(c.sel).First().Text()); got != c.want {
					t.Errorf("%s: %q, want %q", c.sel, got, c.want)
				}
			}
			if got := doc.Find(`form[action$="/archive"] button`).AttrOr("data-confirm", ""); got != tc.archiveOne {
				t.Errorf("archive asks %q, want %q", got, tc.archiveOne)
			}
			if got := doc.Find(`[data-testid="timeline"] li[data-kind="member"] strong`).Last().Text(); got != tc.created {
				t.Errorf("first timeline entry %q, want %q", got, tc.created)
			}

			// The form: its title and the member's preferred language, which it saves.
			doc = page(t, admin, memberPage+"/edit", http.StatusOK)
			if got := doc.Find("h1").Text(); strings.TrimSpace(got) != tc.formTitle {
				t.Errorf("form title %q, want %q", got, tc.formTitle)
			}
			lang := doc.Find(`select[name="language"]`)
			if got := lang.Find("option[selected]").AttrOr("value", ""); got != "de" {
				t.Errorf("preferred language selected %q, want de", got)
			}
			if got := lang.Find(`option[value=""]`).Text(); got != tc.langOption {
				t.Errorf("default option %q, want %q", got, tc.langOption)
			}
			if got := lang.Find(`option[value="de"]`).Text(); got != "Deutsch" {
				t.Errorf("German is offered as %q, want Deutsch", got)
			}
			form := url.Values{}
			doc.Find(`[data-testid="member-form"] input[name], [data-testid="member-form"] select[name], [data-testid="member-form"] textarea[name]`).Each(func(_ int, s *goquery.Selection) {
				name := s.AttrOr("name", "")
				switch {
				case goquery.NodeName(s) == "select":
					form.Set(name, s.Find("option[selected]").AttrOr("value", ""))
				case s.AttrOr("type", "") == "checkbox":
					if _, ok := s.Attr("checked"); ok {
						form.Set(name, s.AttrOr("value", ""))
					}
				case goquery.NodeName(s) == "textarea":
					form.Set(name, s.Text())
				default:
					form.Set(name, s.AttrOr("value", ""))
				}
			})
			form.Set("language", "en")
			if got := flashAfter(t, admin, memberPage, form); got != tc.saved {
				t.Errorf("saved flash %q, want %q", got, tc.saved)
			}
			if m, err := app.Members.Get(ctx, anna.ID); err != nil || m.Language != "en" {
				t.Fatalf("language after the form: %+v, %v", m, err)
			}
			// Back to German for the next language's run, at the version the save left.
			m, err := app.Members.Get(ctx, anna.ID)
			if err != nil {
				t.Fatal(err)
			}
			form.Set("language", "de")
			form.Set("version", fmt.Sprint(m.Version))
			flashAfter(t, admin, memberPage, form)

			// The import's report: each line says where in the reader's words, and what.
			file := "Vorname;Nachname;E-Mail;Geburtsdatum\r\nCarla;Conte;carla@example.org;01.02.1990\r\nDaniel;Dorn;daniel@example;1990-13-01\r\n"
			resp, body := upload(t, admin, "mitglieder.csv", file, url.Values{})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("upload: %d", resp.StatusCode)
			}
			doc, err = goquery.NewDocumentFromReader(strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(doc.Find(`[data-testid="import-file"]`).Text()); got != tc.fileLine {
				t.Errorf("file line %q, want %q", got, tc.fileLine)
			}
			var lines []string
			doc.Find(`[data-testid="import-errors"] li`).Each(func(_ int, s *goquery.Selection) { lines = append(lines, s.Text()) })
			for _, want := range tc.problems {
				if !slices.Contains(lines, want) {
					t.Errorf("report lacks %q: %q", want, lines)
				}
			}
			if got := doc.Find(`[data-testid="count-errors"] .card-label`).Text(); got != tc.importCount {
				t.Errorf("problems count label %q, want %q", got, tc.importCount)
			}
			if token := confirmAction.FindStringSubmatch(body); token != nil {
				admin.PostForm(t, "/members/import/"+token[1]+"/cancel", url.Values{})
			}

			// The dashboard's heading and the chart's axis.
			doc = page(t, admin, "/", http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.dashboard {
				t.Errorf("dashboard %q, want %q", got, tc.dashboard)
			}
			if got := doc.Find(`[data-testid="chart-y-axis"]`).Text(); got != tc.yAxis {
				t.Errorf("chart axis %q, want %q", got, tc.yAxis)
			}
		})
	}
}

// TestMemberListDatesInLanguages: a membership's end in the list is written as the language
// writes a date.
func TestMemberListDatesInLanguages(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	if _, err := app.Members.Create(context.Background(), "system", members.MemberInput{FirstName: "Emil", LastName: "Ende",
		Status: members.StatusActive, MembershipEndsOn: members.NewDate(2030, time.December, 31)}); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]*regexp.Regexp{"en": regexp.MustCompile(`^Dec 31, 2030$`), "de": regexp.MustCompile(`^31\.12\.2030$`)} {
		doc := page(t, adminSpeaking(t, app, lang), "/members", http.StatusOK)
		if got := doc.Find(`[data-testid="member-row"] td`).Last().Text(); !want.MatchString(got) {
			t.Errorf("%s: ends %q, want %s", lang, got, want)
		}
	}
}
