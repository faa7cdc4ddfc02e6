package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"membership/config"
	"membership/members"
	"membership/web"
	"membership/web/webtest"
)

// verifyApp is a running app with the verification area, its fakes and an admin API client.
type verifyApp struct {
	*webtest.App
	v     *webtest.Verifying
	admin *webtest.API
	n     atomic.Int64
}

func startVerifyApp(t *testing.T, configure func(*config.Config)) *verifyApp {
	t.Helper()
	app, v := webtest.StartVerifying(t, webtest.Options{Configure: configure})
	return &verifyApp{App: app, v: v, admin: app.API(t, "admin")}
}

// member creates a member with a number and an address of their own.
func (a *verifyApp) member(t *testing.T, status members.Status) *members.Member {
	t.Helper()
	n := a.n.Add(1)
	m, err := a.Members.Create(context.Background(), "user:1", members.MemberInput{
		FirstName: "Aiko", LastName: fmt.Sprintf("Tanaka%d", n), Email: fmt.Sprintf("aiko%d@example.org", n),
		Phone: fmt.Sprintf("+491512345%04d", n), Status: status,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func memberPath(m *members.Member, rest string) string {
	return fmt.Sprintf("/api/v1/members/%d%s", m.ID, rest)
}

// startPhone starts a phone verification through the API and returns the code it sent.
func (a *verifyApp) startPhone(t *testing.T, m *members.Member, nth int) (id string) {
	t.Helper()
	resp, body := a.admin.Do(t, http.MethodPost, memberPath(m, "/verifications/phone"), nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	var payload map[string]any
	webtest.DecodeJSON(t, body, &payload)
	id, _ = payload["id"].(string)
	if want := fmt.Sprintf("phone-verification:member:%d:%d", m.ID, nth); id != want {
		t.Fatalf("instance id %q, want %q", id, want)
	}
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "/runtime/webhooks/durabletask/instances/"+strings.ReplaceAll(id, ":", "%3A")) && !strings.HasSuffix(loc, "/instances/"+id) {
		t.Errorf("Location %q does not name %s", loc, id)
	}
	for _, k := range []string{"statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"} {
		if _, ok := payload[k]; !ok {
			t.Errorf("payload lacks %s: %s", k, body)
		}
	}
	return id
}

// code posts a code, as a client would, and decodes the answer. The SMS can reach the outbox
// a moment before the run records the code as sent; until then the API answers 409 without
// costing an attempt, so the code goes again, within a bound.
func (a *verifyApp) code(t *testing.T, m *members.Member, code string) (int, web.CodeResult) {
	t.Helper()
	var resp *http.Response
	var body []byte
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, body = a.admin.Do(t, http.MethodPost, memberPath(m, "/verifications/phone/code"), map[string]string{"code": code})
		if resp.StatusCode != http.StatusConflict || time.Now().After(deadline) {
			break
		}
	}
	var r web.CodeResult
	if resp.StatusCode == http.StatusOK {
		webtest.DecodeJSON(t, body, &r)
	}
	return resp.StatusCode, r
}

func TestVerificationAPIPhone(t *testing.T) {
	a := startVerifyApp(t, func(c *config.Config) { c.Verification.Phone.MaxAttempts = 3 })
	m := a.member(t, members.StatusActive)
	a.startPhone(t, m, 1)
	code := a.v.WaitSMS(t, m.Phone, 1)

	steps := []struct {
		name   string
		code   string
		status int
		want   web.CodeResult
	}{
		{"wrong code", wrongDigits(code), http.StatusOK, web.CodeResult{Result: "wrong", AttemptsLeft: 2}},
		{"right code with spaces", code[:3] + " " + code[3:], http.StatusOK, web.CodeResult{Result: "verified", AttemptsLeft: 2}},
		{"again after verified", code, http.StatusOK, web.CodeResult{Result: "verified", AttemptsLeft: 2}},
	}
	for _, s := range steps {
		status, got := a.code(t, m, s.code)
		if status != s.status || got != s.want {
			t.Fatalf("%s: %d %+v, want %d %+v", s.name, status, got, s.status, s.want)
		}
	}
	resp, body := a.admin.Do(t, http.MethodGet, memberPath(m, ""), nil)
	var got members.Member
	webtest.DecodeJSON(t, body, &got)
	if resp.StatusCode != http.StatusOK || got.PhoneVerifiedAt == nil {
		t.Fatalf("member after verification: %d %s", resp.StatusCode, body)
	}

	// Attempts used up: locked.
	a.startPhone(t, m, 2)
	code = a.v.WaitSMS(t, m.Phone, 2)
	wantLocked := []web.CodeResult{{Result: "wrong", AttemptsLeft: 2}, {Result: "wrong", AttemptsLeft: 1}, {Result: "locked"}, {Result: "locked"}}
	for i, want := range wantLocked {
		if _, got := a.code(t, m, wrongDigits(code)); got != want {
			t.Fatalf("wrong code %d: %+v, want %+v", i+1, got, want)
		}
	}
	if _, got := a.code(t, m, code); got.Result != "locked" {
		t.Fatalf("right code after lock: %+v", got)
	}
}

func TestVerificationAPIErrors(t *testing.T) {
	a := startVerifyApp(t, nil)
	m := a.member(t, members.StatusActive)
	noPhone, err := a.Members.Create(context.Background(), "user:1", members.MemberInput{FirstName: "No", LastName: "Phone", Email: "nophone@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	trainer := a.API(t, "trainer")
	tests := []struct {
		name   string
		api    *webtest.API
		path   string
		body   any
		want   int
		wantIn string
	}{
		{"code before any run", a.admin, memberPath(m, "/verifications/phone/code"), map[string]string{"code": "123456"}, http.StatusNotFound, "start one first"},
		{"nothing to verify", a.admin, memberPath(noPhone, "/verifications/phone"), nil, http.StatusUnprocessableEntity, `"field":"phone"`},
		{"unknown member", a.admin, "/api/v1/members/999999/verifications/email", nil, http.StatusNotFound, ""},
		{"unknown member's code", a.admin, "/api/v1/members/999999/verifications/phone/code", map[string]string{"code": "1"}, http.StatusNotFound, ""},
		{"trainer may not start", trainer, memberPath(m, "/verifications/phone"), nil, http.StatusForbidden, ""},
		{"malformed code body", a.admin, memberPath(m, "/verifications/phone/code"), `{"code":`, http.StatusBadRequest, ""},
		{"unknown field", a.admin, memberPath(m, "/verifications/phone/code"), `{"code":"1","pin":"2"}`, http.StatusBadRequest, ""},
		{"code not digits", a.admin, memberPath(m, "/verifications/phone/code"), map[string]string{"code": "12ab"}, http.StatusUnprocessableEntity, `"field":"code"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.api.Do(t, http.MethodPost, tc.path, tc.body)
			if resp.StatusCode != tc.want || !strings.Contains(string(body), tc.wantIn) {
				t.Fatalf("%d %s, want %d with %q", resp.StatusCode, body, tc.want, tc.wantIn)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	// A second start while the first runs is refused and names the run.
	a.startPhone(t, m, 1)
	resp, body := a.admin.Do(t, http.MethodPost, memberPath(m, "/verifications/phone"), nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), fmt.Sprintf("phone-verification:member:%d:1", m.ID)) {
		t.Fatalf("second start: %d %s", resp.StatusCode, body)
	}
	// Cancel ends it; the next start gets the next number.
	resp, body = a.admin.Do(t, http.MethodPost, memberPath(m, "/verifications/cancel"), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"cancelled":1`) {
		t.Fatalf("cancel: %d %s", resp.StatusCode, body)
	}
	waitRun(t, a, fmt.Sprintf("phone-verification:member:%d:1", m.ID), members.VerificationCancelled)
	a.startPhone(t, m, 2)
	resp, body = trainer.Do(t, http.MethodGet, memberPath(m, "/verifications"), nil)
	if resp.StatusCode != http.StatusOK || strings.Count(string(body), `"instance_id"`) != 2 || strings.Contains(string(body), "code_hash") {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
}

func TestVerificationAPIExpired(t *testing.T) {
	a := startVerifyApp(t, func(c *config.Config) { c.Verification.Phone.Timeout = config.Duration(time.Second) })
	m := a.member(t, members.StatusActive)
	id := a.startPhone(t, m, 1)
	code := a.v.WaitSMS(t, m.Phone, 1)
	waitRun(t, a, id, members.VerificationExpired)
	if status, got := a.code(t, m, code); status != http.StatusOK || got.Result != "expired" {
		t.Fatalf("code after expiry: %d %+v", status, got)
	}
}

// waitRun waits until a run has status.
func waitRun(t *testing.T, a *verifyApp, instanceID, status string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		run, err := a.v.Verifications.Get(context.Background(), instanceID)
		if err == nil && run.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %+v (%v), want %s", instanceID, run, err, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wrongDigits(code string) string {
	if strings.Trim(code, "0") == "" {
		return strings.Repeat("1", len(code))
	}
	return strings.Repeat("0", len(code))
}
