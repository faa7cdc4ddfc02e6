package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"membership/members"
	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestAttendanceTaps: a trainer checks members in; the same tap sent twice (a lost answer, a
// double tap) and a second tap for the same member and day are one attendance; a trainer may
// not create groups; a member found by the search joins the group.
func TestAttendanceTaps(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := context.Background()
	ada := activeMember(t, app, "Ada")
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	resp, body := admin.PostFormBody(t, "/attendance/groups", url.Values{"name": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-name"`) {
		t.Fatalf("group without a name: %d", resp.StatusCode)
	}
	resp = admin.PostForm(t, "/attendance/groups", url.Values{"name": {"Erwachsene"}, "schedule": {"Mo 19:00, Do 19:00"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create group: %d", resp.StatusCode)
	}
	page := resp.Header.Get("Location")
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	if resp := trainer.PostForm(t, "/attendance/groups", url.Values{"name": {"Kinder"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a trainer creating a group: %d, want 403", resp.StatusCode)
	}
	_, body = trainer.Get(t, page)
	if !strings.Contains(body, `data-testid="group-empty"`) || !strings.Contains(body, fmt.Sprintf(`data-member="%d"`, ada.ID)) {
		t.Fatalf("check-in page:\n%s", body)
	}
	day := time.Now().In(app.Config.Club.Location()).Format(time.DateOnly)
	tap := func(key string) (int, string) {
		resp, body := trainer.PostFormBody(t, page+"/taps", url.Values{"member_id": {fmt.Sprint(ada.ID)}, "day": {day}, "client_key": {key}})
		return resp.StatusCode, body
	}
	for i, tc := range []struct {
		key     string
		created bool
	}{{"tap-1", true}, {"tap-1", false}, {"tap-2", false}} {
		status, body := tap(tc.key)
		if status != http.StatusOK || strings.Contains(body, `"created":true`) != tc.created {
			t.Errorf("tap %d (%s): %d %s, want created=%v", i, tc.key, status, body, tc.created)
		}
	}
	var n int64
	if err := app.DB.Model(&members.Attendance{}).Where("member_id = ?", ada.ID).Count(&n).Error; err != nil || n != 1 {
		t.Fatalf("%d attendances (%v), want 1", n, err)
	}
	if got, _ := app.Members.AttendanceCount(ctx, ada.ID, members.DateOf(time.Now()).AddDays(-1)); got != 1 {
		t.Errorf("attendance count = %d", got)
	}
	_, body = trainer.Get(t, page)
	if !strings.Contains(body, `class="checkin checked"`) || strings.Contains(body, `data-testid="group-empty"`) {
		t.Errorf("after the tap Ada is not in the group and checked:\n%s", body)
	}
	if status, _ := tap(""); status != http.StatusOK {
		t.Errorf("a tap without a key: %d", status)
	}
	resp, _ = trainer.PostFormBody(t, page+"/taps", url.Values{"member_id": {"x"}, "day": {day}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a tap without a member: %d, want 400", resp.StatusCode)
	}
	resp, _ = trainer.PostFormBody(t, "/attendance/999999/taps", url.Values{"member_id": {fmt.Sprint(ada.ID)}, "day": {day}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a tap in no group: %d, want 404", resp.StatusCode)
	}
}

// TestCheckInOnAPhone: on a phone-sized window a trainer opens the group, searches a member,
// taps them twice in quick succession — one attendance, marked at once — and the counter says
// one present.
func TestCheckInOnAPhone(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ben := activeMember(t, app, "Ben")
	activeMember(t, app, "Cleo")
	g, err := app.Members.CreateGroup(context.Background(), "Kinder", "Di 17:00")
	if err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	browsertest.SignIn(ctx, t, app, webtest.TrainerEmail, webtest.TrainerPassword)
	browsertest.Open(ctx, t, app, fmt.Sprintf("/attendance/%d", g.ID), `[data-testid="checkin-search"]`)
	sel := fmt.Sprintf(`[data-member="%d"]`, ben.ID)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`[data-testid="checkin-search"]`, "ben"),
		chromedp.WaitVisible(sel),
	); err != nil {
		t.Fatal(err)
	}
	// A double tap: the second click lands while the first is on its way.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('%s').click(); document.querySelector('%s').click();`, sel, sel))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(ctx, t, sel+`.checked`, 30*time.Second)
	if got := browsertest.Text(ctx, t, `[data-testid="checked-in-count"]`); got != "1" {
		t.Errorf("present = %q, want 1", got)
	}
	var n int64
	if err := app.DB.Model(&members.Attendance{}).Where("member_id = ?", ben.ID).Count(&n).Error; err != nil || n != 1 {
		t.Fatalf("%d attendances (%v), want 1", n, err)
	}
	height, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('`+sel+`').getBoundingClientRect().height`))
	if err != nil || height < 44 {
		t.Errorf("tap target %.0f px high (%v), want at least 44", height, err)
	}
}

// activeMember creates an active member with an address of their own.
func activeMember(t *testing.T, app *webtest.App, first string) *members.Member {
	t.Helper()
	m, err := app.Members.Create(context.Background(), "system", members.MemberInput{FirstName: first, LastName: "Okafor",
		Email: strings.ToLower(first) + "@example.org", Status: members.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestGradingEligibilityPage: a member with the trainings and the time since their last
// grading is eligible; one without them is listed with the reasons; an admin changes a rule,
// a bad value comes back next to its field; the page is in German for a German reader.
func TestGradingEligibilityPage(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := context.Background()
	ready, fresh := activeMember(t, app, "Ada"), activeMember(t, app, "Ben")
	g, err := app.Members.CreateGroup(ctx, "Erwachsene", "")
	if err != nil {
		t.Fatal(err)
	}
	today := members.DateOf(time.Now().In(app.Config.Club.Location()))
	if _, err := app.Members.AddGrading(ctx, "system", ready.ID, "6. Kyu", today.AddDays(-200), ""); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, _, err := app.Members.RecordAttendance(ctx, "system", g.ID, ready.ID, today.AddDays(-i*5), ""); err != nil {
			t.Fatal(err)
		}
	}
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	_, body := trainer.Get(t, "/gradings/eligible")
	for _, want := range []string{fmt.Sprintf(`href="/members/%d"`, ready.ID), `data-eligible="true"`, `data-eligible="false"`,
		"0 of 24 trainings", "1 members may take"} {
		if !strings.Contains(body, want) {
			t.Errorf("eligibility page lacks %q", want)
		}
	}
	_, body = trainer.Get(t, fmt.Sprintf("/members/%d", ready.ID))
	if !strings.Contains(body, "30 trainings in the last twelve months") || !strings.Contains(body, `data-testid="attendance-chart"`) {
		t.Errorf("member page lacks the attendance count and chart")
	}
	_, body = trainer.Get(t, fmt.Sprintf("/members/%d", fresh.ID))
	if !strings.Contains(body, "0 trainings in the last twelve months") || strings.Contains(body, `data-testid="attendance-chart"`) {
		t.Errorf("member page of a member without trainings")
	}
	_, body = trainer.Get(t, "/gradings/eligible?eligible=1")
	if strings.Contains(body, `data-eligible="false"`) {
		t.Error("only eligible shows others")
	}
	if resp := trainer.PostForm(t, "/gradings/rules", url.Values{"rank": {"5. Kyu"}, "min_months": {"3"}, "min_trainings": {"40"}, "min_age": {"0"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a trainer changing a rule: %d", resp.StatusCode)
	}
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	resp, body := admin.PostFormBody(t, "/gradings/rules", url.Values{"rank": {"5. Kyu"}, "min_months": {"-2"}, "min_trainings": {"40"}, "min_age": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `class="field-error"`) {
		t.Fatalf("a bad rule: %d", resp.StatusCode)
	}
	if resp := admin.PostForm(t, "/gradings/rules", url.Values{"rank": {"5. Kyu"}, "min_months": {"3"}, "min_trainings": {"40"}, "min_age": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save rule: %d", resp.StatusCode)
	}
	_, body = admin.Get(t, "/gradings/eligible")
	if !strings.Contains(body, "30 of 40 trainings") {
		t.Errorf("the new rule does not count: Ada should need 40 trainings")
	}
	de := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	de.PostForm(t, "/settings/language", url.Values{"language": {"de"}})
	_, body = de.Get(t, "/gradings/eligible")
	if !strings.Contains(body, "Prüfungsberechtigung") || !strings.Contains(body, "von 40 Trainings") {
		t.Errorf("German page:\n%.600s", body)
	}
}
