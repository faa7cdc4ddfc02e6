package web_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"membership/web"
	"membership/web/webtest"
)

func TestMetrics(t *testing.T) {
	a := newDurableApp(t)
	a.await(t, a.start(t, "Hello", `"Ada"`), "Completed")
	a.failing.Store(true)
	a.await(t, a.start(t, "Flaky", ""), "Failed")

	if resp, _ := (&webtest.API{App: a.App}).Do(t, http.MethodGet, "/metrics", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", resp.StatusCode)
	}
	resp, body := a.trainer.Do(t, http.MethodGet, "/metrics", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("with a trainer token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		`membership_workflow_instances{name="Hello",status="Completed"} 1`,
		`membership_workflow_instances{name="Flaky",status="Failed"} 1`,
		`membership_activity_duration_seconds_count{activity="Greet",outcome="completed"} 2`,
		`membership_activity_duration_seconds_count{activity="Send",outcome="failed"} 1`,
		`membership_activity_failures_total{activity="Send"} 1`,
		// a.await polls the status route; the route pattern, not the id, labels it.
		`membership_http_request_duration_seconds_count{method="GET",route="/runtime/webhooks/durabletask/instances/:id",status="200"}`,
		`membership_http_request_duration_seconds_count{method="POST",route="/runtime/webhooks/durabletask/orchestrators/:name",status="202"}`,
		`membership_http_request_duration_seconds_count{method="GET",route="/metrics",status="401"}`,
		"go_goroutines ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestMetricsRegisterCounts(t *testing.T) {
	m := web.NewMetrics()
	notices := func(ctx context.Context) ([]web.Count, error) {
		return []web.Count{
			{Labels: []string{"twilio", "delivered"}, Value: 3},
			{Labels: []string{"sendgrid", "failed"}, Value: 1},
		}, nil
	}
	if err := m.RegisterCounts("membership_notices", "Notices by provider and status.", []string{"provider", "status"}, notices); err != nil {
		t.Fatal(err)
	}
	broken := func(ctx context.Context) ([]web.Count, error) { return nil, errors.New("store down") }
	if err := m.RegisterCounts("membership_broken", "Always fails.", nil, broken); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterCounts("membership_notices", "Again.", []string{"provider", "status"}, notices); err == nil {
		t.Error("registering a name twice succeeded")
	}
	app := webtest.Start(t, webtest.Options{Deps: func(d *web.Deps) { d.Metrics = m }})
	resp, body := app.API(t, "admin").Do(t, http.MethodGet, "/metrics", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: a failing collector must not fail the scrape", resp.StatusCode)
	}
	for _, want := range []string{
		`membership_notices{provider="twilio",status="delivered"} 3`,
		`membership_notices{provider="sendgrid",status="failed"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
