package web_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/web"
	"membership/web/webtest"
)

const durable = "/runtime/webhooks/durabletask"

// durableApp is a running app whose task hub runs a few test workflows:
//
//	Hello   calls the activity Greet with its input and returns the greeting
//	Wait    waits for the event Go and returns its payload
//	Flaky   calls Greet, then Send, which fails while failing is set and waits while holding is
//	Parent  runs Hello as a sub-orchestration
type durableApp struct {
	*webtest.App
	admin, trainer   *webtest.API
	failing, holding *atomic.Bool
}

func newDurableApp(t *testing.T) *durableApp {
	t.Helper()
	failing, holding := new(atomic.Bool), new(atomic.Bool)
	metrics := web.NewMetrics()
	orchestrators := map[string]task.Orchestrator{
		"Hello": func(ctx *task.OrchestrationContext) (any, error) {
			var name, greeting string
			if err := ctx.GetInput(&name); err != nil {
				return nil, err
			}
			err := ctx.CallActivity("Greet", task.WithActivityInput(name)).Await(&greeting)
			return greeting, err
		},
		"Wait": func(ctx *task.OrchestrationContext) (any, error) {
			var payload any
			err := ctx.WaitForSingleEvent("Go", time.Hour).Await(&payload)
			return payload, err
		},
		"Flaky": func(ctx *task.OrchestrationContext) (any, error) {
			var greeting, sent string
			if err := ctx.CallActivity("Greet", task.WithActivityInput("flaky")).Await(&greeting); err != nil {
				return nil, err
			}
			err := ctx.CallActivity("Send").Await(&sent)
			return greeting + ", " + sent, err
		},
		"Parent": func(ctx *task.OrchestrationContext) (any, error) {
			var out string
			err := ctx.CallSubOrchestrator("Hello", task.WithSubOrchestratorInput("child")).Await(&out)
			return out, err
		},
	}
	activities := map[string]task.Activity{
		"Greet": func(ctx task.ActivityContext) (any, error) {
			var name string
			if err := ctx.GetInput(&name); err != nil {
				return nil, err
			}
			return "Hello, " + name, nil
		},
		"Send": func(ctx task.ActivityContext) (any, error) {
			for holding.Load() {
				select {
				case <-ctx.Context().Done():
					return nil, ctx.Context().Err()
				case <-time.After(10 * time.Millisecond):
				}
			}
			if failing.Load() {
				return nil, errors.New("the mail server said no")
			}
			return "sent", nil
		},
	}
	var names []string
	for name := range orchestrators {
		names = append(names, name)
	}
	slices.Sort(names)
	app := webtest.Start(t, webtest.Options{
		Register: func(r *task.TaskRegistry) {
			for name, o := range orchestrators {
				if err := r.AddOrchestratorN(name, o); err != nil {
					t.Fatal(err)
				}
			}
			for name, a := range activities {
				if err := metrics.AddActivity(r, name, a); err != nil {
					t.Fatal(err)
				}
			}
		},
		Deps: func(d *web.Deps) {
			d.Orchestrators = names
			d.Metrics = metrics
		},
	})
	return &durableApp{App: app, admin: app.API(t, "admin"), trainer: app.API(t, "trainer"), failing: failing, holding: holding}
}

// status is the part of a Durable Functions status the tests read.
type status struct {
	Name          string            `json:"name"`
	InstanceID    string            `json:"instanceId"`
	RuntimeStatus string            `json:"runtimeStatus"`
	Input         json.RawMessage   `json:"input"`
	Output        json.RawMessage   `json:"output"`
	CreatedTime   string            `json:"createdTime"`
	History       []map[string]any  `json:"historyEvents"`
	Failure       map[string]string `json:"failureDetails"`
}

// start starts an orchestrator through the management API and returns the instance id.
func (a *durableApp) start(t *testing.T, name, input string) string {
	t.Helper()
	var payload map[string]string
	webtest.DecodeJSON(t, a.accept(t, "/orchestrators/"+name, input), &payload)
	return payload["id"]
}

// accept posts to a path of the management API as admin and fails the test unless it is
// accepted (202); it returns the body.
func (a *durableApp) accept(t *testing.T, path, body string) []byte {
	t.Helper()
	resp, out := a.admin.Do(t, http.MethodPost, durable+path, body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}

// status reads an instance's status and the HTTP status code it came with.
func (a *durableApp) status(t *testing.T, id, query string) (int, status) {
	t.Helper()
	resp, body := a.trainer.Do(t, http.MethodGet, durable+"/instances/"+url.PathEscape(id)+query, nil)
	var st status
	if resp.StatusCode != http.StatusNotFound {
		webtest.DecodeJSON(t, body, &st)
	}
	return resp.StatusCode, st
}

// await waits until an instance is in one of the runtime statuses.
func (a *durableApp) await(t *testing.T, id string, want ...string) status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, st := a.status(t, id, "")
		if slices.Contains(want, st.RuntimeStatus) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %q after 30s, want one of %q", id, st.RuntimeStatus, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// problem is an RFC 9457 body.
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// wantProblem checks that a response is problem JSON with the status code.
func wantProblem(t *testing.T, what string, resp *http.Response, body []byte, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Errorf("%s: status %d, want %d (%s)", what, resp.StatusCode, code, body)
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: content type %q, want application/problem+json", what, ct)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil || p.Status != code {
		t.Errorf("%s: body %s is not a problem with status %d", what, body, code)
	}
}
