package workflows_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/notify/notifytest"
	"membership/workflows"
)

func gradingMails(f *notifytest.SendGridFake, subject string) []notifytest.SendGridMessage {
	var out []notifytest.SendGridMessage
	for _, m := range f.Messages() {
		if strings.HasPrefix(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

// TestGradingInvitationEndToEnd: attendance → eligibility → invitation e-mails → one accepts,
// one declines, one stays silent → reminder to the silent one → deadline → exam fee for the
// acceptor → result passed → the new rank in the rank history and on the member.
func TestGradingInvitationEndToEnd(t *testing.T) {
	r := newFeeRig(t, nil)
	ctx := context.Background()
	store := r.app.Members
	ms := r.addMembers(t, 4, func(_ int, in *members.MemberInput) { in.Plan = r.plan.Name })
	g, err := store.CreateGroup(ctx, "Erwachsene", "Mo 19:00, Do 19:00")
	if err != nil {
		t.Fatal(err)
	}
	// 6. Kyu after two trainings, whenever one joined: the first three members qualify, the
	// fourth never trained and is not invited.
	if _, err := store.SetGradingRule(ctx, "user:1", members.GradingRule{Rank: "6. Kyu", MinTrainings: 2}); err != nil {
		t.Fatal(err)
	}
	today := members.DateOf(time.Now().In(r.app.Config.Club.Location()))
	for _, m := range ms[:3] {
		for d := range 2 {
			if _, _, err := store.RecordAttendance(ctx, "user:1", g.ID, m.ID, today.AddDays(-d), ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	e, err := store.CreateExam(ctx, "user:1", members.ExamInput{Name: "Kyu-Prüfung", ExamOn: today, FeeAmount: 2000, Currency: "EUR",
		Deadline: time.Now().Add(8 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	id := api.InstanceID(workflows.GradingInvitationID(e.ID))
	client := r.app.Hub.Client()
	if _, err := client.ScheduleNewOrchestration(ctx, workflows.GradingInvitationName, api.WithInstanceID(id),
		api.WithInput(workflows.GradingInvitationInput{ExamID: e.ID, Version: workflows.GradingInvitationVersion})); err != nil {
		t.Fatal(err)
	}
	within(t, 30*time.Second, "three invitations", func() bool { return len(gradingMails(r.s.SendGrid, "Invitation")) == 3 })
	invs, err := store.ExamInvitations(ctx, e.ID, 0, 0)
	if err != nil || len(invs) != 3 {
		t.Fatalf("invitations = %v, %v; want 3", invs, err)
	}
	for _, mail := range gradingMails(r.s.SendGrid, "Invitation") {
		if !strings.Contains(mail.Text, "/grading/answer/") {
			t.Errorf("invitation to %s has no answer link:\n%s", mail.To, mail.Text)
		}
	}
	// The first accepts through the link's page (which raises GradingAnswer), the second
	// declines through the store, the web's part done by hand.
	b := r.app.Anonymous(t)
	answerPath := "/grading/answer/" + invs[0].AnswerToken
	if resp, body := b.Get(t, answerPath); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="grading-accept"`) {
		t.Fatalf("GET answer page: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.PostFormBody(t, answerPath, url.Values{"answer": {"accept"}}); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `data-testid="grading-answer-result"`) {
		t.Fatalf("POST answer: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.PostFormBody(t, answerPath, url.Values{"answer": {"decline"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("declining after accepting: %d, want 409", resp.StatusCode)
	}
	if resp, _ := b.Get(t, "/grading/answer/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown token: %d, want 404", resp.StatusCode)
	}
	if _, err := store.AnswerInvitation(ctx, invs[1].AnswerToken, false); err != nil {
		t.Fatal(err)
	}
	if err := client.RaiseEvent(ctx, id, workflows.GradingAnswerEvent, api.WithEventPayload(invs[1].ID)); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	md, err := client.WaitForOrchestrationCompletion(waitCtx, id)
	if err != nil {
		t.Fatal(err)
	}
	if md.FailureDetails != nil {
		t.Fatalf("round failed: %v", md.FailureDetails)
	}
	saveGolden(t, r.app.Hub, id, "grading_invitation_closed")
	var st workflows.GradingInvitationStatus
	if err := json.Unmarshal([]byte(md.SerializedCustomStatus), &st); err != nil {
		t.Fatalf("custom status %q: %v", md.SerializedCustomStatus, err)
	}
	want := workflows.GradingCounts{Invited: 3, Accepted: 1, Declined: 1, NoAnswer: 1}
	if st.Stage != workflows.GradingStageClosed || st.GradingCounts != want || st.Sent != 3 || st.Reminded != 1 || st.Fees != 1 {
		t.Errorf("status = %+v, want closed, %+v, 3 sent, 1 reminded, 1 fee", st, want)
	}
	reminders := gradingMails(r.s.SendGrid, "Reminder")
	if len(reminders) != 1 || reminders[0].To != ms[2].Email {
		t.Errorf("reminders = %+v, want one to %s", reminders, ms[2].Email)
	}
	fees, err := store.Fees(ctx, ms[0].ID)
	if err != nil || len(fees) != 1 || fees[0].Amount != 2000 {
		t.Errorf("fees of the acceptor = %+v, %v; want one of 2000", fees, err)
	}
	if fees, _ := store.Fees(ctx, ms[1].ID); len(fees) != 0 {
		t.Errorf("the decliner owes %+v", fees)
	}
	if _, err := store.AnswerInvitation(ctx, invs[2].AnswerToken, true); err == nil {
		t.Error("an answer after the deadline was accepted")
	}
	if _, err := store.RecordResult(ctx, "user:1", e.ID, ms[0].ID, true); err != nil {
		t.Fatal(err)
	}
	gs, err := store.Gradings(ctx, ms[0].ID)
	if err != nil || len(gs) != 1 || gs[0].Rank != "6. Kyu" || gs[0].GradedOn != today {
		t.Errorf("gradings = %+v, %v; want 6. Kyu on %s", gs, err, today)
	}
	if m, _ := store.Get(ctx, ms[0].ID); m.Rank != "6. Kyu" {
		t.Errorf("rank = %q, want 6. Kyu", m.Rank)
	}
}
