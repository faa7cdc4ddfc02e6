package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"membership/members"
	"membership/web/webtest"
)

func TestPortalSignInByLinkAndByCode(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)

	b := a.signInByEmail(t, m.Email, 1)
	resp, _ := b.Get(t, "/portal")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != portalPath(m, "") {
		t.Fatalf("/portal: %d to %q, want the member's record", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.Get(t, portalPath(m, ""))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, m.FullName()) {
		t.Fatalf("own record: %d", resp.StatusCode)
	}

	// By SMS: the code page takes the code from the message.
	phone := a.Anonymous(t)
	page := askSignIn(t, phone, "0151 2345"+m.Phone[len(m.Phone)-4:])
	code := a.v.WaitSMS(t, m.Phone, 1)
	resp = phone.PostForm(t, page, url.Values{"code": {code}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal" {
		t.Fatalf("code: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := phone.Get(t, portalPath(m, "")); resp.StatusCode != http.StatusOK {
		t.Fatalf("record after the code: %d", resp.StatusCode)
	}
	// A code signs in once.
	again := a.Anonymous(t)
	if resp, body := again.PostFormBody(t, page, url.Values{"code": {code}}); resp.StatusCode == http.StatusSeeOther || !strings.Contains(body, "portal-code-problem") && !strings.Contains(body, "portal-link-problem") {
		t.Errorf("the used code again: status %d", resp.StatusCode)
	}
	// Both sign-ins are in the member's log, by the member.
	entries, err := a.Members.Timeline(context.Background(), m.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	signIns := 0
	for _, e := range entries {
		if e.Title == "portal sign in" && e.Actor == members.PortalSelfActor {
			signIns++
		}
	}
	if signIns != 2 {
		t.Errorf("%d portal sign-ins in the timeline, want 2", signIns)
	}
}

// The sign-in form answers an unknown address exactly as a known one: the same status, a
// redirect to a code page of the same length, the same page, after the same floor of time.
func TestPortalSignInDoesNotTellWhoIsAMember(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	type answer struct {
		status int
		token  int
		page   string
		took   time.Duration
	}
	ask := func(address string) answer {
		b := a.Anonymous(t)
		b.CSRF(t)
		start := time.Now()
		resp := b.PostForm(t, "/portal/sign-in", url.Values{"address": {address}})
		took := time.Since(start)
		loc := resp.Header.Get("Location")
		_, page := b.Get(t, loc)
		// The page's own path (in the language switch) is the one part that is new every time.
		return answer{status: resp.StatusCode, token: len(loc), page: strings.ReplaceAll(csrfLess(page), loc, "PATH"), took: took}
	}
	var known, unknown []time.Duration
	for i := range 3 {
		k, u := ask(m.Email), ask("nobody"+string(rune('a'+i))+"@example.org")
		if k.status != u.status || k.token != u.token || k.page != u.page {
			t.Fatalf("known %d/%d, unknown %d/%d: the answers differ:\n%s\n---\n%s", k.status, k.token, u.status, u.token, k.page, u.page)
		}
		known, unknown = append(known, k.took), append(unknown, u.took)
	}
	// Every answer waits out the floor, so the work behind a known address does not show; the
	// medians stay within a fraction of it of each other.
	slices.Sort(known)
	slices.Sort(unknown)
	for _, d := range append(slices.Clone(known), unknown...) {
		if d < 400*time.Millisecond {
			t.Errorf("an answer came after %s, before the floor", d)
		}
	}
	if diff := (known[1] - unknown[1]).Abs(); diff > 200*time.Millisecond {
		t.Errorf("median known %s, unknown %s: %s apart", known[1], unknown[1], diff)
	}
	// Only the known address got a message, and once: the sign-ins asked again within the resend
	// cooldown are answered by the run under way, which sends no second code so soon.
	if got := len(a.v.SendGrid.Messages()); got != 1 {
		t.Errorf("%d e-mails, want 1", got)
	}
}

// csrfLess drops the CSRF token, which differs per browser, from a page.
func csrfLess(page string) string {
	i := strings.Index(page, `name="_csrf" value="`)
	if i < 0 {
		return page
	}
	j := strings.Index(page[i+20:], `"`)
	return page[:i] + page[i+20+j:]
}

// Guessing codes: each page allows max_attempts codes, the last wrong one locks, and after
// that even the right code does not sign in. An unknown address locks the same way.
func TestPortalCodeBruteForceLocksOut(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	for _, tc := range []struct {
		name, address string
		known         bool
	}{{"known", m.Phone, true}, {"unknown", "+4915199999999", false}} {
		t.Run(tc.name, func(t *testing.T) {
			b := a.Anonymous(t)
			page := askSignIn(t, b, tc.address)
			right := "000000"
			if tc.known {
				right = a.v.WaitSMS(t, m.Phone, 1)
			}
			wrong := "999999"
			if right == wrong {
				wrong = "999998"
			}
			for i := 1; i <= 5; i++ {
				_, body := b.PostFormBody(t, page, url.Values{"code": {wrong}})
				want := "That code is not right"
				if i == 5 {
					want = "Too many wrong codes"
				}
				if !strings.Contains(body, want) {
					t.Fatalf("try %d: no %q", i, want)
				}
			}
			resp, body := b.PostFormBody(t, page, url.Values{"code": {right}})
			if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong codes") {
				t.Fatalf("the right code after the lockout: status %d", resp.StatusCode)
			}
			if resp, _ := b.Get(t, "/portal"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/sign-in" {
				t.Fatalf("signed in after the lockout")
			}
		})
	}
}

// A session reaches only its own records: another member's id in any portal URL is 404, as is
// a made-up one; another member's session id cannot be signed out.
func TestPortalIsolatesMembers(t *testing.T) {
	a := startPortal(t)
	alice, bob := a.member(t, nil), a.member(t, nil)
	ab := a.signInByEmail(t, alice.Email, 1)
	bb := a.signInByEmail(t, bob.Email, 1)
	bobSessions, err := a.Members.PortalSessions(context.Background(), bob.ID)
	if err != nil || len(bobSessions) != 1 {
		t.Fatalf("bob's sessions: %v %v", bobSessions, err)
	}
	gets := []string{"", "/export", "/erasure"}
	posts := map[string]url.Values{
		"/contact":      {"phone": {"0151 99999999"}},
		"/contact/code": {"code": {"123456"}},
		"/consent":      {},
		"/language":     {"language": {"de"}},
		"/sessions/" + bobSessions[0].ID + "/revoke": {},
		"/erasure": {"confirm": {"1"}},
	}
	for _, id := range []*members.Member{bob, {ID: 999999}} {
		for _, p := range gets {
			if resp, body := ab.Get(t, portalPath(id, p)); resp.StatusCode != http.StatusNotFound || strings.Contains(body, bob.Email) {
				t.Errorf("GET %s as alice: %d", portalPath(id, p), resp.StatusCode)
			}
		}
		for p, form := range posts {
			if resp := ab.PostForm(t, portalPath(id, p), form); resp.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s as alice: %d", portalPath(id, p), resp.StatusCode)
			}
		}
	}
	// Bob's session through alice's own record: not hers, so 404 too.
	if resp := ab.PostForm(t, portalPath(alice, "/sessions/"+bobSessions[0].ID+"/revoke"), url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking bob's session through alice's record: %d", resp.StatusCode)
	}
	got, err := a.Members.Get(context.Background(), bob.ID)
	if err != nil || got.Phone != bob.Phone || got.Language != bob.Language || got.SMSConsent != bob.SMSConsent {
		t.Fatalf("bob's record changed: %+v %v", got, err)
	}
	if _, err := a.Members.OpenErasureRequest(context.Background(), bob.ID); !errors.Is(err, members.ErrNotFound) {
		t.Errorf("alice asked for bob's erasure: %v", err)
	}
	if resp, _ := bb.Get(t, portalPath(bob, "")); resp.StatusCode != http.StatusOK {
		t.Errorf("bob signed out by alice's tries: %d", resp.StatusCode)
	}
}

// Every portal form refuses a post without the CSRF token.
func TestPortalFormsNeedCSRF(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	b := a.signInByEmail(t, m.Email, 1)
	sessions, _ := a.Members.PortalSessions(context.Background(), m.ID)
	for _, path := range []string{
		"/portal/sign-in", "/portal/sign-in/x", "/portal/sign-in/link/x", "/portal/sign-out",
		portalPath(m, "/contact"), portalPath(m, "/contact/code"), portalPath(m, "/consent"), portalPath(m, "/language"),
		portalPath(m, "/sessions/"+sessions[0].ID+"/revoke"), portalPath(m, "/erasure"), "/members/1/portal-sessions/revoke",
	} {
		resp, err := b.Client.PostForm(a.URL+path, url.Values{"address": {m.Email}, "code": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d, want 403", path, resp.StatusCode)
		}
	}
	if resp, _ := b.Get(t, portalPath(m, "")); resp.StatusCode != http.StatusOK {
		t.Errorf("the session did not survive the refused posts: %d", resp.StatusCode)
	}
}

// A cookie planted before the sign-in is never the session: signing in sets a new value, and
// the planted one opens nothing.
func TestPortalSessionFixation(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	b := a.Anonymous(t)
	u, _ := url.Parse(a.URL)
	planted := &http.Cookie{Name: "portal_session", Value: "planted-by-an-attacker", Path: "/"}
	b.Client.Jar.SetCookies(u, []*http.Cookie{planted})
	askSignIn(t, b, m.Email)
	resp := b.PostForm(t, a.signInLink(t, m.Email, 1), url.Values{})
	var got string
	for _, c := range resp.Cookies() {
		if c.Name == "portal_session" {
			got = c.Value
		}
	}
	if got == "" || got == planted.Value {
		t.Fatalf("sign-in set cookie %q", got)
	}
	attacker := a.Anonymous(t)
	attacker.Client.Jar.SetCookies(u, []*http.Cookie{planted})
	if resp, _ := attacker.Get(t, portalPath(m, "")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the planted cookie opened the record: %d", resp.StatusCode)
	}
}

// A new number starts its verification; the old one stays until the code is entered, and the
// admins' timeline says the member made the change.
func TestPortalContactChange(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, func(in *members.MemberInput) { in.SMSConsent, in.EmailConsent = true, true })
	b := a.signInByEmail(t, m.Email, 1)
	ctx := context.Background()

	resp, body := b.PostFormBody(t, portalPath(m, "/contact"), url.Values{"phone": {"12"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="error-phone"`) {
		t.Fatalf("a bad number: status %d, no error next to the field", resp.StatusCode)
	}
	if resp := b.PostForm(t, portalPath(m, "/contact"), url.Values{"phone": {"0151 77776666"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change phone: %d", resp.StatusCode)
	}
	code := a.v.WaitSMS(t, "+4915177776666", 1)
	if got, _ := a.Members.Get(ctx, m.ID); got.Phone != m.Phone {
		t.Fatalf("the phone changed to %s before its code", got.Phone)
	}
	if resp := b.PostForm(t, portalPath(m, "/contact/code"), url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code: %d", resp.StatusCode)
	}
	got, _ := a.Members.Get(ctx, m.ID)
	if got.Phone != "+4915177776666" || got.PhoneVerifiedAt == nil {
		t.Fatalf("after the code: phone %s verified %v", got.Phone, got.PhoneVerifiedAt)
	}

	// A new address gets a link; following it makes it the member's.
	if resp := b.PostForm(t, portalPath(m, "/contact"), url.Values{"email": {"new@example.org"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change e-mail: %d", resp.StatusCode)
	}
	link := a.v.WaitEmail(t, "new@example.org", 1)
	if got, _ := a.Members.Get(ctx, m.ID); got.Email != m.Email {
		t.Fatalf("the address changed before its link")
	}
	lu, _ := url.Parse(link)
	if resp, _ := a.Anonymous(t).Get(t, lu.Path); resp.StatusCode != http.StatusOK {
		t.Fatalf("the e-mail link: %d", resp.StatusCode)
	}
	if got, _ := a.Members.Get(ctx, m.ID); got.Email != "new@example.org" || got.EmailVerifiedAt == nil {
		t.Fatalf("after the link: %s %v", got.Email, got.EmailVerifiedAt)
	}

	// Consent withdrawn, language changed — by the member, as the timeline says.
	if resp := b.PostForm(t, portalPath(m, "/consent"), url.Values{"email_consent": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	if got, _ := a.Members.Get(ctx, m.ID); got.SMSConsent || !got.EmailConsent {
		t.Fatalf("consent sms %v email %v, want false/true", got.SMSConsent, got.EmailConsent)
	}
	admin := a.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	_, page := admin.Get(t, "/members/"+itoa(m.ID))
	if !strings.Contains(page, "the member (portal)") {
		t.Errorf("the member page's timeline does not say the member made the changes")
	}
}

// A parent signs in with the guardian address and reaches their minor's record (not an adult
// child's, not anyone else's), acting as guardian.
func TestPortalGuardian(t *testing.T) {
	a := startPortal(t)
	today := time.Now()
	kid := a.member(t, func(in *members.MemberInput) {
		in.Email, in.BirthDate = "", members.DateOf(today.AddDate(-10, 0, 0))
		in.GuardianName, in.GuardianEmail, in.GuardianPhone = "Mika Tanaka", "parent@example.org", "+4915100000001"
	})
	adult := a.member(t, func(in *members.MemberInput) {
		in.BirthDate = members.DateOf(today.AddDate(-20, 0, 0))
		in.GuardianName, in.GuardianEmail, in.GuardianPhone = "Mika Tanaka", "parent@example.org", "+4915100000001"
	})
	b := a.signInByEmail(t, "parent@example.org", 1)
	if resp, _ := b.Get(t, "/portal"); resp.Header.Get("Location") != portalPath(kid, "") {
		t.Fatalf("the parent's portal opens %q", resp.Header.Get("Location"))
	}
	if resp, body := b.Get(t, portalPath(kid, "")); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="portal-guardian"`) {
		t.Fatalf("the minor's record: %d", resp.StatusCode)
	}
	if resp, _ := b.Get(t, portalPath(adult, "")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the adult child's record: %d, want 404", resp.StatusCode)
	}
	if resp := b.PostForm(t, portalPath(kid, "/language"), url.Values{"language": {"de"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("language: %d", resp.StatusCode)
	}
	entries, _ := a.Members.Timeline(context.Background(), kid.ID, 10)
	if len(entries) == 0 || entries[0].Actor != members.PortalGuardianActor {
		t.Errorf("the newest timeline entry %+v, want one by the guardian", entries)
	}
}

// The export is the member's data as a JSON download; an admin can end every portal session.
func TestPortalExportAndAdminRevoke(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	b := a.signInByEmail(t, m.Email, 1)
	resp, body := b.Get(t, portalPath(m, "/export"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	var pd struct {
		Member struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"member"`
	}
	if err := json.Unmarshal([]byte(body), &pd); err != nil || pd.Member.ID != m.ID || pd.Member.Email != m.Email {
		t.Fatalf("export holds %+v (%v)", pd, err)
	}
	admin := a.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	if _, page := admin.Get(t, "/members/"+itoa(m.ID)); !strings.Contains(page, `data-testid="member-portal-sessions"`) {
		t.Fatalf("the member page shows no portal session")
	}
	if resp := admin.PostForm(t, "/members/"+itoa(m.ID)+"/portal-sessions/revoke", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := b.Get(t, portalPath(m, "")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the session still opens the record after the admin ended it: %d", resp.StatusCode)
	}
}

// A member asks for erasure from the portal; an admin confirms it on the request's page; the
// member is erased and signed out.
func TestPortalErasureRequest(t *testing.T) {
	a := startPortal(t)
	m := a.member(t, nil)
	b := a.signInByEmail(t, m.Email, 1)
	ctx := context.Background()
	if resp, body := b.Get(t, portalPath(m, "/erasure")); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="portal-erasure-confirm"`) {
		t.Fatalf("erasure page: %d", resp.StatusCode)
	}
	if resp, _ := b.PostFormBody(t, portalPath(m, "/erasure"), url.Values{}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("without the tick: %d, want 422", resp.StatusCode)
	}
	if _, err := a.Members.OpenErasureRequest(ctx, m.ID); !errors.Is(err, members.ErrNotFound) {
		t.Fatalf("a request without the tick: %v", err)
	}
	if resp := b.PostForm(t, portalPath(m, "/erasure"), url.Values{"confirm": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ask: %d", resp.StatusCode)
	}
	r, err := a.Members.OpenErasureRequest(ctx, m.ID)
	if err != nil || r.RequestedBy != members.PortalSelfActor {
		t.Fatalf("open request %+v %v", r, err)
	}
	if _, body := b.Get(t, portalPath(m, "")); !strings.Contains(body, `data-testid="portal-erasure-open"`) {
		t.Error("the record does not show the open request")
	}
	admin := a.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	if resp := admin.PostForm(t, "/erasure-requests/"+itoa(r.ID)+"/confirm", url.Values{"sure": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := a.Members.Get(ctx, m.ID)
		if err == nil && got.ErasedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the member was not erased within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, _ := b.Get(t, portalPath(m, "")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the erased member's session still opens the record: %d", resp.StatusCode)
	}
}
