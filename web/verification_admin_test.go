package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"membership/members"
	"membership/web/webtest"
)

func TestVerificationAdminActions(t *testing.T) {
	a := startVerifyApp(t, nil)
	admin := a.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	m := a.member(t, members.StatusActive)
	page := fmt.Sprintf("/members/%d", m.ID)

	steps := []struct {
		name, action string
		wantFlash    string
		wantFragment []string
	}{
		{"start the phone's", page + "/verify-phone", "A code is on its way by SMS",
			[]string{`data-testid="verification-phone-state"`, "code sent", fmt.Sprintf("/workflows/phone-verification:member:%d:1", m.ID), "Cancel verification"}},
		{"start it twice", page + "/verify-phone", "already under way", nil},
		{"start the e-mail's", page + "/verify-email", "A confirmation link is on its way", nil},
		{"cancel both", page + "/verifications/cancel", "The verification is cancelled.", nil},
	}
	for _, s := range steps {
		resp := admin.PostForm(t, s.action, url.Values{})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
			t.Fatalf("%s: %d to %q", s.name, resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body := admin.Get(t, page)
		if !strings.Contains(body, s.wantFlash) {
			t.Fatalf("%s: the member page lacks %q", s.name, s.wantFlash)
		}
		if s.wantFragment == nil {
			continue
		}
		resp, frag := admin.Get(t, page+"/verification")
		for _, want := range s.wantFragment {
			if resp.StatusCode != http.StatusOK || !strings.Contains(frag, want) {
				t.Errorf("%s: fragment (%d) lacks %q:\n%s", s.name, resp.StatusCode, want, frag)
			}
		}
	}
	waitRun(t, a, members.VerificationInstanceID(members.VerifyPhone, m.ID, 1), members.VerificationCancelled)
	waitRun(t, a, members.VerificationInstanceID(members.VerifyEmail, m.ID, 1), members.VerificationCancelled)
	if _, frag := admin.Get(t, page+"/verification"); !strings.Contains(frag, "cancelled") || strings.Contains(frag, "hx-trigger") {
		t.Errorf("fragment after cancel, want cancelled and no polling:\n%s", frag)
	}

	// A trainer sees the state but may not act.
	trainer := a.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	if resp, frag := trainer.Get(t, page+"/verification"); resp.StatusCode != http.StatusOK || strings.Contains(frag, "<form") {
		t.Errorf("trainer's fragment: %d\n%s", resp.StatusCode, frag)
	}
	if resp := trainer.PostForm(t, page+"/verify-phone", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer starts a verification: %d", resp.StatusCode)
	}
}

func TestVerificationBulk(t *testing.T) {
	a := startVerifyApp(t, nil)
	admin := a.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	one, two := a.member(t, members.StatusActive), a.member(t, members.StatusActive)
	form := url.Values{"ids": {fmt.Sprint(one.ID), fmt.Sprintf("%d,999999", two.ID)}, "kind": {"phone"}, "next": {"/members?status=active"}}
	resp := admin.PostForm(t, "/members/verify", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/members?status=active" {
		t.Fatalf("bulk: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := admin.Get(t, "/members?status=active")
	if !strings.Contains(body, "Started 2 verifications. 1 skipped") {
		t.Fatalf("bulk flash missing:\n%s", body)
	}
	a.v.WaitSMS(t, one.Phone, 1)
	a.v.WaitSMS(t, two.Phone, 1)
	if len(a.v.SendGrid.Messages()) != 0 {
		t.Errorf("kind phone sent e-mails")
	}
	for _, bad := range []url.Values{{"ids": {"x"}}, {"ids": {"1"}, "kind": {"fax"}}} {
		if resp := admin.PostForm(t, "/members/verify", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bulk %v: %d", bad, resp.StatusCode)
		}
	}
}
