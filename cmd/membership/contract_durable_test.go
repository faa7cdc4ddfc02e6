package main

// The durable management API as shared/DESIGN.md publishes it ("Durable management API"
// table and the status paragraphs after it), which follows Azure Durable Functions' HTTP API:
// its paths, its camelCase fields, its status names and its status codes. One server serves
// every case; each case makes the instances it needs.
//
// Instances come from three places a client can reach: the process tests' CrashTest
// orchestrator (three Step activities; the harness lets it finish, and its boot instance
// "crash-test" is Completed), phone verifications started through the JSON API (they wait for
// SmsChallengeResponse until the code expires, minutes away), and a PhoneVerification whose
// input is not a member, which fails at once.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"membership/workflows"
)

// durableRoot is where Durable Functions puts its HTTP API.
const durableRoot = "/runtime/webhooks/durabletask"

// durableBaseURL is the server.base_url the server runs with (written with the trailing
// slash an operator may well add): not the address the suite speaks to, so that the links
// can only come from the configuration.
const durableBaseURL = "http://dojo.example.test:8443"

// durableStatusNames are the runtime statuses as Durable Functions spells them.
var durableStatusNames = []string{"Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Terminated", "Suspended"}

func TestContractDurableAPI(t *testing.T) {
	s := startContract(t,
		"MEMBERSHIP_SERVER_BASE_URL="+durableBaseURL+"/",
		// Every case sends a code or two; none of them is about the limits.
		"MEMBERSHIP_NOTIFY_SMS_RATE_LIMIT=0",
		"MEMBERSHIP_VERIFICATION_PHONE_SENDS_PER_NUMBER_PER_HOUR=100",
	)
	durableWaitStatus(t, s, "crash-test", "Completed")
	d := &durableFixtures{s: s}

	t.Run("start", func(t *testing.T) { durableTestStart(t, d) })
	t.Run("auth", func(t *testing.T) { durableTestAuth(t, d) })
	t.Run("status", func(t *testing.T) { durableTestStatus(t, d) })
	t.Run("history", func(t *testing.T) { durableTestHistory(t, d) })
	t.Run("list", func(t *testing.T) { durableTestList(t, d) })
	t.Run("raiseEvent", func(t *testing.T) { durableTestRaiseEvent(t, d) })
	t.Run("terminate", func(t *testing.T) { durableTestTerminate(t, d) })
	t.Run("suspend and resume", func(t *testing.T) { durableTestSuspendResume(t, d) })
	t.Run("rewind", func(t *testing.T) { durableTestRewind(t, d) })
	t.Run("restart", func(t *testing.T) { durableTestRestart(t, d) })
	t.Run("purge", func(t *testing.T) { durableTestPurge(t, d) })
	t.Run("purge by filter", func(t *testing.T) { durableTestPurgeWhere(t, d) })
}

