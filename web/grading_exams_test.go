package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"membership/members"
	"membership/web/webtest"
)

// TestExamPages: an admin plans an exam on its page; the round invites the one eligible
// member, whose acceptance the page counts; the admin enters "passed" and the member holds the
// new rank. A bad form comes back with the reasons next to the fields.
func TestExamPages(t *testing.T) {
	app, s := webtest.StartSending(t, webtest.Options{})
	ctx := context.Background()
	if _, err := app.Members.CreatePlan(ctx, "system", members.PlanInput{Name: "Erwachsene", FeeAmount: 3500, Currency: "EUR", Period: members.Monthly}); err != nil {
		t.Fatal(err)
	}
	m, err := app.Members.Create(ctx, "system", members.MemberInput{FirstName: "Ada", LastName: "Okafor", Email: "ada@example.org",
		Status: members.StatusActive, Plan: "Erwachsene", EmailConsent: true})
	if err != nil {
		t.Fatal(err)
	}
	today := members.DateOf(time.Now().In(app.Config.Club.Location()))
	if _, err := app.Members.AddGrading(ctx, "system", m.ID, "6. Kyu", today.AddDays(-200), ""); err != nil {
		t.Fatal(err)
	}
	g, _ := app.Members.CreateGroup(ctx, "Erwachsene", "")
	for i := range 30 {
		if _, _, err := app.Members.RecordAttendance(ctx, "system", g.ID, m.ID, today.AddDays(-i*5), ""); err != nil {
			t.Fatal(err)
		}
	}
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	resp, body := admin.PostFormBody(t, "/gradings/exams", url.Values{"name": {"Kyu"}, "exam_on": {"x"}, "deadline": {""}, "fee": {"abc"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad exam form: %d", resp.StatusCode)
	}
	for _, f := range []string{"exam_on", "deadline", "fee"} {
		if !strings.Contains(body, `data-testid="error-`+f+`"`) {
			t.Errorf("no error next to %s", f)
		}
	}
	examOn := today.AddDays(21)
	deadline := time.Now().In(app.Config.Club.Location()).Add(48 * time.Hour).Format("2006-01-02T15:04")
	resp = admin.PostForm(t, "/gradings/exams", url.Values{"name": {"Kyu-Prüfung"}, "exam_on": {examOn.String()}, "deadline": {deadline}, "fee": {"15,00"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plan exam: %d", resp.StatusCode)
	}
	page := resp.Header.Get("Location")
	var examID int64
	fmt.Sscanf(page, "/gradings/exams/%d", &examID)
	waitUntil(t, "the invitation", func() bool {
		n, _ := app.Members.InvitationCounts(ctx, examID)
		return n.Invited == 1
	})
	waitUntil(t, "the invitation e-mail", func() bool { return len(s.SendGrid.Messages()) == 1 })
	var tokens []string
	if err := app.DB.Table("exam_invitations").Where("exam_id = ?", examID).Pluck("answer_token", &tokens).Error; err != nil || len(tokens) != 1 {
		t.Fatalf("tokens %v: %v", tokens, err)
	}
	if _, err := app.Members.AnswerInvitation(ctx, tokens[0], true); err != nil {
		t.Fatal(err)
	}
	_, body = admin.Get(t, page+"/progress")
	if !strings.Contains(body, `data-testid="accepted">1<`) || !strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Errorf("live progress:\n%s", body)
	}
	admin.PostForm(t, page+"/results", url.Values{"member_id": {fmt.Sprint(m.ID)}, "result": {"passed"}})
	if _, body := admin.Get(t, page); !strings.Contains(body, "from the exam day on") {
		t.Errorf("a result before the exam day is not refused on the page")
	}
	// The exam day comes.
	if err := app.DB.Exec("UPDATE exams SET exam_on = ? WHERE id = ?", today, examID).Error; err != nil {
		t.Fatal(err)
	}
	resp = admin.PostForm(t, page+"/results", url.Values{"member_id": {fmt.Sprint(m.ID)}, "result": {"passed"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("result: %d", resp.StatusCode)
	}
	got, _ := app.Members.Get(ctx, m.ID)
	if got.Rank != "5. Kyu" {
		t.Errorf("rank after passing = %q, want 5. Kyu", got.Rank)
	}
	_, body = admin.Get(t, page)
	if !strings.Contains(body, "passed") || !strings.Contains(body, "/workflows/grading-invitation:") {
		t.Errorf("exam page after the result:\n%.800s", body)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExamStartsFromItsPage: an exam planned without its round (the demo seed's) is started
// from its page, once.
func TestExamStartsFromItsPage(t *testing.T) {
	app, _ := webtest.StartSending(t, webtest.Options{})
	ctx := context.Background()
	today := members.DateOf(time.Now().In(app.Config.Club.Location()))
	e, err := app.Members.CreateExam(ctx, "system", members.ExamInput{Name: "Seeded", ExamOn: today.AddDays(20), FeeAmount: 1500,
		Currency: "EUR", Deadline: time.Now().Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	page := fmt.Sprintf("/gradings/exams/%d", e.ID)
	if _, body := admin.Get(t, page); !strings.Contains(body, `data-testid="start-exam"`) {
		t.Fatal("no start button on a planned exam without a round")
	}
	if resp := admin.PostForm(t, page+"/start", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	waitUntil(t, "the round runs", func() bool {
		got, _ := app.Members.GetExam(ctx, e.ID)
		return got.InstanceID != "" && got.Status != members.ExamPlanned
	})
	admin.PostForm(t, page+"/start", url.Values{})
	if _, body := admin.Get(t, page); !strings.Contains(body, "already") || strings.Contains(body, `data-testid="start-exam"`) {
		t.Errorf("a second start is not refused on the page")
	}
}
