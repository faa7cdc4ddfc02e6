package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"membership/members"
	"membership/web/webtest"
)

func createMember(t *testing.T, app *webtest.App, first, last, email string) *members.Member {
	t.Helper()
	m, err := app.Members.Create(context.Background(), "system", members.MemberInput{FirstName: first, LastName: last, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMemberForms(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)

	// A bad phone comes back with its message next to the field and the input kept.
	form := url.Values{"first_name": {"Kenji"}, "last_name": {"Sato"}, "email": {"kenji@example.org"}, "phone": {"12345"}, "status": {"active"}}
	resp, body := admin.PostFormBody(t, "/members", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad phone: %d", resp.StatusCode)
	}
	for _, want := range []string{`data-testid="error-phone"`, `value="Kenji"`, `value="kenji@example.org"`, `value="12345"`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	// Fixed, it saves and redirects to the member's page.
	form.Set("phone", "0151 23456789")
	resp = admin.PostForm(t, "/members", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	page := resp.Header.Get("Location")
	resp, body = admin.Get(t, page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "+4915123456789") {
		t.Fatalf("member page: %d", resp.StatusCode)
	}
	// Search finds them.
	_, body = admin.Get(t, "/members?q=kenj")
	if !strings.Contains(body, "Sato, Kenji") {
		t.Fatal("search does not find the new member")
	}

	// A stale edit (someone saved in between) is refused with the input kept.
	id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/members/"), 10, 64)
	m, _ := app.Members.Get(context.Background(), id)
	stale := url.Values{"first_name": {"Kenji"}, "last_name": {"Satō"}, "email": {"kenji@example.org"}, "status": {"active"}, "version": {strconv.Itoa(m.Version)}}
	if _, err := app.Members.Update(context.Background(), "system", id, members.MemberPatch{Notes: ptr("changed elsewhere")}, nil); err != nil {
		t.Fatal(err)
	}
	resp, body = admin.PostFormBody(t, page, stale)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `data-testid="conflict"`) || !strings.Contains(body, "Satō") {
		t.Fatalf("stale edit: %d", resp.StatusCode)
	}
	if got, _ := app.Members.Get(context.Background(), id); got.LastName != "Sato" {
		t.Fatalf("stale edit overwrote: %q", got.LastName)
	}
}

func TestMemberPagesEscapeAndRoles(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	m := createMember(t, app, "<script>alert(1)</script>", "O'Brien", "x@example.org")
	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	for _, path := range []string{"/members", "/members/" + strconv.FormatInt(m.ID, 10)} {
		resp, body := trainer.Get(t, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if strings.Contains(body, "<script>alert(1)</script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Fatalf("%s: the name is not rendered as text", path)
		}
	}
	// Trainers read but never change.
	for _, path := range []string{"/members/new", "/members/" + strconv.FormatInt(m.ID, 10) + "/edit", "/audit"} {
		if resp, _ := trainer.Get(t, path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("trainer GET %s: %d", path, resp.StatusCode)
		}
	}
	if resp := trainer.PostForm(t, "/members/"+strconv.FormatInt(m.ID, 10)+"/archive", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer archive: %d", resp.StatusCode)
	}
}

func TestMembersListFiltersAndBulk(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	a := createMember(t, app, "Anna", "Alpha", "a@example.org")
	b := createMember(t, app, "Bernd", "Beta", "b@example.org")
	_, body := admin.Get(t, "/members")
	if strings.Count(body, `data-testid="member-row"`) != 2 {
		t.Fatal("list does not show both members")
	}
	// Bulk archive, with the list then hiding them and the archived filter showing them.
	resp := admin.PostForm(t, "/members/bulk", url.Values{"action": {"archive"}, "id": {strconv.FormatInt(a.ID, 10), strconv.FormatInt(b.ID, 10)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk: %d", resp.StatusCode)
	}
	_, body = admin.Get(t, "/members")
	if !strings.Contains(body, `data-testid="empty"`) {
		t.Fatal("archived members still listed")
	}
	_, body = admin.Get(t, "/members?status=archived")
	if strings.Count(body, `data-testid="member-row"`) != 2 {
		t.Fatal("archived filter does not show them")
	}
	if resp, _ := admin.Get(t, "/members?fee_overdue=perhaps"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad filter: %d", resp.StatusCode)
	}
	// The audit page shows the archiving.
	_, body = admin.Get(t, "/audit")
	if !strings.Contains(body, "archive") {
		t.Fatal("audit page lacks the archiving")
	}
}

func ptr[T any](v T) *T { return &v }