// durableTestStart: POST …/orchestrators/{functionName}/{instanceId?} starts a registered
// orchestrator with the body as input and answers 202 with Durable Functions' management
// payload; only admin tokens may.
func durableTestStart(t *testing.T, d *durableFixtures) {
	s := d.s
	// DESIGN.md says orchestrations take member ids; the shape of that input (with the code
	// path's version, workflows/version.go) is what a verification started through the JSON API
	// shows as its input.
	member := d.member(t)
	viaAPI := durableStartVerification(t, s, member)
	st := durableWaitRunning(t, s, viaAPI["id"].(string))
	if want := map[string]any{"member_id": float64(member), "version": float64(workflows.VerificationVersion)}; !durableSameJSON(st["input"], want) {
		t.Fatalf("the JSON API's verification has input %v, want %v", st["input"], want)
	}

	r := s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/PhoneVerification", st["input"])
	p := durableWantPayload(t, "start PhoneVerification without an id", r)
	started := p["id"].(string)
	if started == "" || started == viaAPI["id"] {
		t.Errorf("start without an id: got id %q, want a new one", started)
	}
	got := durableWaitStatus(t, s, started, "Running", "Completed", "Failed")
	if got["name"] != "PhoneVerification" || !durableSameJSON(got["input"], st["input"]) {
		t.Errorf("started instance: name %v input %v, want PhoneVerification with %v", got["name"], got["input"], st["input"])
	}
	// The app keeps a verification's record only for the runs it starts itself, so this one
	// sends no code (it retries, then fails): end it.
	wantStatus(t, "terminate the started verification", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/"+url.PathEscape(started)+"/terminate", nil), http.StatusAccepted)

	input := map[string]any{"note": "given by the caller"}
	r = s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-start-with-id", input)
	p = durableWantPayload(t, "start CrashTest with an id", r)
	if p["id"] != "durable-start-with-id" {
		t.Errorf("start with an id: got id %v", p["id"])
	}
	got = durableWaitStatus(t, s, "durable-start-with-id", "Completed")
	if got["name"] != "CrashTest" || !durableSameJSON(got["input"], input) {
		t.Errorf("started with an id: name %v input %v, want CrashTest with %v", got["name"], got["input"], input)
	}

	r = s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/NoSuchOrchestrator", nil)
	wantStatus(t, "start an unknown function", r, http.StatusNotFound)
	r = s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/NoSuchOrchestrator/durable-unknown-fn", nil)
	wantStatus(t, "start an unknown function with an id", r, http.StatusNotFound)
	wantStatus(t, "status after starting an unknown function", durableGet(t, s, "durable-unknown-fn", ""), http.StatusNotFound)

	r = s.api(t, s.Trainer, http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-by-trainer", nil)
	wantStatus(t, "start with a trainer token", r, http.StatusForbidden)
	wantStatus(t, "status after a trainer's start", durableGet(t, s, "durable-by-trainer", ""), http.StatusNotFound)
}

// durableTestAuth: the same tokens as the JSON API, as Bearer header, x-functions-key header
// or code query parameter; nothing else gets in. Trainers read, admins change.
func durableTestAuth(t *testing.T, d *durableFixtures) {
	s := d.s
	path := durableRoot + "/instances/crash-test"
	cases := []struct {
		name    string
		token   string
		path    string
		headers []string
		want    int
	}{
		{"bearer", s.Admin, path, nil, http.StatusOK},
		{"x-functions-key", "", path, []string{"x-functions-key", s.Admin}, http.StatusOK},
		{"code query", "", path + "?code=" + url.QueryEscape(s.Admin), nil, http.StatusOK},
		{"trainer reads", s.Trainer, path, nil, http.StatusOK},
		{"trainer by x-functions-key", "", path, []string{"x-functions-key", s.Trainer}, http.StatusOK},
		{"none", "", path, nil, http.StatusUnauthorized},
		{"unknown bearer", "not-a-token", path, nil, http.StatusUnauthorized},
		{"unknown x-functions-key", "", path, []string{"x-functions-key", "not-a-token"}, http.StatusUnauthorized},
		{"unknown code", "", path + "?code=not-a-token", nil, http.StatusUnauthorized},
		{"list without a token", "", durableRoot + "/instances", nil, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, tc.name, s.api(t, tc.token, http.MethodGet, tc.path, nil, tc.headers...), tc.want)
		})
	}
	// The admin-only routes with the other two forms, and a trainer refused whatever the form.
	wantStatus(t, "start by x-functions-key", s.api(t, "", http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-auth-key", nil, "x-functions-key", s.Admin), http.StatusAccepted)
	wantStatus(t, "start by code", s.api(t, "", http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-auth-code?code="+url.QueryEscape(s.Admin), nil), http.StatusAccepted)
	wantStatus(t, "start without a token", s.api(t, "", http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-auth-none", nil), http.StatusUnauthorized)
	durableWaitStatus(t, s, "durable-auth-key", "Completed")
	durableWaitStatus(t, s, "durable-auth-code", "Completed")

	waiting := d.waiting(t)
	for _, op := range []struct{ method, path string }{
		{http.MethodPost, "/instances/" + url.PathEscape(waiting) + "/raiseEvent/SmsChallengeResponse"},
		{http.MethodPost, "/instances/" + url.PathEscape(waiting) + "/terminate"},
		{http.MethodPost, "/instances/" + url.PathEscape(waiting) + "/suspend"},
		{http.MethodPost, "/instances/" + url.PathEscape(waiting) + "/restart"},
		{http.MethodDelete, "/instances/durable-auth-key"},
		{http.MethodDelete, "/instances?createdTimeFrom=2000-01-01T00:00:00Z"},
	} {
		r := s.api(t, "", op.method, durableRoot+op.path, "{}", "x-functions-key", s.Trainer)
		wantStatus(t, "trainer "+op.method+" "+op.path, r, http.StatusForbidden)
	}
	durableWaitStatus(t, s, waiting, "Running")
	wantStatus(t, "status after the trainer's purge", durableGet(t, s, "durable-auth-key", ""), http.StatusOK)
}

// durableTestStatus: GET …/instances/{id} answers the status fields, with 200 for Completed,
// 202 while it may change, 400 for Failed and 404 for an unknown id; showInput=false leaves
// the input out.
func durableTestStatus(t *testing.T, d *durableFixtures) {
	s := d.s
	r := durableGet(t, s, "crash-test", "")
	wantStatus(t, "status of a completed instance", r, http.StatusOK)
	st := r.Object(t)
	wantFields(t, "status", st, "name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime")
	if st["name"] != "CrashTest" || st["instanceId"] != "crash-test" || st["runtimeStatus"] != "Completed" || st["output"] != "done" {
		t.Errorf("crash-test: name %v instanceId %v runtimeStatus %v output %v, want CrashTest crash-test Completed done",
			st["name"], st["instanceId"], st["runtimeStatus"], st["output"])
	}
	if _, ok := st["historyEvents"]; ok {
		t.Errorf("historyEvents without showHistory: %s", r.Body)
	}
	created, updated := durableTime(t, st, "createdTime"), durableTime(t, st, "lastUpdatedTime")
	if updated.Before(created) || time.Since(created) > 10*time.Minute || time.Until(created) > time.Minute {
		t.Errorf("createdTime %s, lastUpdatedTime %s: not the last few minutes in order", created, updated)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("status Content-Type %q", ct)
	}

	waiting := d.waiting(t)
	r = durableGet(t, s, waiting, "")
	wantStatus(t, "status of a running instance", r, http.StatusAccepted)
	st = r.Object(t)
	if st["runtimeStatus"] != "Running" || st["name"] != "PhoneVerification" || st["input"] == nil {
		t.Errorf("running verification: %s", r.Body)
	}
	r = durableGet(t, s, waiting, "showInput=false")
	wantStatus(t, "status with showInput=false", r, http.StatusAccepted)
	if st := r.Object(t); st["input"] != nil {
		t.Errorf("showInput=false: input %v, want null", st["input"])
	}

	failed := d.failed(t)
	r = durableGet(t, s, failed, "")
	wantStatus(t, "status of a failed instance", r, http.StatusBadRequest)
	if st := r.Object(t); st["runtimeStatus"] != "Failed" || st["instanceId"] != failed {
		t.Errorf("failed instance: %s", r.Body)
	}

	r = durableGet(t, s, "durable-no-such-instance", "")
	wantStatus(t, "status of an unknown instance", r, http.StatusNotFound)
	wantStatus(t, "bad showHistory", durableGet(t, s, "crash-test", "showHistory=maybe"), http.StatusBadRequest)
}

// durableTestHistory: showHistory adds historyEvents, each with EventType, Timestamp and, for
// work, FunctionName and ScheduledTime; showHistoryOutput adds the results. As Durable
// Functions writes it, an activity is one TaskCompleted event carrying its scheduling
// (FunctionName, ScheduledTime): TaskScheduled is folded into it, and the orchestrator's own
// OrchestratorStarted/Completed markers are left out.
func durableTestHistory(t *testing.T, d *durableFixtures) {
	s := d.s
	events := durableHistory(t, s, "crash-test", "showHistory=true")
	types := durableEventTypes(events)
	if want := []string{"ExecutionStarted", "TaskCompleted", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"}; !slices.Equal(types, want) {
		t.Fatalf("crash-test history %v, want %v", types, want)
	}
	if events[0]["FunctionName"] != "CrashTest" {
		t.Errorf("ExecutionStarted FunctionName %v, want CrashTest", events[0]["FunctionName"])
	}
	var last time.Time
	for i, e := range events {
		ts := durableTime(t, e, "Timestamp")
		if ts.Before(last) {
			t.Errorf("event %d (%s) at %s, before the one above it (%s)", i, e["EventType"], ts, last)
		}
		last = ts
		if _, ok := e["Result"]; ok {
			t.Errorf("event %d has a Result without showHistoryOutput: %v", i, e)
		}
		if e["EventType"] != "TaskCompleted" {
			continue
		}
		if e["FunctionName"] != "Step" {
			t.Errorf("TaskCompleted %d: FunctionName %v, want Step", i, e["FunctionName"])
		}
		if scheduled := durableTime(t, e, "ScheduledTime"); scheduled.After(ts) {
			t.Errorf("TaskCompleted %d: scheduled %s after completing %s", i, scheduled, ts)
		}
	}

	events = durableHistory(t, s, "crash-test", "showHistory=true&showHistoryOutput=true")
	end := events[len(events)-1]
	if end["EventType"] != "ExecutionCompleted" || end["Result"] != "done" {
		t.Errorf("with showHistoryOutput the last event is %v, want ExecutionCompleted with Result done", end)
	}
	for i, e := range events {
		if _, ok := e["Result"]; e["EventType"] == "TaskCompleted" && !ok {
			t.Errorf("TaskCompleted %d has no Result with showHistoryOutput: %v", i, e)
		}
	}

	// A verification waiting for its code: the code was issued by an activity, and the wait
	// has a deadline, a durable timer.
	types = durableEventTypes(durableHistory(t, s, d.waiting(t), "showHistory=true"))
	for _, want := range []string{"ExecutionStarted", "TaskCompleted", "TimerCreated"} {
		if !slices.Contains(types, want) {
			t.Errorf("waiting verification's history %v has no %s", types, want)
		}
	}
	if slices.Contains(types, "ExecutionCompleted") {
		t.Errorf("waiting verification's history %v has ended", types)
	}

	// A campaign planned for a moment ahead waits on a durable timer; a fired timer happened
	// when it fired, not before.
	r := s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", map[string]any{
		"name": "Durable timer", "channels": []string{"email"}, "audience": map[string]any{"q": "nobody-at-all"},
		"subject": "Renew", "message": "Hello", "start_at": time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339),
	})
	planned := durableWantPayload(t, "plan a campaign", r)["id"].(string)
	var fired map[string]any
	waitFor(t, contractWait, "the campaign's timer fires", func() bool {
		for _, e := range durableHistory(t, s, planned, "showHistory=true") {
			if e["EventType"] == "TimerFired" {
				fired = e
				return true
			}
		}
		return false
	})
	if at, fireAt := durableTime(t, fired, "Timestamp"), durableTime(t, fired, "FireAt"); at.Before(fireAt) {
		t.Errorf("TimerFired at %s, before its FireAt %s", at, fireAt)
	}
}

// durableTestList: GET …/instances answers a JSON array of statuses, filtered by
// runtimeStatus (a comma list), createdTimeFrom/To and instanceIdPrefix, paged by top and the
// x-ms-continuation-token header; bad values answer 400.
func durableTestList(t *testing.T, d *durableFixtures) {
	s := d.s
	from := time.Now().UTC().Add(-2 * time.Second).Format(time.RFC3339)
	var ids []string
	for i := range 5 {
		id := fmt.Sprintf("durable-page-%d", i)
		wantStatus(t, "start "+id, s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/CrashTest/"+id, map[string]any{"n": i}), http.StatusAccepted)
		ids = append(ids, id)
	}
	for _, id := range ids {
		durableWaitStatus(t, s, id, "Completed")
	}
	waiting := d.waiting(t)
	prefix := "instanceIdPrefix=durable-page-"

	all := durableList(t, s, "")
	wantFields(t, "listed status", all[0], "name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime")
	for _, id := range append([]string{"crash-test", waiting}, ids...) {
		if durableFind(all, id) == nil {
			t.Errorf("the list has no %s", id)
		}
	}

	cases := []struct {
		name  string
		query string
		want  []string // exactly these among the list's instances of the prefix, nil: none
		check func(t *testing.T, list []map[string]any)
	}{
		{"prefix", prefix, ids, nil},
		{"one status", prefix + "&runtimeStatus=Completed", ids, nil},
		{"status without a match", prefix + "&runtimeStatus=Running", nil, nil},
		{"comma list", "runtimeStatus=Running,Completed", nil, func(t *testing.T, list []map[string]any) {
			durableWantStatuses(t, list, "Running", "Completed")
			if durableFind(list, "crash-test") == nil || durableFind(list, waiting) == nil {
				t.Errorf("Running,Completed lacks crash-test or %s", waiting)
			}
		}},
		{"running only", "runtimeStatus=Running", nil, func(t *testing.T, list []map[string]any) {
			durableWantStatuses(t, list, "Running")
			if durableFind(list, waiting) == nil || durableFind(list, "crash-test") != nil {
				t.Errorf("Running: %s missing or crash-test present", waiting)
			}
		}},
		{"created from", prefix + "&createdTimeFrom=" + from, ids, nil},
		{"created from the future", prefix + "&createdTimeFrom=" + time.Now().UTC().Add(time.Hour).Format(time.RFC3339), nil, nil},
		{"created to the past", "createdTimeTo=2000-01-01T00:00:00Z", nil, func(t *testing.T, list []map[string]any) {
			if len(list) != 0 {
				t.Errorf("created before 2000: %d instances", len(list))
			}
		}},
		{"created within", prefix + "&createdTimeFrom=" + from + "&createdTimeTo=" + time.Now().UTC().Add(time.Minute).Format(time.RFC3339), ids, nil},
		{"input shown", prefix + "&showInput=true", ids, func(t *testing.T, list []map[string]any) {
			for i, id := range ids {
				if st := durableFind(list, id); st != nil && !durableSameJSON(st["input"], map[string]any{"n": i}) {
					t.Errorf("%s: input %v with showInput=true", id, st["input"])
				}
			}
		}},
		{"input hidden", prefix + "&showInput=false", ids, func(t *testing.T, list []map[string]any) {
			for _, st := range list {
				if st["input"] != nil {
					t.Errorf("%s: input %v with showInput=false", st["instanceId"], st["input"])
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list := durableList(t, s, tc.query)
			if strings.Contains(tc.query, prefix) {
				if got := durableIDs(list); !slices.Equal(got, tc.want) {
					t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
				}
			}
			if tc.check != nil {
				tc.check(t, list)
			}
		})
	}

	t.Run("every status name", func(t *testing.T) {
		for _, name := range durableStatusNames {
			durableList(t, s, "runtimeStatus="+name)
		}
		durableList(t, s, "runtimeStatus="+strings.Join(durableStatusNames, ","))
	})

	t.Run("paging", func(t *testing.T) {
		seen := map[string]bool{}
		token := ""
		for pages := 0; ; pages++ {
			if pages > len(ids) {
				t.Fatalf("more than %d pages of two for %d instances", pages, len(ids))
			}
			var headers []string
			if token != "" {
				headers = []string{"x-ms-continuation-token", token}
			}
			r := s.api(t, s.Admin, http.MethodGet, durableRoot+"/instances?top=2&"+prefix, nil, headers...)
			wantStatus(t, "page", r, http.StatusOK)
			var page []map[string]any
			r.JSON(t, &page)
			if len(page) > 2 {
				t.Errorf("top=2 answered %d", len(page))
			}
			for _, st := range page {
				id := st["instanceId"].(string)
				if seen[id] {
					t.Errorf("%s on two pages", id)
				}
				seen[id] = true
			}
			if token = r.Header.Get("x-ms-continuation-token"); token == "" {
				break
			}
		}
		for _, id := range ids {
			if !seen[id] {
				t.Errorf("paging never reached %s", id)
			}
		}
		if len(seen) != len(ids) {
			t.Errorf("paging found %d instances, want %d", len(seen), len(ids))
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for _, q := range []string{
			"runtimeStatus=Sleeping",
			"runtimeStatus=Running,Sleeping",
			"createdTimeFrom=yesterday",
			"createdTimeTo=2025-13-45T00:00:00Z",
			"top=many",
		} {
			wantStatus(t, "list ?"+q, s.api(t, s.Admin, http.MethodGet, durableRoot+"/instances?"+q, nil), http.StatusBadRequest)
		}
	})
}

// durableTestRaiseEvent: POST …/raiseEvent/{eventName} delivers the body to a running instance
// (202), 404 for an unknown one, 410 for one that has finished.
func durableTestRaiseEvent(t *testing.T, d *durableFixtures) {
	s := d.s
	waiting, links := d.waitingWithLinks(t)
	// The payload is no code at all: the verification has nothing to act on and waits on.
	r := s.api(t, s.Admin, http.MethodPost, durableLink(t, links, "sendEventPostUri", "SmsChallengeResponse"), map[string]any{})
	wantStatus(t, "raise SmsChallengeResponse", r, http.StatusAccepted)
	waitFor(t, contractWait, "the event in the history", func() bool {
		return slices.Contains(durableEventTypes(durableHistory(t, s, waiting, "showHistory=true")), "EventRaised")
	})
	durableWaitStatus(t, s, waiting, "Running")

	r = s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-no-such-instance/raiseEvent/SmsChallengeResponse", map[string]any{})
	wantStatus(t, "raise for an unknown instance", r, http.StatusNotFound)
	r = s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/crash-test/raiseEvent/SmsChallengeResponse", map[string]any{})
	wantStatus(t, "raise for a completed instance", r, http.StatusGone)
}

// durableTestTerminate: terminate ends a running instance (202, then Terminated, which the
// status answers with 400); a finished one answers 410, an unknown one 404.
func durableTestTerminate(t *testing.T, d *durableFixtures) {
	s := d.s
	waiting, links := d.waitingWithLinks(t)
	terminate := durableLink(t, links, "terminatePostUri", "contract test")
	wantStatus(t, "terminate", s.api(t, s.Admin, http.MethodPost, terminate, nil), http.StatusAccepted)
	durableWaitStatus(t, s, waiting, "Terminated")
	r := durableGet(t, s, waiting, "")
	wantStatus(t, "status of a terminated instance", r, http.StatusBadRequest)
	if st := r.Object(t); st["runtimeStatus"] != "Terminated" {
		t.Errorf("terminated instance: %s", r.Body)
	}
	wantStatus(t, "terminate again", s.api(t, s.Admin, http.MethodPost, terminate, nil), http.StatusGone)
	wantStatus(t, "terminate a completed instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/crash-test/terminate?reason=x", nil), http.StatusGone)
	wantStatus(t, "terminate an unknown instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-no-such-instance/terminate?reason=x", nil), http.StatusNotFound)
}

// durableTestSuspendResume: suspend holds a running instance (Suspended, status 202), resume
// lets it go on; both answer 410 for a finished instance and 404 for an unknown one.
func durableTestSuspendResume(t *testing.T, d *durableFixtures) {
	s := d.s
	waiting, links := d.waitingWithLinks(t)
	wantStatus(t, "suspend", s.api(t, s.Admin, http.MethodPost, durableLink(t, links, "suspendPostUri", "contract test"), nil), http.StatusAccepted)
	durableWaitStatus(t, s, waiting, "Suspended")
	r := durableGet(t, s, waiting, "")
	wantStatus(t, "status of a suspended instance", r, http.StatusAccepted)
	if list := durableList(t, s, "runtimeStatus=Suspended"); durableFind(list, waiting) == nil {
		t.Errorf("runtimeStatus=Suspended lacks %s", waiting)
	}
	wantStatus(t, "resume", s.api(t, s.Admin, http.MethodPost, durableLink(t, links, "resumePostUri", "contract test"), nil), http.StatusAccepted)
	durableWaitStatus(t, s, waiting, "Running")

	for _, op := range []string{"suspend", "resume"} {
		wantStatus(t, op+" a completed instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/crash-test/"+op+"?reason=x", nil), http.StatusGone)
		wantStatus(t, op+" an unknown instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-no-such-instance/"+op+"?reason=x", nil), http.StatusNotFound)
	}
}

// durableTestRewind: rewind takes a failed instance up again (202); any other state answers
// 410, an unknown instance 404.
func durableTestRewind(t *testing.T, d *durableFixtures) {
	s := d.s
	failed := d.failed(t)
	failedAt := durableFailedAt(t, s, failed)
	wantStatus(t, "rewind a failed instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/"+url.PathEscape(failed)+"/rewind?reason=contract+test", nil), http.StatusAccepted)
	// Its input still names no member, so it fails again: but it ran again to get there.
	waitFor(t, contractWait, "the rewound instance fails again", func() bool {
		return durableFailedAt(t, s, failed).After(failedAt)
	})
	durableWaitStatus(t, s, failed, "Failed")
	wantStatus(t, "rewind a completed instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/crash-test/rewind?reason=x", nil), http.StatusGone)
	wantStatus(t, "rewind a running instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/"+url.PathEscape(d.waiting(t))+"/rewind?reason=x", nil), http.StatusGone)
	wantStatus(t, "rewind an unknown instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-no-such-instance/rewind?reason=x", nil), http.StatusNotFound)
}

