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
