package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"membership/web/webtest"
)

func TestDurableAuth(t *testing.T) {
	a := newDurableApp(t)
	anonymous := &webtest.API{App: a.App}
	tests := []struct {
		name    string
		api     *webtest.API
		method  string
		path    string
		headers []string
		want    int
	}{
		{"no token", anonymous, http.MethodGet, durable + "/instances", nil, http.StatusUnauthorized},
		{"unknown token", &webtest.API{App: a.App, Token: "nope"}, http.MethodGet, durable + "/instances", nil, http.StatusUnauthorized},
		{"trainer reads", a.trainer, http.MethodGet, durable + "/instances", nil, http.StatusOK},
		{"x-functions-key header", anonymous, http.MethodGet, durable + "/instances", []string{"x-functions-key", a.trainer.Token}, http.StatusOK},
		{"code query", anonymous, http.MethodGet, durable + "/instances?code=" + url.QueryEscape(a.trainer.Token), nil, http.StatusOK},
		{"trainer cannot start", a.trainer, http.MethodPost, durable + "/orchestrators/Hello", nil, http.StatusForbidden},
		{"trainer cannot terminate", a.trainer, http.MethodPost, durable + "/instances/x/terminate", nil, http.StatusForbidden},
		{"trainer cannot purge", a.trainer, http.MethodDelete, durable + "/instances/x", nil, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.api.Do(t, tc.method, tc.path, nil, tc.headers...)
			if tc.want == http.StatusOK {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d, want 200 (%s)", resp.StatusCode, body)
				}
				return
			}
			wantProblem(t, tc.name, resp, body, tc.want)
		})
	}
}

func TestDurableStart(t *testing.T) {
	a := newDurableApp(t)
	resp, body := a.admin.Do(t, http.MethodPost, durable+"/orchestrators/Hello/greet:member:7", `"Ada"`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	var payload map[string]string
	webtest.DecodeJSON(t, body, &payload)
	base := a.URL + durable + "/instances/greet:member:7"
	want := map[string]string{
		"id":                    "greet:member:7",
		"statusQueryGetUri":     base,
		"sendEventPostUri":      base + "/raiseEvent/{eventName}",
		"terminatePostUri":      base + "/terminate?reason={text}",
		"rewindPostUri":         base + "/rewind?reason={text}",
		"purgeHistoryDeleteUri": base,
		"restartPostUri":        base + "/restart",
		"suspendPostUri":        base + "/suspend?reason={text}",
		"resumePostUri":         base + "/resume?reason={text}",
	}
	for k, v := range want {
		if payload[k] != v {
			t.Errorf("%s = %q, want %q", k, payload[k], v)
		}
	}
	if len(payload) != len(want) {
		t.Errorf("payload has %d fields, want %d: %v", len(payload), len(want), payload)
	}
	if loc := resp.Header.Get("Location"); loc != base {
		t.Errorf("Location = %q, want %q", loc, base)
	}
	if strings.Contains(string(body), a.admin.Token) {
		t.Error("the payload carries the token")
	}
	st := a.await(t, "greet:member:7", "Completed")
	if string(st.Output) != `"Hello, Ada"` || string(st.Input) != `"Ada"` || st.Name != "Hello" {
		t.Errorf("completed status = %+v", st)
	}

	// An id with a slash and a space travels escaped in the links and comes back whole.
	resp, body = a.admin.Do(t, http.MethodPost, durable+"/orchestrators/Hello/"+url.PathEscape("batch/1 of 2"), `"Cy"`)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start with an escaped id: %d %s", resp.StatusCode, body)
	}
	webtest.DecodeJSON(t, body, &payload)
	if payload["id"] != "batch/1 of 2" || !strings.HasSuffix(payload["statusQueryGetUri"], "/instances/batch%2F1%20of%202") {
		t.Errorf("escaped id: payload %v", payload)
	}
	if st := a.await(t, "batch/1 of 2", "Completed"); st.InstanceID != "batch/1 of 2" {
		t.Errorf("status of the escaped id: %+v", st)
	}

	// Without an id the engine makes one.
	if id := a.start(t, "Hello", `"Bo"`); id == "" {
		t.Error("start without an id gave no id")
	}

	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"unknown orchestrator", "/orchestrators/Nope", `"x"`, http.StatusNotFound},
		{"malformed input", "/orchestrators/Hello", `{"name":`, http.StatusBadRequest},
		{"id in use", "/orchestrators/Hello/greet:member:7", `"Ada"`, http.StatusConflict},
	} {
		resp, body := a.admin.Do(t, http.MethodPost, durable+tc.path, tc.body)
		wantProblem(t, tc.name, resp, body, tc.want)
	}
}