// durableTestRestart: restart starts the instance's orchestrator again with its input and
// answers 202 with the new instance's payload; 404 for an unknown instance. Durable Functions'
// restartWithNewInstanceId=false keeps the id, which a running instance forbids (410).
func durableTestRestart(t *testing.T, d *durableFixtures) {
	s := d.s
	input := map[string]any{"again": true}
	wantStatus(t, "start", s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-restart", input), http.StatusAccepted)
	durableWaitStatus(t, s, "durable-restart", "Completed")

	p := durableWantPayload(t, "restart", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-restart/restart", nil))
	again := p["id"].(string)
	if again == "durable-restart" {
		t.Errorf("restart kept the id; Durable Functions starts a new one by default")
	}
	st := durableWaitStatus(t, s, again, "Completed")
	if st["name"] != "CrashTest" || !durableSameJSON(st["input"], input) {
		t.Errorf("restarted: name %v input %v, want CrashTest with %v", st["name"], st["input"], input)
	}
	wantStatus(t, "the old instance after a restart", durableGet(t, s, "durable-restart", ""), http.StatusOK)

	p = durableWantPayload(t, "restart under the same id", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-restart/restart?restartWithNewInstanceId=false", nil))
	if p["id"] != "durable-restart" {
		t.Errorf("restartWithNewInstanceId=false: id %v", p["id"])
	}
	durableWaitStatus(t, s, "durable-restart", "Completed")

	wantStatus(t, "restart a running instance under its id", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/"+url.PathEscape(d.waiting(t))+"/restart?restartWithNewInstanceId=false", nil), http.StatusGone)
	wantStatus(t, "restart an unknown instance", s.api(t, s.Admin, http.MethodPost, durableRoot+"/instances/durable-no-such-instance/restart", nil), http.StatusNotFound)
}

// durableTestPurge: DELETE …/instances/{id} deletes a finished instance and its history (200
// {instancesDeleted}); 404 when unknown; a running instance is refused with 409.
func durableTestPurge(t *testing.T, d *durableFixtures) {
	s := d.s
	p := durableWantPayload(t, "start", s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/CrashTest/durable-purge", nil))
	durableWaitStatus(t, s, "durable-purge", "Completed")
	purge := durableLink(t, p, "purgeHistoryDeleteUri", "")
	r := s.api(t, s.Admin, http.MethodDelete, purge, nil)
	wantStatus(t, "purge a completed instance", r, http.StatusOK)
	if got := r.Object(t); !durableSameJSON(got, map[string]any{"instancesDeleted": 1}) {
		t.Errorf("purge answered %s, want {\"instancesDeleted\":1}", r.Body)
	}
	wantStatus(t, "status of a purged instance", durableGet(t, s, "durable-purge", ""), http.StatusNotFound)
	wantStatus(t, "purge again", s.api(t, s.Admin, http.MethodDelete, purge, nil), http.StatusNotFound)

	waiting := d.waiting(t)
	wantStatus(t, "purge a running instance", s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances/"+url.PathEscape(waiting), nil), http.StatusConflict)
	durableWaitStatus(t, s, waiting, "Running")
}

// durableTestPurgeWhere: DELETE …/instances with the list's filters purges the finished
// instances they select and leaves running ones alone; asking for a running status is
// refused (409), bad values answer 400.
func durableTestPurgeWhere(t *testing.T, d *durableFixtures) {
	s := d.s
	// A window of creation times that holds just this case's instances: three finished, one
	// running.
	from := time.Now().UTC().Add(-time.Millisecond).Format(time.RFC3339Nano)
	var finished []string
	for i := range 3 {
		id := fmt.Sprintf("durable-sweep-%d", i)
		wantStatus(t, "start "+id, s.api(t, s.Admin, http.MethodPost, durableRoot+"/orchestrators/CrashTest/"+id, nil), http.StatusAccepted)
		durableWaitStatus(t, s, id, "Completed")
		finished = append(finished, id)
	}
	running := d.waiting(t)
	filter := "createdTimeFrom=" + url.QueryEscape(from) + "&createdTimeTo=" + url.QueryEscape(time.Now().UTC().Add(time.Millisecond).Format(time.RFC3339Nano))
	want := append([]string{running}, finished...)
	slices.Sort(want)
	if got := durableIDs(durableList(t, s, filter)); !slices.Equal(got, want) {
		t.Fatalf("the window lists %v, want %v", got, want)
	}

	r := s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances?"+filter+"&runtimeStatus=Running", nil)
	wantStatus(t, "purge running instances", r, http.StatusConflict)
	wantStatus(t, "purge with a malformed time", s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances?createdTimeFrom=soon", nil), http.StatusBadRequest)
	wantStatus(t, "purge with an unknown status", s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances?"+filter+"&runtimeStatus=Gone", nil), http.StatusBadRequest)

	r = s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances?"+filter+"&instanceIdPrefix=durable-sweep-1", nil)
	wantStatus(t, "purge by prefix", r, http.StatusOK)
	if got := r.Object(t); !durableSameJSON(got, map[string]any{"instancesDeleted": 1}) {
		t.Errorf("purge by prefix answered %s, want {\"instancesDeleted\":1}", r.Body)
	}
	r = s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances?"+filter, nil)
	wantStatus(t, "purge by time", r, http.StatusOK)
	if got := r.Object(t); !durableSameJSON(got, map[string]any{"instancesDeleted": 2}) {
		t.Errorf("purge by time answered %s, want {\"instancesDeleted\":2}", r.Body)
	}
	if got := durableIDs(durableList(t, s, filter)); !slices.Equal(got, []string{running}) {
		t.Errorf("after the purge the window lists %v, want only the running %s", got, running)
	}
	durableWaitStatus(t, s, running, "Running")
	wantStatus(t, "crash-test, created before the window", durableGet(t, s, "crash-test", ""), http.StatusOK)
	// As in Durable Functions, a purge that finds nothing answers 404.
	wantStatus(t, "purge by filter again", s.api(t, s.Admin, http.MethodDelete, durableRoot+"/instances?"+filter, nil), http.StatusNotFound)
}

// durableFixtures makes the instances the cases need, each from a member of its own (a code
// goes to one number only so often).
type durableFixtures struct {
	s       *contractServer
	members int
}

// member creates a member with a German mobile number and returns their id.
func (d *durableFixtures) member(t *testing.T) int64 {
	t.Helper()
	d.members++
	n := d.members
	r := d.s.api(t, d.s.Admin, http.MethodPost, "/api/v1/members", map[string]any{
		"first_name": "Durable", "last_name": fmt.Sprintf("Member%d", n), "email": fmt.Sprintf("durable%d@example.org", n),
		"phone": fmt.Sprintf("+49 151 23456%03d", n), "sms_consent": true, "email_consent": true,
	})
	wantStatus(t, "create a member", r, http.StatusCreated)
	var m struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &m)
	return m.ID
}

// waiting starts a phone verification through the JSON API and returns its instance id once
// it waits for the code.
func (d *durableFixtures) waiting(t *testing.T) string {
	t.Helper()
	id, _ := d.waitingWithLinks(t)
	return id
}

// waitingWithLinks is waiting with the management payload the start answered.
func (d *durableFixtures) waitingWithLinks(t *testing.T) (string, map[string]any) {
	t.Helper()
	p := durableStartVerification(t, d.s, d.member(t))
	id := p["id"].(string)
	durableWaitRunning(t, d.s, id)
	return id, p
}

// failed starts a PhoneVerification whose input is no member id and returns it once it failed.
func (d *durableFixtures) failed(t *testing.T) string {
	t.Helper()
	p := durableWantPayload(t, "start a verification of nobody", d.s.api(t, d.s.Admin, http.MethodPost, durableRoot+"/orchestrators/PhoneVerification", `"nobody"`))
	id := p["id"].(string)
	durableWaitStatus(t, d.s, id, "Failed")
	return id
}

// durableStartVerification starts a phone verification through the JSON API and returns the
// management payload it answers.
func durableStartVerification(t *testing.T, s *contractServer, member int64) map[string]any {
	t.Helper()
	r := s.api(t, s.Admin, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", member), nil)
	return durableWantPayload(t, "start a phone verification", r)
}

// durableWaitRunning waits until the instance waits on a durable timer — a verification
// waiting for its code — and returns its status.
func durableWaitRunning(t *testing.T, s *contractServer, id string) map[string]any {
	t.Helper()
	waitFor(t, contractWait, id+" waits", func() bool {
		return slices.Contains(durableEventTypes(durableHistory(t, s, id, "showHistory=true")), "TimerCreated")
	})
	return durableWaitStatus(t, s, id, "Running")
}

// durableWantPayload checks a start's answer: 202, Location the status URL, and Durable
// Functions' management payload — absolute URLs on server.base_url with the {eventName} and
// reason={text} placeholders and no token. It returns the payload.
func durableWantPayload(t *testing.T, what string, r reply) map[string]any {
	t.Helper()
	wantStatus(t, what, r, http.StatusAccepted)
	p := r.Object(t)
	id, _ := p["id"].(string)
	if id == "" {
		t.Fatalf("%s: no id in %s", what, r.Body)
	}
	status := durableBaseURL + durableRoot + "/instances/" + url.PathEscape(id)
	links := []struct {
		field, path string
		reason      bool
	}{
		{"statusQueryGetUri", status, false},
		{"sendEventPostUri", status + "/raiseEvent/{eventName}", false},
		{"terminatePostUri", status + "/terminate", true},
		{"rewindPostUri", status + "/rewind", true},
		{"purgeHistoryDeleteUri", status, false},
		{"restartPostUri", status + "/restart", false},
		{"suspendPostUri", status + "/suspend", true},
		{"resumePostUri", status + "/resume", true},
	}
	for _, l := range links {
		link, _ := p[l.field].(string)
		path, query, _ := strings.Cut(link, "?")
		if path != l.path {
			t.Errorf("%s: %s is %q, want %q", what, l.field, link, l.path)
		}
		if l.reason && !slices.Contains(strings.Split(query, "&"), "reason={text}") {
			t.Errorf("%s: %s is %q, want the placeholder reason={text}", what, l.field, link)
		}
		if strings.Contains(query, "code=") || strings.Contains(strings.ToLower(link), "token") {
			t.Errorf("%s: %s carries a token: %q", what, l.field, link)
		}
	}
	if loc := r.Header.Get("Location"); loc != p["statusQueryGetUri"] {
		t.Errorf("%s: Location %q, want statusQueryGetUri %v", what, loc, p["statusQueryGetUri"])
	}
	if strings.Contains(string(r.Body), "//runtime") {
		t.Errorf("%s: a doubled slash after base_url: %s", what, r.Body)
	}
	return p
}

// durableLink turns a link of a management payload into a path on the server the suite
// speaks to, its placeholder filled with fill.
func durableLink(t *testing.T, payload map[string]any, field, fill string) string {
	t.Helper()
	link, _ := payload[field].(string)
	path, ok := strings.CutPrefix(link, durableBaseURL)
	if !ok {
		t.Fatalf("%s %q is not on %s", field, link, durableBaseURL)
	}
	path = strings.ReplaceAll(path, "{eventName}", url.PathEscape(fill))
	return strings.ReplaceAll(path, "{text}", url.QueryEscape(fill))
}

// durableGet asks for an instance's status with the query (without "?").
func durableGet(t *testing.T, s *contractServer, id, query string) reply {
	t.Helper()
	path := durableRoot + "/instances/" + url.PathEscape(id)
	if query != "" {
		path += "?" + query
	}
	return s.api(t, s.Admin, http.MethodGet, path, nil)
}

// durableWaitStatus waits until the instance has one of the runtime statuses and returns its
// status, checking the HTTP status that goes with it.
func durableWaitStatus(t *testing.T, s *contractServer, id string, want ...string) map[string]any {
	t.Helper()
	codes := map[string]int{"Completed": http.StatusOK, "Running": http.StatusAccepted, "Pending": http.StatusAccepted,
		"Suspended": http.StatusAccepted, "Failed": http.StatusBadRequest, "Terminated": http.StatusBadRequest}
	var st map[string]any
	name, done := "unknown", false
	defer func() {
		if !done { // waitFor failed the test
			t.Logf("%s was last %s: %v", id, name, st)
		}
	}()
	waitFor(t, contractWait, fmt.Sprintf("%s is %v", id, want), func() bool {
		r := durableGet(t, s, id, "")
		if r.Status == http.StatusNotFound {
			return false
		}
		st = r.Object(t)
		name, _ = st["runtimeStatus"].(string)
		if code, ok := codes[name]; ok && r.Status != code {
			t.Fatalf("%s is %s, answered %d, want %d", id, name, r.Status, code)
		}
		return slices.Contains(want, name)
	})
	done = true
	return st
}

// durableHistory answers an instance's historyEvents for the query.
func durableHistory(t *testing.T, s *contractServer, id, query string) []map[string]any {
	t.Helper()
	r := durableGet(t, s, id, query)
	if r.Status == http.StatusNotFound || r.Status >= 500 {
		t.Fatalf("history of %s: %d %s", id, r.Status, r.Body)
	}
	var st struct {
		HistoryEvents []map[string]any `json:"historyEvents"`
	}
	r.JSON(t, &st)
	return st.HistoryEvents
}

// durableFailedAt is when the instance's history says it ended, zero while it has not.
func durableFailedAt(t *testing.T, s *contractServer, id string) time.Time {
	t.Helper()
	var at time.Time
	for _, e := range durableHistory(t, s, id, "showHistory=true") {
		if e["EventType"] == "ExecutionCompleted" {
			at = durableTime(t, e, "Timestamp")
		}
	}
	return at
}

func durableEventTypes(events []map[string]any) []string {
	types := make([]string, len(events))
	for i, e := range events {
		types[i], _ = e["EventType"].(string)
	}
	return types
}

// durableList answers the list for the query (without "?"), which must be a JSON array.
func durableList(t *testing.T, s *contractServer, query string) []map[string]any {
	t.Helper()
	r := s.api(t, s.Admin, http.MethodGet, durableRoot+"/instances?"+query, nil)
	wantStatus(t, "list ?"+query, r, http.StatusOK)
	if !strings.HasPrefix(strings.TrimSpace(string(r.Body)), "[") {
		t.Fatalf("list ?%s is not a JSON array: %s", query, r.Body)
	}
	var list []map[string]any
	r.JSON(t, &list)
	return list
}

// durableIDs lists the instance ids of statuses, sorted.
func durableIDs(list []map[string]any) []string {
	ids := make([]string, 0, len(list))
	for _, st := range list {
		id, _ := st["instanceId"].(string)
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func durableFind(list []map[string]any, id string) map[string]any {
	for _, st := range list {
		if st["instanceId"] == id {
			return st
		}
	}
	return nil
}

func durableWantStatuses(t *testing.T, list []map[string]any, want ...string) {
	t.Helper()
	for _, st := range list {
		if name, _ := st["runtimeStatus"].(string); !slices.Contains(want, name) {
			t.Errorf("%s is %s, the filter asked for %v", st["instanceId"], name, want)
		}
	}
}

// durableTime reads a time field written in RFC 3339.
func durableTime(t *testing.T, obj map[string]any, field string) time.Time {
	t.Helper()
	v, _ := obj[field].(string)
	ts, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Errorf("%s %q is not RFC 3339 in %v", field, v, obj)
	}
	return ts
}

// durableSameJSON compares two values as JSON.
func durableSameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
