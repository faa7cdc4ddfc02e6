package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"membership/config"
	"membership/web"
	"membership/web/auth"
	"membership/web/webtest"
)

func TestLogin(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	tests := []struct {
		name, email, password string
		want                  int
		wantText              string
	}{
		{"right password", webtest.AdminEmail, webtest.AdminPassword, http.StatusSeeOther, ""},
		{"e-mail in other case", strings.ToUpper(webtest.AdminEmail), webtest.AdminPassword, http.StatusSeeOther, ""},
		{"wrong password", webtest.AdminEmail, "nope nope nope", http.StatusUnauthorized, "Wrong e-mail or password."},
		{"unknown account", "ghost@example.org", "whatever123", http.StatusUnauthorized, "Wrong e-mail or password."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := app.Anonymous(t)
			resp, body := b.PostFormBody(t, "/login", url.Values{"email": {tc.email}, "password": {tc.password}})
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if !strings.Contains(body, tc.wantText) {
				t.Fatalf("body lacks %q", tc.wantText)
			}
			if tc.want == http.StatusSeeOther {
				resp, body := b.Get(t, "/")
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Dashboard") {
					t.Fatalf("dashboard after login: %d", resp.StatusCode)
				}
			}
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	app := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) { c.Auth.LoginAttempts = 3 }})
	b := app.Anonymous(t)
	for i := 0; i < 3; i++ {
		resp := b.PostForm(t, "/login", url.Values{"email": {webtest.AdminEmail}, "password": {"wrong password"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d", i+1, resp.StatusCode)
		}
	}
	// Past the limit even the right password is refused, so guessing cannot go on.
	resp, body := b.PostFormBody(t, "/login", url.Values{"email": {webtest.AdminEmail}, "password": {webtest.AdminPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("status %d after the limit", resp.StatusCode)
	}
	// Another account from another client is not affected by this account's failures.
	other := app.Anonymous(t)
	if resp := other.PostForm(t, "/login", url.Values{"email": {webtest.TrainerEmail}, "password": {webtest.TrainerPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("trainer login: %d", resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	b := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	tests := []struct {
		name    string
		token   string
		headers map[string]string
		want    int
	}{
		{"no token", "", nil, http.StatusForbidden},
		{"wrong token", "forged", nil, http.StatusForbidden},
		{"cross-site browser request", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"right token", b.CSRF(t), nil, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"name": {"ci " + tc.name}, "role": {"trainer"}}
			if tc.token != "" {
				form.Set("_csrf", tc.token)
			}
			req, _ := http.NewRequest(http.MethodPost, app.URL+"/settings/tokens", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := b.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	tokens, err := app.Auth.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 1 {
		t.Fatalf("%d tokens created; only the request with the right token may create one", len(tokens))
	}
}

func TestRoles(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	anon := app.Anonymous(t)
	tests := []struct {
		name string
		b    *webtest.Browser
		path string
		want int
	}{
		{"admin sees users", admin, "/settings/users", http.StatusOK},
		{"trainer may not see users", trainer, "/settings/users", http.StatusForbidden},
		{"trainer may not see tokens", trainer, "/settings/tokens", http.StatusForbidden},
		{"trainer sees dashboard", trainer, "/", http.StatusOK},
		{"anonymous is sent to login", anon, "/settings/users", http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := tc.b.Get(t, tc.path)
			if resp.StatusCode != tc.want {
				t.Fatalf("GET %s: %d, want %d", tc.path, resp.StatusCode, tc.want)
			}
		})
	}
	// A trainer's form post to an admin action is refused and changes nothing.
	if resp := trainer.PostForm(t, "/settings/users", url.Values{"email": {"x@example.org"}, "role": {"admin"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("trainer add user: %d", resp.StatusCode)
	}
	users, _ := app.Auth.Users(context.Background())
	if len(users) != 2 {
		t.Fatalf("%d users after a refused add", len(users))
	}
}

func TestTokenAuth(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	adminTok := app.Token(t, auth.RoleAdmin)
	revoked, tok, err := app.Auth.CreateToken(context.Background(), "old", auth.RoleAdmin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Auth.RevokeToken(context.Background(), tok.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		headers []string
		want    int
	}{
		{"bearer", "/api/v1/whoami", []string{"Authorization", "Bearer " + adminTok}, http.StatusOK},
		{"x-functions-key", "/api/v1/whoami", []string{"x-functions-key", adminTok}, http.StatusOK},
		{"code query", "/api/v1/whoami?code=" + url.QueryEscape(adminTok), nil, http.StatusOK},
		{"no token", "/api/v1/whoami", nil, http.StatusUnauthorized},
		{"unknown token", "/api/v1/whoami", []string{"Authorization", "Bearer mbr_nope"}, http.StatusUnauthorized},
		{"revoked token", "/api/v1/whoami", []string{"Authorization", "Bearer " + revoked}, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &webtest.API{App: app}
			resp, body := api.Do(t, http.MethodGet, tc.path, nil, tc.headers...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if tc.want != http.StatusOK {
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("error content type %q", ct)
				}
				var p web.Problem
				webtest.DecodeJSON(t, body, &p)
				if p.Status != tc.want || p.Detail == "" {
					t.Fatalf("problem %+v", p)
				}
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	failing := errors.New("database is gone")
	tests := []struct {
		name   string
		checks []web.Check
		want   int
	}{
		{"all answer", []web.Check{{Name: "app_database", Ping: func(context.Context) error { return nil }}}, http.StatusOK},
		{"one fails", []web.Check{{Name: "app_database", Ping: func(context.Context) error { return failing }}}, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := webtest.Start(t, webtest.Options{Deps: func(d *web.Deps) { d.Ready = tc.checks }})
			resp, body := app.Anonymous(t).Get(t, "/readyz")
			if resp.StatusCode != tc.want {
				t.Fatalf("readyz %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			if tc.want != http.StatusOK && !strings.Contains(body, failing.Error()) {
				t.Fatalf("readyz does not name the failure: %s", body)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	resp, _ := app.Anonymous(t).Get(t, "/login")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
		t.Errorf("headers: %v", resp.Header)
	}
}

func TestUserManagement(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	users, _ := app.Auth.Users(context.Background())
	var trainerID, adminID int64
	for _, u := range users {
		if u.Role == auth.RoleTrainer {
			trainerID = u.ID
		} else {
			adminID = u.ID
		}
	}
	// Disabling a user ends their session at once.
	if resp := admin.PostForm(t, "/settings/users/"+strconv.FormatInt(trainerID, 10)+"/disable", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := trainer.Get(t, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disabled trainer still in: %d", resp.StatusCode)
	}
	// The last active admin cannot be disabled.
	admin.PostForm(t, "/settings/users/"+strconv.FormatInt(adminID, 10)+"/disable", url.Values{})
	if resp, _ := admin.Get(t, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("the last admin locked themselves out: %d", resp.StatusCode)
	}
	// Adding a user shows a one-time password that works.
	resp, body := admin.PostFormBody(t, "/settings/users", url.Values{"email": {"new@example.org"}, "role": {"trainer"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "new-password") {
		t.Fatalf("add user: %d", resp.StatusCode)
	}
	resp, body = admin.PostFormBody(t, "/settings/users", url.Values{"email": {"new@example.org"}, "role": {"trainer"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Another user already has this e-mail.") {
		t.Fatalf("duplicate user: %d", resp.StatusCode)
	}
}