func TestDurableStatus(t *testing.T) {
	a := newDurableApp(t)
	completed := a.start(t, "Hello", `"Ada"`)
	a.await(t, completed, "Completed")
	running := a.start(t, "Wait", "")
	a.await(t, running, "Running")
	a.failing.Store(true)
	failed := a.start(t, "Flaky", "")
	a.await(t, failed, "Failed")
	terminated := a.start(t, "Wait", "")
	a.await(t, terminated, "Running")
	a.accept(t, "/instances/"+terminated+"/terminate?reason=test", "")
	a.await(t, terminated, "Terminated")

	for _, tc := range []struct {
		name, id, status string
		want             int
	}{
		{"completed", completed, "Completed", http.StatusOK},
		{"running", running, "Running", http.StatusAccepted},
		{"failed", failed, "Failed", http.StatusBadRequest},
		{"terminated", terminated, "Terminated", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := a.trainer.Do(t, http.MethodGet, durable+"/instances/"+tc.id, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.want, body)
			}
			var st status
			webtest.DecodeJSON(t, body, &st)
			if st.RuntimeStatus != tc.status || st.InstanceID != tc.id {
				t.Errorf("body = %+v, want %s %s", st, tc.id, tc.status)
			}
			if _, err := time.Parse(time.RFC3339, st.CreatedTime); err != nil {
				t.Errorf("createdTime %q: %v", st.CreatedTime, err)
			}
			if loc := resp.Header.Get("Location"); (tc.want == http.StatusAccepted) != (loc != "") {
				t.Errorf("Location = %q with status %d", loc, resp.StatusCode)
			}
		})
	}
	if _, st := a.status(t, failed, ""); !strings.Contains(string(st.Output), "the mail server said no") || st.Failure["errorMessage"] == "" {
		t.Errorf("failed status: output %s, failure %v; want the error", st.Output, st.Failure)
	}
	if _, st := a.status(t, terminated, ""); string(st.Output) != `"test"` {
		t.Errorf("terminated output = %s, want the reason", st.Output)
	}
	if _, st := a.status(t, completed, "?showInput=false"); string(st.Input) != "null" {
		t.Errorf("showInput=false: input %s, want null", st.Input)
	}

	resp, body := a.trainer.Do(t, http.MethodGet, durable+"/instances/nobody", nil)
	wantProblem(t, "unknown instance", resp, body, http.StatusNotFound)
	resp, body = a.trainer.Do(t, http.MethodGet, durable+"/instances/"+completed+"?showHistory=yes", nil)
	wantProblem(t, "bad showHistory", resp, body, http.StatusBadRequest)
}

