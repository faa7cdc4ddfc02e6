package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"membership/web/webtest"
)

// page fetches a monitor page as b and parses it.
func page(t *testing.T, b *webtest.Browser, path string, want int) *goquery.Document {
	t.Helper()
	resp, body := b.Get(t, path)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d", path, resp.StatusCode, want)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func rowIDs(doc *goquery.Document) []string {
	return doc.Find(`[data-testid="workflow-row"] code`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
}

func TestWorkflowsList(t *testing.T) {
	a := newDurableApp(t)
	trainer := a.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	if doc := page(t, trainer, "/workflows", http.StatusOK); doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Error("no empty state without workflows")
	}

	a.accept(t, "/orchestrators/Hello/phone-verification:member:7:1", `"Ada"`)
	a.accept(t, "/orchestrators/Hello/phone-verification:member:71:1", `"Bo"`)
	a.await(t, "phone-verification:member:7:1", "Completed")
	a.await(t, "phone-verification:member:71:1", "Completed")
	a.failing.Store(true)
	failed := a.start(t, "Flaky", "")
	a.await(t, failed, "Failed")

	tests := []struct {
		name, query string
		want        []string
	}{
		{"all, newest first", "", []string{failed, "phone-verification:member:71:1", "phone-verification:member:7:1"}},
		{"by status", "?runtimeStatus=Failed", []string{failed}},
		{"by name", "?name=Hello", []string{"phone-verification:member:71:1", "phone-verification:member:7:1"}},
		{"by member", "?member=7", []string{"phone-verification:member:7:1"}},
		{"by id prefix", "?instanceIdPrefix=phone-verification%3Amember%3A71", []string{"phone-verification:member:71:1"}},
		{"by creation", "?createdTimeFrom=2000-01-01T00%3A00&createdTimeTo=2000-01-02T00%3A00", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := page(t, trainer, "/workflows"+tc.query, http.StatusOK)
			if got := rowIDs(doc); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("rows = %q, want %q", got, tc.want)
			}
			if len(tc.want) == 0 && doc.Find(`[data-testid="empty"]`).Length() != 1 {
				t.Error("no empty state")
			}
		})
	}
	doc := page(t, trainer, "/workflows?runtimeStatus=Failed", http.StatusOK)
	if badge := doc.Find(`[data-testid="workflow-row"] [data-testid="status"]`); badge.Text() != "Failed" || !badge.HasClass("badge-failed") {
		t.Errorf("status badge %q with classes %q", badge.Text(), badge.AttrOr("class", ""))
	}
	if sel := doc.Find(`#runtimeStatus option[selected]`); sel.AttrOr("value", "") != "Failed" {
		t.Errorf("the filter form forgets the status: selected %q", sel.AttrOr("value", ""))
	}
	page(t, trainer, "/workflows?runtimeStatus=Finished", http.StatusBadRequest)
	page(t, trainer, "/workflows?member=seven", http.StatusBadRequest)
}

func TestWorkflowsPaging(t *testing.T) {
	a := newDurableApp(t)
	const n = 51 // one more than a page
	for i := range n {
		a.accept(t, fmt.Sprintf("/orchestrators/Wait/wait-%02d", i), "")
	}
	b := a.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	doc := page(t, b, "/workflows?name=Wait", http.StatusOK)
	first := rowIDs(doc)
	next, ok := doc.Find(`[data-testid="pager"] a[rel="next"]`).Attr("href")
	if len(first) != 50 || !ok {
		t.Fatalf("first page: %d rows, next link %v", len(first), ok)
	}
	doc = page(t, b, next, http.StatusOK)
	second := rowIDs(doc)
	if len(second) != 1 || second[0] == first[49] {
		t.Errorf("second page = %q after %q", second, first[49])
	}
	if doc.Find(`[data-testid="pager"] a[rel="next"]`).Length() != 0 {
		t.Error("the last page links to a next one")
	}
	if back, _ := doc.Find(`[data-testid="pager"] a[rel="first"]`).Attr("href"); back != "/workflows?name=Wait" {
		t.Errorf("first-page link = %q", back)
	}
}

