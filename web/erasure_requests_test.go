package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"membership/members"
	"membership/web/webtest"
)

func askErasure(t *testing.T, app *webtest.App, first string) (*members.Member, *members.ErasureRequest) {
	t.Helper()
	ctx := context.Background()
	m, err := app.Members.Create(ctx, "user:1", members.MemberInput{FirstName: first, LastName: "Kimura",
		Email: strings.ToLower(first) + "@example.org", Status: members.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	r, err := app.Server.AskErasure(ctx, fmt.Sprintf("member:%d", m.ID), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m, r
}

// TestErasurePagesAdminsOnly: a trainer may neither see nor decide erasure requests; an
// unknown request is 404.
func TestErasurePagesAdminsOnly(t *testing.T) {
	app, _ := webtest.StartErasing(t, webtest.Options{})
	m, r := askErasure(t, app, "Aoi")
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	path := fmt.Sprintf("/erasure-requests/%d", r.ID)
	tests := []struct {
		name   string
		who    *webtest.Browser
		method string
		path   string
		want   int
	}{
		{"trainer list", trainer, http.MethodGet, "/erasure-requests", http.StatusForbidden},
		{"trainer page", trainer, http.MethodGet, path, http.StatusForbidden},
		{"trainer confirm", trainer, http.MethodPost, path + "/confirm", http.StatusForbidden},
		{"trainer reject", trainer, http.MethodPost, path + "/reject", http.StatusForbidden},
		{"admin list", admin, http.MethodGet, "/erasure-requests", http.StatusOK},
		{"admin page", admin, http.MethodGet, path, http.StatusOK},
		{"unknown request", admin, http.MethodGet, "/erasure-requests/99999", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			if tc.method == http.MethodGet {
				resp, _ = tc.who.Get(t, tc.path)
			} else {
				resp = tc.who.PostForm(t, tc.path, url.Values{"sure": {"yes"}, "reason": {"no"}})
			}
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
			}
		})
	}
	if got, _ := app.Members.GetErasureRequest(context.Background(), r.ID); got.Status != members.ErasurePending {
		t.Errorf("after the trainer's tries the request is %s", got.Status)
	}
	if got, _ := app.Members.Get(context.Background(), m.ID); got.ErasedAt != nil {
		t.Error("a trainer erased a member")
	}
}

// TestAskErasure: the portal's entry point answers the open request on a second ask, and
// refuses an unknown or an erased member.
func TestAskErasure(t *testing.T) {
	app, _ := webtest.StartErasing(t, webtest.Options{})
	ctx := context.Background()
	m, r := askErasure(t, app, "Mei")
	again, err := app.Server.AskErasure(ctx, "member:guardian", m.ID)
	if err != nil || again.ID != r.ID || again.RequestedBy != fmt.Sprintf("member:%d", m.ID) {
		t.Errorf("second ask = %+v, %v; want request %d as first asked", again, err, r.ID)
	}
	if _, err := app.Server.AskErasure(ctx, "member:0", 99999); !errors.Is(err, members.ErrNotFound) {
		t.Errorf("unknown member: %v, want ErrNotFound", err)
	}
	gone, err := app.Members.Create(ctx, "user:1", members.MemberInput{FirstName: "Gone", LastName: "Kimura", Status: members.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Server.EraseMember(ctx, "user:1", gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Server.AskErasure(ctx, "member:x", gone.ID); !errors.Is(err, members.ErrConflict) {
		t.Errorf("erased member: %v, want ErrConflict", err)
	}
}

// TestErasurePagesInLanguages: the list (empty and with a request), the request's page and the
// audit log speak the admin's language.
func TestErasurePagesInLanguages(t *testing.T) {
	app, _ := webtest.StartErasing(t, webtest.Options{})
	tests := []struct {
		lang, empty, status, heading, confirm, reject, audited string
	}{
		{"en", "No erasure requests.", "waiting for a decision", "Erasure request #", "Confirm erasure", "Reject", "erasure requested"},
		{"de", "Keine Löschanträge.", "wartet auf Entscheidung", "Löschantrag #", "Löschung bestätigen", "Ablehnen", "Löschung beantragt"},
	}
	browsers := map[string]*webtest.Browser{}
	for _, tc := range tests {
		browsers[tc.lang] = adminSpeaking(t, app, tc.lang)
		doc := page(t, browsers[tc.lang], "/erasure-requests", http.StatusOK)
		if got := doc.Find(`[data-testid="empty"] strong`).Text(); got != tc.empty {
			t.Errorf("%s: empty state %q, want %q", tc.lang, got, tc.empty)
		}
	}
	_, r := askErasure(t, app, "Hina")
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			b := browsers[tc.lang]
			doc := page(t, b, "/erasure-requests", http.StatusOK)
			if got := doc.Find(`[data-testid="erasure-row"] [data-testid="erasure-status"]`).Text(); got != tc.status {
				t.Errorf("status %q, want %q", got, tc.status)
			}
			if got := doc.Find(`[data-testid="erasure-row"] a`).Text(); got != "Kimura, Hina" {
				t.Errorf("member %q", got)
			}
			doc = page(t, b, fmt.Sprintf("/erasure-requests/%d", r.ID), http.StatusOK)
			if got := doc.Find("h1").Text(); got != tc.heading+fmt.Sprint(r.ID) {
				t.Errorf("heading %q, want %q", got, tc.heading+fmt.Sprint(r.ID))
			}
			if got := doc.Find(`[data-testid="erasure-confirm"] button`).Text(); got != tc.confirm {
				t.Errorf("confirm button %q, want %q", got, tc.confirm)
			}
			if got := doc.Find(`[data-testid="erasure-reject"] button`).Text(); got != tc.reject {
				t.Errorf("reject button %q, want %q", got, tc.reject)
			}
			if q, _ := doc.Find(`[data-testid="erasure-confirm"] button`).Attr("data-confirm"); q == "" {
				t.Error("the confirm button does not ask once more")
			}
			doc = page(t, b, "/audit", http.StatusOK)
			if got := doc.Find(`td[data-action="erasure_requested"]`).First().Text(); got != tc.audited {
				t.Errorf("audit action %q, want %q", got, tc.audited)
			}
		})
	}
}