func TestDurableHistory(t *testing.T) {
	a := newDurableApp(t)
	a.failing.Store(true)
	id := a.start(t, "Flaky", "")
	a.await(t, id, "Failed")

	_, st := a.status(t, id, "?showHistory=true")
	var types []string
	for _, e := range st.History {
		types = append(types, e["EventType"].(string))
		if _, err := time.Parse(time.RFC3339Nano, e["Timestamp"].(string)); err != nil {
			t.Errorf("%v: Timestamp: %v", e, err)
		}
	}
	// Scheduling is folded into each result; the orchestrator's step markers are left out.
	want := []string{"ExecutionStarted", "TaskCompleted", "TaskFailed", "ExecutionCompleted"}
	if !slices.Equal(types, want) {
		t.Fatalf("event types = %q, want %q", types, want)
	}
	started, greeted, sent, done := st.History[0], st.History[1], st.History[2], st.History[3]
	if started["FunctionName"] != "Flaky" {
		t.Errorf("ExecutionStarted = %v, want FunctionName Flaky", started)
	}
	if greeted["FunctionName"] != "Greet" || greeted["ScheduledTime"] == nil || greeted["Result"] != nil {
		t.Errorf("TaskCompleted = %v, want FunctionName Greet, ScheduledTime and no Result", greeted)
	}
	if sent["FunctionName"] != "Send" || !strings.Contains(sent["Reason"].(string), "mail server") {
		t.Errorf("TaskFailed = %v, want FunctionName Send and the reason", sent)
	}
	if done["OrchestrationStatus"] != "Failed" {
		t.Errorf("ExecutionCompleted = %v, want OrchestrationStatus Failed", done)
	}

	_, st = a.status(t, id, "?showHistory=true&showHistoryOutput=true")
	if st.History[1]["Result"] != "Hello, flaky" {
		t.Errorf("with output: TaskCompleted = %v, want Result", st.History[1])
	}
}

func TestDurableList(t *testing.T) {
	a := newDurableApp(t)
	var completed []string
	for _, name := range []string{"a", "b", "c"} {
		id := a.start(t, "Hello", `"`+name+`"`)
		a.await(t, id, "Completed")
		completed = append(completed, id)
	}
	running := a.start(t, "Wait", "")
	a.await(t, running, "Running")

	list := func(t *testing.T, query, token string) ([]status, string) {
		t.Helper()
		var headers []string
		if token != "" {
			headers = []string{"x-ms-continuation-token", token}
		}
		resp, body := a.trainer.Do(t, http.MethodGet, durable+"/instances"+query, nil, headers...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list %s: %d %s", query, resp.StatusCode, body)
		}
		var out []status
		webtest.DecodeJSON(t, body, &out)
		return out, resp.Header.Get("x-ms-continuation-token")
	}

	got, next := list(t, "?runtimeStatus=Completed", "")
	if len(got) != 3 || next != "" {
		t.Errorf("completed: %d instances, next %q; want 3 and no next page", len(got), next)
	}
	got, _ = list(t, "?runtimeStatus=Running,Pending&showInput=false", "")
	if len(got) != 1 || got[0].InstanceID != running || got[0].RuntimeStatus != "Running" || string(got[0].Input) != "null" {
		t.Errorf("running: %+v", got)
	}
	got, _ = list(t, "?createdTimeFrom=2000-01-01T00:00:00Z&createdTimeTo="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), "")
	if len(got) != 4 {
		t.Errorf("created range: %d instances, want 4", len(got))
	}
	got, _ = list(t, "?instanceIdPrefix="+url.QueryEscape(running), "")
	if len(got) != 1 {
		t.Errorf("prefix: %d instances, want 1", len(got))
	}

	// Paging one at a time visits every instance once, newest first.
	var ids []string
	token := ""
	for range 10 {
		page, next := list(t, "?top=1", token)
		for _, st := range page {
			ids = append(ids, st.InstanceID)
		}
		if next == "" {
			break
		}
		token = next
	}
	if want := []string{running, completed[2], completed[1], completed[0]}; !slices.Equal(ids, want) {
		t.Errorf("pages give %q, want %q", ids, want)
	}

	for _, tc := range []struct{ name, query, token string }{
		{"unknown status", "?runtimeStatus=Completed,Finished", ""},
		{"malformed from", "?createdTimeFrom=yesterday", ""},
		{"malformed to", "?createdTimeTo=2025-13-01", ""},
		{"zero top", "?top=0", ""},
		{"bad showInput", "?showInput=maybe", ""},
		{"forged continuation token", "", "bm90IGEgdG9rZW4"},
	} {
		var headers []string
		if tc.token != "" {
			headers = []string{"x-ms-continuation-token", tc.token}
		}
		resp, body := a.trainer.Do(t, http.MethodGet, durable+"/instances"+tc.query, nil, headers...)
		wantProblem(t, tc.name, resp, body, http.StatusBadRequest)
	}
}

