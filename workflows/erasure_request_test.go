package workflows_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/notify/notifytest"
	"membership/taskhub"
	"membership/web/webtest"
	"membership/workflows"
)

// erasureRig is the app with the erasure requests wired, an admin signed in, and members.
type erasureRig struct {
	app   *webtest.App
	e     *webtest.Erasing
	admin *webtest.Browser
}

func newErasureRig(t *testing.T) *erasureRig {
	t.Helper()
	app, e := webtest.StartErasing(t, webtest.Options{})
	return &erasureRig{app: app, e: e, admin: app.Login(t, webtest.AdminEmail, webtest.AdminPassword)}
}

func (r *erasureRig) member(t *testing.T, first string) *members.Member {
	t.Helper()
	m, err := r.app.Members.Create(context.Background(), "user:1", members.MemberInput{FirstName: first, LastName: "Tanaka",
		Email: strings.ToLower(first) + "@example.org", Phone: "+4915123456789", Status: members.StatusActive, EmailConsent: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mails lists the e-mails to one address whose subject starts with subject.
func (r *erasureRig) mails(to, subject string) []notifytest.SendGridMessage {
	var out []notifytest.SendGridMessage
	for _, m := range r.e.SendGrid.Messages() {
		if m.To == to && strings.HasPrefix(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

// end waits for the request's workflow to complete and returns its output.
func (r *erasureRig) end(t *testing.T, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	md, err := r.app.Hub.Client().WaitForOrchestrationCompletion(ctx, api.InstanceID(id))
	if err != nil {
		t.Fatal(err)
	}
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("%s ended %s: %v", id, md.RuntimeStatus, md.FailureDetails)
	}
	return strings.Trim(md.SerializedOutput, `"`)
}

// decide posts a decision on the request's page and returns where it led.
func (r *erasureRig) decide(t *testing.T, id int64, action string, form url.Values) (*http.Response, string) {
	t.Helper()
	return r.admin.PostFormBody(t, fmt.Sprintf("/erasure-requests/%d/%s", id, action), form)
}

func erased(t *testing.T, app *webtest.App, id int64) bool {
	t.Helper()
	m, err := app.Members.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.ErasedAt != nil
}

// TestErasureRequestConfirmed: the member asks (through the portal's entry point) → the admins
// get an e-mail with the link to the request → a second ask returns the same request → an
// admin confirms on the page (after the confirmation step) → the workflow erases the member:
// their data gone, the request stamped, the workflow itself not purged by the erasure.
func TestErasureRequestConfirmed(t *testing.T) {
	r := newErasureRig(t)
	ctx := context.Background()
	m := r.member(t, "Haruto")
	// A workflow of the member's own, which the erasure stops and purges.
	if _, err := r.app.Hub.Client().ScheduleNewOrchestration(ctx, workflows.EmailVerificationName,
		api.WithInstanceID(api.InstanceID(fmt.Sprintf("unregistered:member:%d", m.ID)))); err != nil {
		t.Fatal(err)
	}
	req, err := r.app.Server.AskErasure(ctx, fmt.Sprintf("member:%d", m.ID), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if req.InstanceID != workflows.ErasureRequestID(req.ID) || req.Status != members.ErasurePending {
		t.Fatalf("request = %+v", req)
	}
	within(t, 30*time.Second, "the admins' e-mail", func() bool { return len(r.mails(webtest.AdminEmail, "Erasure requested")) == 1 })
	if mail := r.mails(webtest.AdminEmail, "Erasure requested")[0]; !strings.Contains(mail.Text, fmt.Sprintf("/erasure-requests/%d", req.ID)) ||
		strings.Contains(mail.Text, m.LastName) {
		t.Errorf("admins' e-mail wants the link and no name:\n%s", mail.Text)
	}
	again, err := r.app.Server.AskErasure(ctx, fmt.Sprintf("member:%d", m.ID), m.ID)
	if err != nil || again.ID != req.ID {
		t.Fatalf("second ask = %+v, %v; want request %d", again, err, req.ID)
	}
	if resp, body := r.decide(t, req.ID, "confirm", url.Values{}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `data-testid="error-sure"`) {
		t.Fatalf("confirm without the tick: %d", resp.StatusCode)
	}
	if erased(t, r.app, m.ID) {
		t.Fatal("erased without the confirmation step")
	}
	if resp, _ := r.decide(t, req.ID, "confirm", url.Values{"sure": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if out := r.end(t, req.InstanceID); out != workflows.ErasureStateErased {
		t.Errorf("output = %q, want %q", out, workflows.ErasureStateErased)
	}
	saveGolden(t, r.app.Hub, api.InstanceID(req.InstanceID), "erasure_request_erased")
	got, _ := r.app.Members.Get(ctx, m.ID)
	if got.ErasedAt == nil || got.Email != "" || got.Phone != "" || got.LastName == "Tanaka" {
		t.Errorf("member after the erasure = %+v", got)
	}
	if done, _ := r.app.Members.GetErasureRequest(ctx, req.ID); done.Status != members.ErasureConfirmed || done.ErasedAt == nil || done.DecidedBy != "user:1" {
		t.Errorf("request after the erasure = %+v", done)
	}
	if _, err := r.app.Hub.Client().FetchOrchestrationMetadata(ctx, api.InstanceID(fmt.Sprintf("unregistered:member:%d", m.ID))); err == nil {
		t.Error("the member's own workflow survived the erasure")
	}
	if len(r.mails(webtest.AdminEmail, "Reminder: erasure")) != 0 {
		t.Error("a reminder went out although the request was decided")
	}
}

// TestErasureRequestRejected: a rejection needs a reason; with one, the workflow records it
// and e-mails the member why, and nothing is erased.
func TestErasureRequestRejected(t *testing.T) {
	r := newErasureRig(t)
	ctx := context.Background()
	m := r.member(t, "Yui")
	req, err := r.app.Server.AskErasure(ctx, fmt.Sprintf("member:%d", m.ID), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	within(t, 30*time.Second, "the admins' e-mail", func() bool { return len(r.mails(webtest.AdminEmail, "Erasure requested")) == 1 })
	if resp, body := r.decide(t, req.ID, "reject", url.Values{"reason": {"  "}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `data-testid="error-reason"`) {
		t.Fatalf("reject without a reason: %d", resp.StatusCode)
	}
	reason := "Your unpaid fees of 2026 must be kept until they are settled (§ 147 AO)."
	if resp, _ := r.decide(t, req.ID, "reject", url.Values{"reason": {reason}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if out := r.end(t, req.InstanceID); out != workflows.ErasureStateRejected {
		t.Errorf("output = %q, want %q", out, workflows.ErasureStateRejected)
	}
	saveGolden(t, r.app.Hub, api.InstanceID(req.InstanceID), "erasure_request_rejected")
	told := r.mails(m.Email, "Your request to erase")
	if len(told) != 1 || !strings.Contains(told[0].Text, "§ 147 AO") {
		t.Fatalf("the member's e-mails = %+v, want one with the reason", told)
	}
	if erased(t, r.app, m.ID) {
		t.Error("a rejected request erased the member")
	}
	if resp, _ := r.decide(t, req.ID, "confirm", url.Values{"sure": {"yes"}}); resp.StatusCode != http.StatusSeeOther || erased(t, r.app, m.ID) {
		t.Errorf("confirming a rejected request: %d, erased %v", resp.StatusCode, erased(t, r.app, m.ID))
	}
}

// TestErasureRequestOverdue: nobody decides → a reminder half-way → at the deadline the
// request is overdue and the admins told; the workflow ends, and the page still decides:
// confirming erases at once, rejecting (another member's) tells that member why.
func TestErasureRequestOverdue(t *testing.T) {
	r := newErasureRig(t)
	ctx := context.Background()
	ms := []*members.Member{r.member(t, "Sakura"), r.member(t, "Ren")}
	var reqs []*members.ErasureRequest
	for _, m := range ms {
		req, _, err := r.app.Members.RequestErasure(ctx, fmt.Sprintf("member:%d", m.ID), m.ID, time.Now().Add(4*time.Second), workflows.ErasureRequestID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := taskhub.StartFixed(ctx, r.app.Hub.Client(), workflows.ErasureRequestName, api.InstanceID(req.InstanceID),
			workflows.ErasureRequestInput{RequestID: req.ID, MemberID: m.ID, Deadline: req.Deadline, Version: workflows.ErasureRequestVersion}); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	for _, req := range reqs {
		if out := r.end(t, req.InstanceID); out != workflows.ErasureStateOverdue {
			t.Errorf("output = %q, want %q", out, workflows.ErasureStateOverdue)
		}
	}
	saveGolden(t, r.app.Hub, api.InstanceID(reqs[0].InstanceID), "erasure_request_overdue")
	for _, subject := range []string{"Erasure requested", "Reminder: erasure", "Erasure request overdue"} {
		if n := len(r.mails(webtest.AdminEmail, subject)); n != 2 {
			t.Errorf("%q e-mails to the admin: %d, want one per request", subject, n)
		}
	}
	for _, req := range reqs {
		if got, _ := r.app.Members.GetErasureRequest(ctx, req.ID); got.Status != members.ErasureOverdue {
			t.Errorf("request %d is %s, want overdue", req.ID, got.Status)
		}
	}
	_, body := r.admin.Get(t, "/erasure-requests")
	if strings.Count(body, `data-status="overdue"`) != 2 {
		t.Errorf("the list does not show the two overdue requests:\n%.1500s", body)
	}
	resp, body := r.decide(t, reqs[0].ID, "confirm", url.Values{"sure": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || !erased(t, r.app, ms[0].ID) {
		t.Fatalf("confirm after the deadline: %d, erased %v\n%s", resp.StatusCode, erased(t, r.app, ms[0].ID), body)
	}
	if _, body := r.admin.Get(t, resp.Header.Get("Location")); !strings.Contains(body, "The member is erased.") {
		t.Errorf("the page does not say the member is erased:\n%.1500s", body)
	}
	if resp, _ := r.decide(t, reqs[1].ID, "reject", url.Values{"reason": {"A court order asks us to keep the records."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject after the deadline: %d", resp.StatusCode)
	}
	within(t, 30*time.Second, "the late rejection's e-mail", func() bool { return len(r.mails(ms[1].Email, "Your request to erase")) == 1 })
	if erased(t, r.app, ms[1].ID) {
		t.Error("a rejected request erased the member")
	}
}
