package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership/members"
	"membership/web/webtest"
)

// gdprApp is an app with two orchestrators: one that ends at once, one that waits for an event
// that never comes.
func gdprApp(t *testing.T) *webtest.App {
	t.Helper()
	return webtest.Start(t, webtest.Options{Register: func(r *task.TaskRegistry) {
		_ = r.AddOrchestratorN("GDPRDone", func(ctx *task.OrchestrationContext) (any, error) { return "done", nil })
		_ = r.AddOrchestratorN("GDPRWaiting", func(ctx *task.OrchestrationContext) (any, error) {
			var v any
			err := ctx.WaitForSingleEvent("never", time.Hour).Await(&v)
			return v, err
		})
	}})
}

// startWorkflow starts an orchestrator under id and waits until it runs (or ended).
func startWorkflow(t *testing.T, app *webtest.App, name, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := app.Hub.Client().ScheduleNewOrchestration(ctx, name, api.WithInstanceID(api.InstanceID(id))); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Hub.Client().WaitForOrchestrationStart(ctx, api.InstanceID(id)); err != nil {
		t.Fatal(err)
	}
	if name == "GDPRDone" {
		if _, err := app.Hub.Client().WaitForOrchestrationCompletion(ctx, api.InstanceID(id)); err != nil {
			t.Fatal(err)
		}
	}
}

func instanceExists(t *testing.T, app *webtest.App, id string) bool {
	t.Helper()
	x, err := app.Hub.Instances()
	if err != nil {
		t.Fatal(err)
	}
	_, err = x.Get(context.Background(), api.InstanceID(id))
	if err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestEraseAPI(t *testing.T) {
	app := gdprApp(t)
	m := createMember(t, app, "Jürgen", "Müller", "juergen@example.org")
	other := createMember(t, app, "Olga", "Other", "olga@example.org")
	mine := []string{"verify:member:" + itoa(m.ID) + ":1", "onboarding:member:" + itoa(m.ID)}
	theirs := []string{"verify:member:" + itoa(other.ID) + ":1", "verify:member:" + itoa(m.ID) + "0:1"}
	startWorkflow(t, app, "GDPRDone", mine[0])
	startWorkflow(t, app, "GDPRWaiting", mine[1])
	startWorkflow(t, app, "GDPRDone", theirs[0])
	startWorkflow(t, app, "GDPRWaiting", theirs[1])

	path := "/api/v1/members/" + itoa(m.ID) + "/erase"
	if resp, _ := app.API(t, "trainer").Do(t, http.MethodPost, path, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer erases: %d, want 403", resp.StatusCode)
	}
	resp, body := app.API(t, "admin").Do(t, http.MethodPost, path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("erase: %d %s", resp.StatusCode, body)
	}
	var res struct {
		Member              members.Member `json:"member"`
		WorkflowsTerminated int            `json:"workflows_terminated"`
		WorkflowsPurged     int            `json:"workflows_purged"`
	}
	webtest.DecodeJSON(t, body, &res)
	if res.Member.ErasedAt == nil || res.Member.Email != "" || res.WorkflowsTerminated != 1 || res.WorkflowsPurged != 2 {
		t.Errorf("erasure %+v, want the member erased, 1 workflow terminated, 2 purged", res)
	}
	for _, id := range mine {
		if instanceExists(t, app, id) {
			t.Errorf("workflow %s of the erased member is still in the task hub", id)
		}
	}
	for _, id := range theirs {
		if !instanceExists(t, app, id) {
			t.Errorf("workflow %s of another member was purged", id)
		}
	}
	if strings.Contains(string(body), "juergen") || strings.Contains(string(body), "Müller") {
		t.Errorf("the answer holds erased data: %s", body)
	}
	if resp, _ := app.API(t, "admin").Do(t, http.MethodPost, "/api/v1/members/999/erase", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown member: %d, want 404", resp.StatusCode)
	}
}

func TestPersonalDataExport(t *testing.T) {
	app := gdprApp(t)
	m := createMember(t, app, "Jürgen", "Müller", "juergen@example.org")
	api := app.API(t, "admin")
	resp, body := api.Do(t, http.MethodGet, "/api/v1/members/"+itoa(m.ID)+"/export", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var pd members.PersonalData
	webtest.DecodeJSON(t, body, &pd)
	if pd.Member == nil || pd.Member.Email != "juergen@example.org" || len(pd.Consents) != 2 || len(pd.Audit) != 1 {
		t.Errorf("personal data %+v", pd)
	}
	for _, key := range []string{`"fees": []`, `"rank_history": []`, `"notices": []`} {
		if !strings.Contains(string(body), key) {
			t.Errorf("export lacks %s", key)
		}
	}
	if resp, _ := app.API(t, "trainer").Do(t, http.MethodGet, "/api/v1/members/"+itoa(m.ID)+"/export", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer reads personal data: %d, want 403", resp.StatusCode)
	}

	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	resp, text := admin.Get(t, "/members/"+itoa(m.ID)+"/export.json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="member-`+itoa(m.ID)+"-") || !strings.Contains(text, "juergen@example.org") {
		t.Errorf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
}

func TestEraseInBrowser(t *testing.T) {
	app := gdprApp(t)
	m := createMember(t, app, "Jürgen", "Müller", "juergen@example.org")
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	path := "/members/" + itoa(m.ID) + "/erase"
	resp, body := admin.Get(t, path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="erase-form"`) {
		t.Fatalf("erase page: %d", resp.StatusCode)
	}
	resp, body = admin.PostFormBody(t, path, url.Values{"confirm_name": {"Jürgen Meier"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-confirm_name"`) {
		t.Fatalf("wrong name: %d", resp.StatusCode)
	}
	if got, _ := app.Members.Get(context.Background(), m.ID); got.ErasedAt != nil {
		t.Fatal("erased although the name was wrong")
	}
	resp = admin.PostForm(t, path, url.Values{"confirm_name": {"  jürgen   müller "}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/members/"+itoa(m.ID) {
		t.Fatalf("erase: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got, _ := app.Members.Get(context.Background(), m.ID)
	if got.ErasedAt == nil || got.FullName() != "Erased member #"+itoa(m.ID) {
		t.Errorf("member after erasure: %q erased %v", got.FullName(), got.ErasedAt)
	}
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	if resp, _ := trainer.Get(t, path); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer sees the erase page: %d", resp.StatusCode)
	}
}