func TestDurableEventsAndControl(t *testing.T) {
	a := newDurableApp(t)
	completed := a.start(t, "Hello", `"Ada"`)
	a.await(t, completed, "Completed")
	post := func(path, body string) (*http.Response, []byte) {
		return a.admin.Do(t, http.MethodPost, durable+path, body)
	}

	t.Run("raise event", func(t *testing.T) {
		id := a.start(t, "Wait", "")
		a.await(t, id, "Running")
		a.accept(t, "/instances/"+id+"/raiseEvent/Go", `{"code":"123456"}`)
		if st := a.await(t, id, "Completed"); string(st.Output) != `{"code":"123456"}` {
			t.Errorf("output = %s, want the payload", st.Output)
		}
		resp, body := post("/instances/nobody/raiseEvent/Go", `{}`)
		wantProblem(t, "unknown instance", resp, body, http.StatusNotFound)
		resp, body = post("/instances/"+completed+"/raiseEvent/Go", `{}`)
		wantProblem(t, "completed instance", resp, body, http.StatusGone)
		other := a.start(t, "Wait", "")
		resp, body = post("/instances/"+other+"/raiseEvent/Go", `{"code":`)
		wantProblem(t, "malformed payload", resp, body, http.StatusBadRequest)
	})

	t.Run("suspend and resume", func(t *testing.T) {
		id := a.start(t, "Wait", "")
		a.await(t, id, "Running")
		a.accept(t, "/instances/"+id+"/suspend?reason=lunch", "")
		a.await(t, id, "Suspended")
		if code, _ := a.status(t, id, ""); code != http.StatusAccepted {
			t.Errorf("suspended status code %d, want 202", code)
		}
		a.accept(t, "/instances/"+id+"/resume", "")
		a.await(t, id, "Running")
		for _, op := range []string{"suspend", "resume"} {
			resp, body := post("/instances/"+completed+"/"+op, "")
			wantProblem(t, op+" completed", resp, body, http.StatusGone)
			resp, body = post("/instances/nobody/"+op, "")
			wantProblem(t, op+" unknown", resp, body, http.StatusNotFound)
		}
	})

	t.Run("terminate", func(t *testing.T) {
		id := a.start(t, "Wait", "")
		a.await(t, id, "Running")
		a.accept(t, "/instances/"+id+"/terminate?reason=enough", "")
		a.await(t, id, "Terminated")
		resp, body := post("/instances/"+id+"/terminate", "")
		wantProblem(t, "terminate terminated", resp, body, http.StatusGone)
		resp, body = post("/instances/nobody/terminate", "")
		wantProblem(t, "terminate unknown", resp, body, http.StatusNotFound)
	})

	t.Run("rewind", func(t *testing.T) {
		a.failing.Store(true)
		id := a.start(t, "Flaky", "")
		a.await(t, id, "Failed")
		a.failing.Store(false)
		a.accept(t, "/instances/"+id+"/rewind?reason=fixed", "")
		if st := a.await(t, id, "Completed", "Failed"); string(st.Output) != `"Hello, flaky, sent"` {
			t.Errorf("after rewind: %s %s", st.RuntimeStatus, st.Output)
		}
		resp, body := post("/instances/"+completed+"/rewind", "")
		wantProblem(t, "rewind completed", resp, body, http.StatusGone)
		resp, body = post("/instances/nobody/rewind", "")
		wantProblem(t, "rewind unknown", resp, body, http.StatusNotFound)
	})

	t.Run("restart", func(t *testing.T) {
		var payload map[string]string
		webtest.DecodeJSON(t, a.accept(t, "/instances/"+completed+"/restart", ""), &payload)
		if payload["id"] == completed || payload["id"] == "" || payload["restartPostUri"] == "" {
			t.Errorf("restart with a new id: payload %v", payload)
		}
		if st := a.await(t, payload["id"], "Completed"); string(st.Input) != `"Ada"` || string(st.Output) != `"Hello, Ada"` {
			t.Errorf("restarted instance: input %s, output %s", st.Input, st.Output)
		}

		before, _ := time.Parse(time.RFC3339, a.await(t, completed, "Completed").CreatedTime)
		time.Sleep(1100 * time.Millisecond) // createdTime has whole seconds
		webtest.DecodeJSON(t, a.accept(t, "/instances/"+completed+"/restart?restartWithNewInstanceId=false", ""), &payload)
		if payload["id"] != completed {
			t.Errorf("restart in place gave id %q, want %q", payload["id"], completed)
		}
		after, _ := time.Parse(time.RFC3339, a.await(t, completed, "Completed").CreatedTime)
		if !after.After(before) {
			t.Errorf("restarted in place but created %v, before %v", after, before)
		}

		running := a.start(t, "Wait", "")
		a.await(t, running, "Running")
		resp, body := post("/instances/"+running+"/restart?restartWithNewInstanceId=false", "")
		wantProblem(t, "restart running in place", resp, body, http.StatusGone)
		resp, body = post("/instances/nobody/restart", "")
		wantProblem(t, "restart unknown", resp, body, http.StatusNotFound)
		resp, body = post("/instances/"+completed+"/restart?restartWithNewInstanceId=perhaps", "")
		wantProblem(t, "restart bad flag", resp, body, http.StatusBadRequest)
	})
}