func TestWorkflowPage(t *testing.T) {
	a := newDurableApp(t)
	a.failing.Store(true)
	failed := a.start(t, "Flaky", "")
	a.await(t, failed, "Failed")
	running := a.start(t, "Wait", "")
	a.await(t, running, "Running")
	b := a.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)

	doc := page(t, b, "/workflows/"+failed, http.StatusOK)
	if s := doc.Find(`[data-testid="workflow-live"] [data-testid="status"]`).First().Text(); s != "Failed" {
		t.Errorf("status = %q, want Failed", s)
	}
	if f := doc.Find(`[data-testid="failure"]`).Text(); !strings.Contains(f, "the mail server said no") {
		t.Errorf("failure = %q, want the error", f)
	}
	steps := doc.Find(`[data-testid="timeline"] [data-testid="step"]`)
	var got []string
	steps.Each(func(_ int, s *goquery.Selection) {
		got = append(got, s.AttrOr("data-name", "")+":"+s.AttrOr("data-status", ""))
		if s.Find("rect").Length() != 1 || !strings.Contains(s.Find("title").Text(), "after") {
			t.Errorf("step %s has no bar with its time", s.AttrOr("data-name", ""))
		}
	})
	if fmt.Sprint(got) != "[Greet:completed Send:failed]" {
		t.Errorf("timeline steps = %q", got)
	}
	if cls := doc.Find(`[data-status="failed"] rect`).AttrOr("class", ""); cls != "failed" {
		t.Errorf("failed bar class %q", cls)
	}
	if doc.Find(`[data-testid="history-event"][data-type="TaskFailed"]`).Length() != 1 {
		t.Error("the history has no TaskFailed row")
	}
	if _, polls := doc.Find(`#workflow-live`).Attr("hx-get"); polls {
		t.Error("a failed instance's page polls")
	}
	if doc.Find(`[data-testid="workflow-actions"]`).Length() != 0 {
		t.Error("a trainer sees the actions")
	}

	doc = page(t, b, "/workflows/"+running, http.StatusOK)
	live := doc.Find(`#workflow-live`)
	if live.AttrOr("hx-get", "") != "/workflows/"+url.PathEscape(running)+"/live" || live.AttrOr("hx-trigger", "") != "every 2s" {
		t.Errorf("a running instance's page does not poll: hx-get %q, hx-trigger %q", live.AttrOr("hx-get", ""), live.AttrOr("hx-trigger", ""))
	}
	resp, body := b.Get(t, "/workflows/"+running+"/live")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, `id="workflow-live"`) {
		t.Errorf("live fragment: %d, %d bytes, whole page %v", resp.StatusCode, len(body), strings.Contains(body, "<html"))
	}
	page(t, b, "/workflows/nobody", http.StatusNotFound)
}

func TestWorkflowActions(t *testing.T) {
	a := newDurableApp(t)
	admin := a.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	trainer := a.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	// act posts an action as admin and returns where it led and the flash it left.
	act := func(t *testing.T, id, action string, form url.Values) (string, string) {
		t.Helper()
		if form == nil {
			form = url.Values{}
		}
		resp := admin.PostForm(t, "/workflows/"+url.PathEscape(id)+"/"+action, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: status %d, want 303", action, resp.StatusCode)
		}
		to := resp.Header.Get("Location")
		doc := page(t, admin, to, http.StatusOK)
		return to, doc.Find(`[data-testid="flash"]`).Text()
	}

	running := a.start(t, "Wait", "")
	a.await(t, running, "Running")
	if resp := trainer.PostForm(t, "/workflows/"+running+"/terminate", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer terminates: status %d, want 403", resp.StatusCode)
	}
	doc := page(t, admin, "/workflows/"+running, http.StatusOK)
	if q := doc.Find(`form[action$="/terminate"] button`).AttrOr("data-confirm", ""); q == "" {
		t.Error("terminate does not ask first")
	}

	t.Run("suspend, resume, raise event", func(t *testing.T) {
		if _, msg := act(t, running, "suspend", nil); msg != "Suspension requested." {
			t.Errorf("flash = %q", msg)
		}
		a.await(t, running, "Suspended")
		act(t, running, "resume", nil)
		a.await(t, running, "Running")
		to, msg := act(t, running, "raise-event", url.Values{"event": {"Go"}, "payload": {"{"}})
		if to != "/workflows/"+running || !strings.Contains(msg, "not valid JSON") {
			t.Errorf("bad payload: to %s, flash %q", to, msg)
		}
		act(t, running, "raise-event", url.Values{"event": {"Go"}, "payload": {`{"ok":true}`}})
		if st := a.await(t, running, "Completed"); string(st.Output) != `{"ok":true}` {
			t.Errorf("output = %s", st.Output)
		}
		if _, msg := act(t, running, "terminate", nil); !strings.Contains(msg, "Completed") {
			t.Errorf("terminate a completed instance: flash %q, want the reason it cannot", msg)
		}
	})

	t.Run("terminate", func(t *testing.T) {
		id := a.start(t, "Wait", "")
		a.await(t, id, "Running")
		act(t, id, "terminate", url.Values{"reason": {"no longer needed"}})
		if st := a.await(t, id, "Terminated"); string(st.Output) != `"no longer needed"` {
			t.Errorf("output = %s", st.Output)
		}
	})

	t.Run("rewind", func(t *testing.T) {
		a.failing.Store(true)
		id := a.start(t, "Flaky", "")
		a.await(t, id, "Failed")
		a.failing.Store(false)
		act(t, id, "rewind", nil)
		a.await(t, id, "Completed")
	})

	t.Run("restart and purge", func(t *testing.T) {
		id := a.start(t, "Hello", `"Ada"`)
		a.await(t, id, "Completed")
		to, _ := act(t, id, "restart?new_id=true", nil)
		restarted, err := url.PathUnescape(strings.TrimPrefix(to, "/workflows/"))
		if err != nil || restarted == id || !strings.HasPrefix(to, "/workflows/") {
			t.Fatalf("restart led to %s", to)
		}
		a.await(t, restarted, "Completed")
		if to, msg := act(t, id, "purge", nil); to != "/workflows" || !strings.Contains(msg, "Purged 1") {
			t.Errorf("purge: to %s, flash %q", to, msg)
		}
		if code, _ := a.status(t, id, ""); code != http.StatusNotFound {
			t.Errorf("purged instance answers %d", code)
		}
	})
}

func TestMemberWorkflows(t *testing.T) {
	a := newDurableApp(t)
	for _, id := range []string{"phone-verification:member:7:1", "member:71", "email-verification:member:7:2"} {
		a.accept(t, "/orchestrators/Wait/"+id, "")
	}
	b := a.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	doc := page(t, b, "/workflows/member/7", http.StatusOK)
	if got := rowIDs(doc); fmt.Sprint(got) != "[email-verification:member:7:2 phone-verification:member:7:1]" {
		t.Errorf("member 7's workflows = %q", got)
	}
	section := doc.Find(`[data-testid="member-workflows"]`)
	if section.AttrOr("hx-get", "") != "/workflows/member/7" || section.Find(`a[href="/workflows?member=7"]`).Length() != 1 {
		t.Errorf("running workflows: the fragment does not poll or link to all: %s", section.AttrOr("hx-get", "(no hx-get)"))
	}
	a.accept(t, "/instances/member:71/terminate", "")
	a.await(t, "member:71", "Terminated")
	doc = page(t, b, "/workflows/member/71", http.StatusOK)
	if _, polls := doc.Find(`[data-testid="member-workflows"]`).Attr("hx-get"); polls || len(rowIDs(doc)) != 1 {
		t.Errorf("member 71: rows %q, polls %v; want one finished row and no polling", rowIDs(doc), polls)
	}
	if doc := page(t, b, "/workflows/member/8", http.StatusOK); doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Error("a member without workflows: no empty state")
	}
	page(t, b, "/workflows/member/seven", http.StatusNotFound)
}