func TestDurablePurge(t *testing.T) {
	a := newDurableApp(t)
	del := func(path string) (*http.Response, []byte) { return a.admin.Do(t, http.MethodDelete, durable+path, nil) }
	parent := a.start(t, "Parent", "")
	a.await(t, parent, "Completed")
	running := a.start(t, "Wait", "")
	a.await(t, running, "Running")

	resp, body := del("/instances/" + running)
	wantProblem(t, "purge running", resp, body, http.StatusConflict)

	resp, body = del("/instances/" + parent)
	if resp.StatusCode != http.StatusOK || string(body) != `{"instancesDeleted":2}`+"\n" {
		t.Errorf("purge parent: %d %s, want 200 with 2 deleted (it and its sub-orchestration)", resp.StatusCode, body)
	}
	resp, body = del("/instances/" + parent)
	wantProblem(t, "purge purged", resp, body, http.StatusNotFound)

	for range 2 {
		a.await(t, a.start(t, "Hello", `"x"`), "Completed")
	}
	from := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	resp, body = del("/instances?runtimeStatus=Completed")
	wantProblem(t, "purge without createdTimeFrom", resp, body, http.StatusBadRequest)
	resp, body = del("/instances?createdTimeFrom=" + from + "&runtimeStatus=Running")
	wantProblem(t, "purge running by filter", resp, body, http.StatusConflict)
	resp, body = del("/instances?createdTimeFrom=" + from + "&runtimeStatus=Completed")
	if resp.StatusCode != http.StatusOK || string(body) != `{"instancesDeleted":2}`+"\n" {
		t.Errorf("purge by filter: %d %s, want 2 deleted", resp.StatusCode, body)
	}
	resp, body = del("/instances?createdTimeFrom=" + from + "&runtimeStatus=Completed")
	wantProblem(t, "purge by filter, nothing left", resp, body, http.StatusNotFound)
	if code, _ := a.status(t, running, ""); code != http.StatusAccepted {
		t.Errorf("the running instance is gone: status %d", code)
	}
}
