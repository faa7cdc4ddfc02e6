package main

// The JSON API under /api/v1, the browser paths and the webhooks, checked against the
// contracts of shared/DESIGN.md ("HTTP surface") and the README's "What is where": paths,
// methods, status codes and the fields those documents name — nothing else of the app.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiTwilioToken is the Twilio auth token the server is given, so that the suite can sign
// webhooks as Twilio would; SMS still go to the outbox.
const apiTwilioToken = "contract-twilio-auth-token"

// apiSuite is the one server the API contract runs against, with the fakes around it.
type apiSuite struct {
	s    *contractServer
	mail *apiSendGrid
	key  *ecdsa.PrivateKey // signs SendGrid event webhooks
}

// TestContractAPI checks the JSON API, the browser paths and the webhooks on one server: the
// subtests share it, each working on members of its own (a marker in their last name), so that
// they do not count each other's.
func TestContractAPI(t *testing.T) {
	mail := apiStartSendGrid(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// E-mail goes to a SendGrid fake, which is the members' inbox and refuses some addresses
	// (a campaign needs failed notices to retry); SMS stay with the default outbox provider.
	s := startContract(t,
		"MEMBERSHIP_NOTIFY_EMAIL_PROVIDER=sendgrid",
		"MEMBERSHIP_NOTIFY_EMAIL_SENDGRID_API_KEY=SG.contract",
		"MEMBERSHIP_NOTIFY_EMAIL_SENDGRID_BASE_URL="+mail.URL,
		"MEMBERSHIP_NOTIFY_EMAIL_SENDGRID_WEBHOOK_PUBLIC_KEY="+base64.StdEncoding.EncodeToString(der),
		"MEMBERSHIP_NOTIFY_SMS_TWILIO_AUTH_TOKEN="+apiTwilioToken,
	)
	x := &apiSuite{s: s, mail: mail, key: key}
	t.Run("Auth", x.auth)
	t.Run("Members", x.members)
	t.Run("List", x.list)
	t.Run("GDPR", x.gdpr)
	t.Run("Timeline", x.timeline)
	t.Run("CSVExport", x.csvExport)
	t.Run("CSVImport", x.csvImport)
	t.Run("Verifications", x.verifications)
	t.Run("Campaigns", x.campaigns)
	t.Run("UI", x.ui)
	t.Run("Public", x.public)
	t.Run("Webhooks", x.webhooks)
	// Last: seed-demo adds members the other subtests would otherwise see.
	t.Run("Fees", x.fees)
}

// auth: no token 401, an unknown token 401, a trainer's token reads but changes nothing (403).
func (x *apiSuite) auth(t *testing.T) {
	s := x.s
	wantProblem(t, "list without a token", s.api(t, "", http.MethodGet, "/api/v1/members", nil), http.StatusUnauthorized)
	wantProblem(t, "list with an unknown token", s.api(t, "not-a-token", http.MethodGet, "/api/v1/members", nil), http.StatusUnauthorized)
	m := apiCreate(t, s, map[string]any{"first_name": "Tara", "last_name": "Authmarker", "email": "tara.auth@example.org"})
	self := fmt.Sprintf("/api/v1/members/%d", apiID(t, m))
	for _, path := range []string{"/api/v1/members", self, self + "/timeline", "/api/v1/members/export.csv", "/api/v1/campaigns", "/api/v1/outbox"} {
		wantStatus(t, "trainer GET "+path, s.api(t, s.Trainer, http.MethodGet, path, nil), http.StatusOK)
	}
	changes := []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/api/v1/members", map[string]any{"first_name": "Ute", "last_name": "Authmarker"}},
		{http.MethodPatch, self, map[string]any{"rank": "1. Dan"}},
		{http.MethodDelete, self, nil},
		{http.MethodPost, self + "/erase", nil},
		{http.MethodPost, "/api/v1/members/import", "first_name,last_name\nUte,Authmarker\n"},
		{http.MethodPost, self + "/verifications/phone", nil},
		{http.MethodPost, self + "/verifications/email", nil},
		{http.MethodPost, self + "/verifications/phone/code", map[string]any{"code": "123456"}},
		{http.MethodPost, "/api/v1/fees/1/paid", map[string]any{"paid_on": "2024-01-02", "method": "cash"}},
		{http.MethodPost, "/api/v1/campaigns", map[string]any{"name": "Trainer", "channels": []string{"email"}, "audience": map[string]any{"q": "Authmarker"}, "subject": "S", "message": "M"}},
		{http.MethodPost, "/api/v1/campaigns/1/cancel", nil},
		{http.MethodPost, "/api/v1/campaigns/1/retry-failed", nil},
	}
	for _, c := range changes {
		wantProblem(t, "trainer "+c.method+" "+c.path, s.api(t, s.Trainer, c.method, c.path, c.body), http.StatusForbidden)
		wantProblem(t, "no token "+c.method+" "+c.path, s.api(t, "", c.method, c.path, c.body), http.StatusUnauthorized)
	}
	got := apiGet(t, s, self)
	if got["rank"] != m["rank"] || got["status"] != m["status"] {
		t.Errorf("a trainer's refused changes changed the member: %v, was %v", got, m)
	}
}

// members: create, read, change (If-Match), archive, invalid and malformed input, 404.
func (x *apiSuite) members(t *testing.T) {
	s := x.s
	in := map[string]any{
		"first_name": "Mia", "last_name": "Membermarker", "email": "mia.member@example.org",
		"phone": "+49 151 23456701", "birth_date": "1990-04-12", "rank": "5. Kyu",
		"membership_ends_on": "2030-12-31", "sms_consent": true, "email_consent": false,
	}
	r := s.api(t, s.Admin, http.MethodPost, "/api/v1/members", in)
	wantStatus(t, "create", r, http.StatusCreated)
	m := r.Object(t)
	id := apiID(t, m)
	self := fmt.Sprintf("/api/v1/members/%d", id)
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Path != self {
		t.Errorf("create: Location %q, want the member's path %s", r.Header.Get("Location"), self)
	}
	wantFields(t, "created member", m, "id", "first_name", "last_name", "email", "phone", "birth_date", "status",
		"plan", "rank", "membership_ends_on", "sms_consent", "email_consent", "phone_verified_at",
		"email_verified_at", "created_at", "updated_at", "version")
	for _, f := range []string{"created_at", "updated_at"} {
		if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m[f])); err != nil {
			t.Errorf("%s %v is not RFC 3339: %v", f, m[f], err)
		}
	}
	want := map[string]any{"first_name": "Mia", "last_name": "Membermarker", "email": "mia.member@example.org",
		"phone": "+4915123456701", "birth_date": "1990-04-12", "rank": "5. Kyu", "membership_ends_on": "2030-12-31",
		"sms_consent": true, "email_consent": false, "status": "active"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("created member: %s = %v, want %v", k, m[k], v)
		}
	}

	// GET answers an ETag; PATCH with it applies, with a stale one answers 412 and changes nothing.
	r = s.api(t, s.Admin, http.MethodGet, self, nil)
	wantStatus(t, "read", r, http.StatusOK)
	etag1 := r.Header.Get("ETag")
	if etag1 == "" {
		t.Fatal("read: no ETag")
	}
	r = s.api(t, s.Admin, http.MethodPatch, self, map[string]any{"rank": "4. Kyu"}, "If-Match", etag1)
	wantStatus(t, "patch with the current ETag", r, http.StatusOK)
	etag2 := r.Header.Get("ETag")
	if etag2 == "" || etag2 == etag1 {
		t.Errorf("patch: ETag %q after %q, want a new one", etag2, etag1)
	}
	if got := r.Object(t)["rank"]; got != "4. Kyu" {
		t.Errorf("patch answered rank %v, want 4. Kyu", got)
	}
	wantProblem(t, "patch with a stale If-Match", s.api(t, s.Admin, http.MethodPatch, self, map[string]any{"rank": "3. Kyu"}, "If-Match", etag1), http.StatusPreconditionFailed)
	r = s.api(t, s.Admin, http.MethodGet, self, nil)
	if got := r.Object(t); got["rank"] != "4. Kyu" || r.Header.Get("ETag") != etag2 {
		t.Errorf("after the refused patch: rank %v, ETag %q; want 4. Kyu, %q", got["rank"], r.Header.Get("ETag"), etag2)
	}
	r = s.api(t, s.Admin, http.MethodPatch, self, map[string]any{"rank": "3. Kyu"})
	wantStatus(t, "patch without If-Match", r, http.StatusOK)
	if got := apiGet(t, s, self)["rank"]; got != "3. Kyu" {
		t.Errorf("patch without If-Match: rank %v, want 3. Kyu", got)
	}

	// Invalid input is 422 naming the fields; malformed JSON and unknown fields are 400.
	p := wantProblem(t, "create invalid", s.api(t, s.Admin, http.MethodPost, "/api/v1/members",
		map[string]any{"first_name": "", "last_name": "Membermarker", "email": "not-an-address"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "create invalid", p, "first_name", "email")
	p = wantProblem(t, "patch invalid", s.api(t, s.Admin, http.MethodPatch, self, map[string]any{"email": "not-an-address"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "patch invalid", p, "email")
	// Well-formed JSON with a value its field cannot take is invalid input too, not malformed.
	p = wantProblem(t, "create with a date in another form", s.api(t, s.Admin, http.MethodPost, "/api/v1/members",
		map[string]any{"first_name": "Mia", "last_name": "Membermarker", "birth_date": "12.04.1990"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "create with a date in another form", p, "birth_date")
	p = wantProblem(t, "patch with a number for a name", s.api(t, s.Admin, http.MethodPatch, self, map[string]any{"first_name": 7}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "patch with a number for a name", p, "first_name")
	wantProblem(t, "create malformed", s.api(t, s.Admin, http.MethodPost, "/api/v1/members", `{"first_name": "Mia",`), http.StatusBadRequest)
	wantProblem(t, "create unknown field", s.api(t, s.Admin, http.MethodPost, "/api/v1/members",
		map[string]any{"first_name": "Mia", "last_name": "Membermarker", "shoe_size": 38}), http.StatusBadRequest)
	wantProblem(t, "patch malformed", s.api(t, s.Admin, http.MethodPatch, self, `{"rank": `), http.StatusBadRequest)
	wantProblem(t, "patch unknown field", s.api(t, s.Admin, http.MethodPatch, self, map[string]any{"shoe_size": 38}), http.StatusBadRequest)
	if got := apiGet(t, s, self); got["rank"] != "3. Kyu" || got["email"] != "mia.member@example.org" {
		t.Errorf("refused patches changed the member: %v", got)
	}

	unknown := "/api/v1/members/999999"
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, unknown, nil},
		{http.MethodPatch, unknown, map[string]any{"rank": "1. Dan"}},
		{http.MethodDelete, unknown, nil},
		{http.MethodGet, unknown + "/export", nil},
		{http.MethodPost, unknown + "/erase", nil},
		{http.MethodGet, unknown + "/timeline", nil},
		{http.MethodPost, unknown + "/verifications/phone", nil},
		{http.MethodPost, unknown + "/verifications/email", nil},
		{http.MethodPost, unknown + "/verifications/phone/code", map[string]any{"code": "123456"}},
	} {
		wantProblem(t, c.method+" "+c.path, s.api(t, s.Admin, c.method, c.path, c.body), http.StatusNotFound)
	}

	// Archive: 204 without a body; the member stays, archived.
	r = s.api(t, s.Admin, http.MethodDelete, self, nil)
	wantStatus(t, "archive", r, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("archive: a body with 204: %s", r.Body)
	}
	if got := apiGet(t, s, self)["status"]; got != "archived" {
		t.Errorf("after archiving: status %v, want archived", got)
	}
}

// list: {items, page, per_page, total}, pages from 1, per_page 50 by default and at most 500,
// the filters.
func (x *apiSuite) list(t *testing.T) {
	s := x.s
	for i, st := range []string{"active", "active", "paused"} {
		apiCreate(t, s, map[string]any{"first_name": fmt.Sprintf("Lia%d", i), "last_name": "Listmarker", "status": st,
			"email": fmt.Sprintf("lia%d.list@example.org", i)})
	}
	items, page, perPage, total := apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Listmarker", nil))
	if len(items) != 3 || page != 1 || perPage != 50 || total != 3 {
		t.Errorf("list q=Listmarker: %d items, page %d, per_page %d, total %d; want 3, 1, 50, 3", len(items), page, perPage, total)
	}
	for _, it := range items {
		wantFields(t, "listed member", it, "id", "first_name", "last_name", "email", "status", "version")
	}
	items, page, perPage, total = apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Listmarker&per_page=2&page=2", nil))
	if len(items) != 1 || page != 2 || perPage != 2 || total != 3 {
		t.Errorf("page 2 of 2 per page: %d items, page %d, per_page %d, total %d; want 1, 2, 2, 3", len(items), page, perPage, total)
	}
	_, _, perPage, _ = apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Listmarker&per_page=500", nil))
	if perPage != 500 {
		t.Errorf("per_page=500: per_page %d", perPage)
	}
	// "At most 500": a larger page is refused or cut to 500, never served.
	r := s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Listmarker&per_page=501", nil)
	if r.Status != http.StatusBadRequest {
		if _, _, perPage, _ = apiList(t, r); perPage > 500 {
			t.Errorf("per_page=501: served %d per page", perPage)
		}
	}
	_, _, _, total = apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Listmarker&status=paused", nil))
	if total != 1 {
		t.Errorf("q=Listmarker&status=paused: total %d, want 1", total)
	}
	_, _, _, total = apiList(t, s.api(t, s.Trainer, http.MethodGet, "/api/v1/members?q=Listmarker", nil))
	if total != 3 {
		t.Errorf("a trainer's list: total %d, want 3", total)
	}
}

// gdpr: the export holds the member's data; after the erasure neither the member nor the
// export does.
func (x *apiSuite) gdpr(t *testing.T) {
	s := x.s
	m := apiCreate(t, s, map[string]any{"first_name": "Gina", "last_name": "Gdprmarker", "email": "gina.gdpr@example.org",
		"phone": "+49 151 23456702", "birth_date": "1985-02-03"})
	self := fmt.Sprintf("/api/v1/members/%d", apiID(t, m))
	r := s.api(t, s.Admin, http.MethodGet, self+"/export", nil)
	wantStatus(t, "export", r, http.StatusOK)
	r.Object(t)
	if !bytes.Contains(r.Body, []byte("gina.gdpr@example.org")) || !bytes.Contains(r.Body, []byte("Gdprmarker")) {
		t.Errorf("export lacks the member's e-mail or name: %s", r.Body)
	}
	r = s.api(t, s.Admin, http.MethodPost, self+"/erase", nil)
	if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
		t.Fatalf("erase: status %d: %s", r.Status, r.Body)
	}
	got := apiGet(t, s, self)
	if got["email"] != "" || got["phone"] != "" || got["first_name"] == "Gina" || got["last_name"] == "Gdprmarker" {
		t.Errorf("erased member still has personal data: %v", got)
	}
	r = s.api(t, s.Admin, http.MethodGet, self+"/export", nil)
	wantStatus(t, "export after erasure", r, http.StatusOK)
	for _, personal := range []string{"gina.gdpr@example.org", "Gdprmarker", "+4915123456702", "1985-02-03"} {
		if bytes.Contains(r.Body, []byte(personal)) {
			t.Errorf("export after erasure still holds %q: %s", personal, r.Body)
		}
	}
}

// timeline: what happened to the member, newest first.
func (x *apiSuite) timeline(t *testing.T) {
	s := x.s
	m := apiCreate(t, s, map[string]any{"first_name": "Tom", "last_name": "Timelinemarker"})
	self := fmt.Sprintf("/api/v1/members/%d", apiID(t, m))
	for _, change := range []map[string]any{{"rank": "6. Kyu"}, {"status": "paused"}} {
		time.Sleep(20 * time.Millisecond) // distinct times, so that the order shows
		wantStatus(t, fmt.Sprint("patch ", change), s.api(t, s.Admin, http.MethodPatch, self, change), http.StatusOK)
	}
	r := s.api(t, s.Admin, http.MethodGet, self+"/timeline", nil)
	wantStatus(t, "timeline", r, http.StatusOK)
	items := apiItems(t, r)
	if len(items) < 3 {
		t.Fatalf("timeline: %d entries, want the creation and two changes: %s", len(items), r.Body)
	}
	// DESIGN.md names no field of an entry; "at" is the time the answer carries.
	var times []time.Time
	for _, it := range items {
		at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(it["at"]))
		if err != nil {
			t.Fatalf("timeline entry without an RFC 3339 time: %v", it)
		}
		times = append(times, at)
	}
	if !slices.IsSortedFunc(times, func(a, b time.Time) int { return b.Compare(a) }) {
		t.Errorf("timeline not newest first: %v", times)
	}
	if created, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(m["created_at"])); times[0].Before(created) || !times[0].After(times[len(times)-1]) {
		t.Errorf("timeline: first entry at %v, last at %v; the member was created at %v", times[0], times[len(times)-1], created)
	}
	// A list like every other: {items, page, per_page, total}, pages from 1.
	whole := r.Object(t)
	wantFields(t, "timeline", whole, "items", "page", "per_page", "total")
	if whole["page"] != 1.0 || whole["per_page"] != 50.0 || whole["total"] != float64(len(items)) {
		t.Errorf("timeline list: page %v, per_page %v, total %v of %d items", whole["page"], whole["per_page"], whole["total"], len(items))
	}
	second := s.api(t, s.Admin, http.MethodGet, self+"/timeline?per_page=1&page=2", nil)
	wantStatus(t, "timeline page 2", second, http.StatusOK)
	if got := apiItems(t, second); len(got) != 1 || fmt.Sprint(got[0]["at"]) != fmt.Sprint(items[1]["at"]) {
		t.Errorf("timeline page 2 of 1 per page: %v, want the second entry %v", got, items[1])
	}
	wantProblem(t, "timeline with a bad page", s.api(t, s.Admin, http.MethodGet, self+"/timeline?page=first", nil), http.StatusBadRequest)
}

// csvExport: the list's filters select the rows; excel=1 writes another flavour of the same.
func (x *apiSuite) csvExport(t *testing.T) {
	s := x.s
	apiCreate(t, s, map[string]any{"first_name": "Carl", "last_name": "Csvmarker", "email": "carl.csv@example.org"})
	apiCreate(t, s, map[string]any{"first_name": "Cläre", "last_name": "Csvmarker", "email": "claere.csv@example.org", "status": "paused"})
	r := s.api(t, s.Admin, http.MethodGet, "/api/v1/members/export.csv?q=Csvmarker", nil)
	wantStatus(t, "export", r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("export: Content-Type %q, want text/csv", ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, r.Body)
	}
	if len(rows) != 3 || !bytes.Contains(r.Body, []byte("carl.csv@example.org")) || !bytes.Contains(r.Body, []byte("claere.csv@example.org")) {
		t.Errorf("export q=Csvmarker: want a header and both members:\n%s", r.Body)
	}
	r = s.api(t, s.Trainer, http.MethodGet, "/api/v1/members/export.csv?q=Csvmarker&status=paused", nil)
	wantStatus(t, "a trainer's export", r, http.StatusOK)
	if bytes.Contains(r.Body, []byte("carl.csv@example.org")) || !bytes.Contains(r.Body, []byte("claere.csv@example.org")) {
		t.Errorf("export q=Csvmarker&status=paused: want only Cläre:\n%s", r.Body)
	}
	plain := s.api(t, s.Admin, http.MethodGet, "/api/v1/members/export.csv?q=Csvmarker", nil)
	r = s.api(t, s.Admin, http.MethodGet, "/api/v1/members/export.csv?q=Csvmarker&excel=1", nil)
	wantStatus(t, "export excel=1", r, http.StatusOK)
	if !bytes.Contains(r.Body, []byte("carl.csv@example.org")) || bytes.Equal(r.Body, plain.Body) {
		t.Errorf("export excel=1: want the same members written differently:\n%s", r.Body)
	}
	wantProblem(t, "export without a token", s.api(t, "", http.MethodGet, "/api/v1/members/export.csv", nil), http.StatusUnauthorized)
}

// csvImport: 200 with the report, dry_run writes nothing, on_existing skips or updates, an
// invalid row fails the whole file with 422 and writes nothing.
func (x *apiSuite) csvImport(t *testing.T) {
	s := x.s
	imp := func(query, body string) reply {
		return s.api(t, s.Admin, http.MethodPost, "/api/v1/members/import"+query, body, "Content-Type", "text/csv")
	}
	count := func() int {
		_, _, _, total := apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Importmarker", nil))
		return total
	}
	file := "first_name,last_name,email,status\nIvo,Importmarker,ivo.import@example.org,active\n"
	rep := apiReport(t, "dry run", imp("?dry_run=true", file))
	if rep["created"] != 1 || count() != 0 {
		t.Errorf("dry run: report %v, %d members written; want created 1, nothing written", rep, count())
	}
	rep = apiReport(t, "import", imp("?dry_run=false", file))
	if rep["created"] != 1 || count() != 1 {
		t.Errorf("import: report %v, %d members; want created 1", rep, count())
	}
	rep = apiReport(t, "import again, skip", imp("?on_existing=skip", file))
	if rep["skipped"] != 1 || rep["created"] != 0 || count() != 1 {
		t.Errorf("import again with on_existing=skip: report %v, %d members; want skipped 1", rep, count())
	}
	rep = apiReport(t, "import again, update", imp("?on_existing=update", strings.Replace(file, ",active", ",paused", 1)))
	if rep["updated"] != 1 || rep["created"] != 0 || count() != 1 {
		t.Errorf("import with on_existing=update: report %v, %d members; want updated 1", rep, count())
	}
	if items, _, _, _ := apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?q=Importmarker", nil)); len(items) != 1 || items[0]["status"] != "paused" {
		t.Errorf("after on_existing=update: %v, want Ivo paused", items)
	}

	bad := "first_name,last_name,email\nJana,Importmarker,jana.import@example.org\nKurt,Importmarker,not-an-address\n"
	r := imp("", bad)
	p := wantProblem(t, "import with an invalid row", r, http.StatusUnprocessableEntity)
	wantFields(t, "the report of a refused import", p, "created", "updated", "skipped", "errors")
	if errs, _ := p["errors"].([]any); len(errs) == 0 {
		t.Errorf("refused import: no errors: %s", r.Body)
	} else if e, _ := errs[0].(map[string]any); e["message"] == nil || e["message"] == "" {
		t.Errorf("refused import: an error without a message: %v", errs[0])
	}
	if n := count(); n != 1 {
		t.Errorf("a refused import wrote members: %d Importmarker members, want 1", n)
	}
	wantProblem(t, "import as trainer", s.api(t, s.Trainer, http.MethodPost, "/api/v1/members/import", file, "Content-Type", "text/csv"), http.StatusForbidden)
}

// verifications: 202 with the Durable Functions payload; the SMS code from the outbox, a wrong
// one and the right one; the e-mail link from the inbox; the outbox newest first.
func (x *apiSuite) verifications(t *testing.T) {
	s := x.s
	m := apiCreate(t, s, map[string]any{"first_name": "Vera", "last_name": "Verifymarker", "email": "vera.verify@example.org",
		"phone": "+49 151 23456703", "sms_consent": true, "email_consent": true})
	self := fmt.Sprintf("/api/v1/members/%d", apiID(t, m))

	// Before any run there is no code to check.
	if r := s.api(t, s.Admin, http.MethodPost, self+"/verifications/phone/code", map[string]any{"code": "123456"}); r.Status < 400 {
		t.Errorf("a code without a verification: status %d: %s", r.Status, r.Body)
	}
	apiStarted(t, s, "start phone verification", s.api(t, s.Admin, http.MethodPost, self+"/verifications/phone", nil))
	code := apiCode(t, apiWaitSMS(t, s, "+4915123456703"))
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	p := wantProblem(t, "a code that is no code", s.api(t, s.Admin, http.MethodPost, self+"/verifications/phone/code", map[string]any{"code": "abc"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "a code that is no code", p, "code")
	wantProblem(t, "a code with an unknown field", s.api(t, s.Admin, http.MethodPost, self+"/verifications/phone/code", map[string]any{"code": code, "pin": 1}), http.StatusBadRequest)
	res := apiCodeResult(t, s, self, wrong)
	if res["result"] != "wrong" || res["attempts_left"] != float64(4) {
		t.Errorf("wrong code: %v, want result wrong with 4 attempts left (5 by default)", res)
	}
	res = apiCodeResult(t, s, self, code)
	if res["result"] != "verified" {
		t.Errorf("right code: %v, want result verified", res)
	}
	if apiGet(t, s, self)["phone_verified_at"] == nil {
		t.Error("phone verified, but phone_verified_at is null")
	}

	apiStarted(t, s, "start e-mail verification", s.api(t, s.Admin, http.MethodPost, self+"/verifications/email", nil))
	link := apiLink(t, x.mail.wait(t, "vera.verify@example.org"))
	r := apiUntilSent(t, "open the e-mail link", func() reply { return s.anonymous(t).get(t, link.RequestURI()) })
	wantStatus(t, "open the e-mail link", r, http.StatusOK)
	waitFor(t, contractWait, "email_verified_at is set", func() bool { return apiGet(t, s, self)["email_verified_at"] != nil })

	// The outbox, newest first: a second member's code comes before Vera's.
	n := apiCreate(t, s, map[string]any{"first_name": "Nils", "last_name": "Verifymarker", "phone": "+49 151 23456704", "sms_consent": true})
	apiStarted(t, s, "start a second phone verification", s.api(t, s.Admin, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", apiID(t, n)), nil))
	apiWaitSMS(t, s, "+4915123456704")
	items, page, perPage, total := apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/outbox", nil))
	if page != 1 || perPage != 50 || total < 2 {
		t.Errorf("outbox: page %d, per_page %d, total %d", page, perPage, total)
	}
	nils, vera := -1, -1
	var times []time.Time
	for i, it := range items {
		switch {
		case it["to"] == "+4915123456704" && nils < 0:
			nils = i
		case it["to"] == "+4915123456703" && vera < 0:
			vera = i
		}
		if at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(it["created_at"])); err == nil {
			times = append(times, at)
		}
	}
	if nils < 0 || vera < 0 || nils > vera {
		t.Errorf("outbox: Nils's code at %d, Vera's at %d; want both, Nils's first", nils, vera)
	}
	if !slices.IsSortedFunc(times, func(a, b time.Time) int { return b.Compare(a) }) {
		t.Errorf("outbox not newest first: %v", times)
	}
}

// campaigns: list and read with counts, cancel, retry the failed.
func (x *apiSuite) campaigns(t *testing.T) {
	s := x.s
	for _, email := range []string{"cora.camp@example.org", "cleo.camp@example.org", "bounce.camp@example.org"} {
		apiCreate(t, s, map[string]any{"first_name": "Camp", "last_name": "Campmarker", "email": email, "email_consent": true})
	}
	in := map[string]any{"name": "Contract renewal", "channels": []string{"email"}, "audience": map[string]any{"q": "Campmarker"},
		"subject": "Renew", "message": "Hello {{.FirstName}}"}
	started := apiStarted(t, s, "start campaign", s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", in))
	id := apiCampaignID(t, started)
	cp := apiWaitCampaign(t, s, id)
	wantFields(t, "campaign", cp, "id", "name", "channels", "audience", "subject", "message", "start_at", "status", "audience_size", "counts")
	counts, _ := cp["counts"].(map[string]any)
	wantFields(t, "campaign counts", counts, "total", "sent", "failed", "skipped")
	if cp["audience_size"] != float64(3) || counts["total"] != float64(3) || counts["sent"] != float64(2) || counts["failed"] != float64(1) || counts["skipped"] != float64(0) {
		t.Errorf("campaign: audience_size %v, counts %v; want 3 and {3 2 1 0} (one address refused)", cp["audience_size"], counts)
	}

	items, page, perPage, total := apiList(t, s.api(t, s.Trainer, http.MethodGet, "/api/v1/campaigns", nil))
	if page != 1 || perPage != 50 || total < 1 || !slices.ContainsFunc(items, func(c map[string]any) bool { return c["id"] == float64(id) }) {
		t.Errorf("campaigns list: page %d, per_page %d, total %d, campaign %d listed: %v", page, perPage, total, id, items)
	}
	wantProblem(t, "unknown campaign", s.api(t, s.Admin, http.MethodGet, "/api/v1/campaigns/999999", nil), http.StatusNotFound)
	p := wantProblem(t, "invalid campaign", s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns",
		map[string]any{"name": "", "channels": []string{"fax"}, "audience": map[string]any{}, "subject": "S", "message": "M"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "invalid campaign", p, "name", "channels")
	wantProblem(t, "campaign with an unknown field", s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns",
		map[string]any{"name": "X", "channels": []string{"email"}, "subject": "S", "message": "M", "colour": "red"}), http.StatusBadRequest)

	retry := apiStarted(t, s, "retry failed", s.api(t, s.Admin, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/retry-failed", id), nil))
	if rid := apiCampaignID(t, retry); rid == id {
		t.Errorf("retry-failed: campaign_id %d is the original's", rid)
	} else if rc := apiWaitCampaign(t, s, rid); rc["audience_size"] != float64(1) {
		t.Errorf("retry-failed: audience_size %v, want the one failed member", rc["audience_size"])
	}

	later := maps.Clone(in)
	later["name"], later["start_at"] = "Contract later", time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339)
	lid := apiCampaignID(t, apiStarted(t, s, "plan a campaign", s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", later)))
	apiWant2xx(t, "cancel", s.api(t, s.Admin, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/cancel", lid), nil))
	got := apiGet(t, s, fmt.Sprintf("/api/v1/campaigns/%d", lid))
	if got["status"] != "cancelled" && got["status"] != "canceled" {
		t.Errorf("after cancel: status %v", got["status"])
	}
	if c, _ := got["counts"].(map[string]any); c["sent"] != float64(0) {
		t.Errorf("a campaign cancelled before its start sent: %v", c)
	}
}

// ui: every browser path of DESIGN.md answers 200 to a signed-in admin and sends an anonymous
// browser to /login; logging out ends the session.
func (x *apiSuite) ui(t *testing.T) {
	s := x.s
	m := apiCreate(t, s, map[string]any{"first_name": "Uwe", "last_name": "Uimarker", "email": "uwe.ui@example.org", "email_consent": true})
	member := fmt.Sprintf("/members/%d", apiID(t, m))
	inst := apiStarted(t, s, "start a workflow", s.api(t, s.Admin, http.MethodPost, "/api/v1"+member+"/verifications/email", nil))["id"].(string)
	cid := apiCampaignID(t, apiStarted(t, s, "plan a campaign", s.api(t, s.Admin, http.MethodPost, "/api/v1/campaigns", map[string]any{
		"name": "UI", "channels": []string{"email"}, "audience": map[string]any{"q": "Uimarker"}, "subject": "S", "message": "M",
		"start_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)})))
	paths := []string{"/", "/members", "/members/new", member, member + "/edit", "/members/export.csv", "/members/import",
		"/campaigns", "/campaigns/new", fmt.Sprintf("/campaigns/%d", cid), "/workflows", "/workflows/" + url.PathEscape(inst),
		"/audit", "/settings/users", "/settings/tokens", "/outbox"}
	b := s.login(t)
	for _, p := range paths {
		wantStatus(t, "admin GET "+p, b.get(t, p), http.StatusOK)
	}
	anon := s.anonymous(t)
	wantStatus(t, "anonymous GET /login", anon.get(t, "/login"), http.StatusOK)
	for _, p := range paths {
		apiWantLoginRedirect(t, "anonymous GET "+p, anon.get(t, p))
	}
	r := b.post(t, "/logout", url.Values{})
	if r.Status != http.StatusSeeOther && r.Status != http.StatusFound {
		t.Errorf("logout: status %d", r.Status)
	}
	apiWantLoginRedirect(t, "GET / after logout", b.get(t, "/"))
}

// public: /join, /join/{token}/phone and /verify/email/{token} without signing in.
func (x *apiSuite) public(t *testing.T) {
	s := x.s
	b := s.anonymous(t)
	wantStatus(t, "GET /join", b.get(t, "/join"), http.StatusOK)
	r := b.post(t, "/join", url.Values{"first_name": {"Jo"}, "last_name": {"Joinmarker"}, "email": {"jo.join@example.org"},
		"phone": {"+49 151 23456705"}, "birth_date": {"2001-05-06"}, "sms_consent": {"on"}, "email_consent": {"on"}, "privacy": {"on"}})
	if r.Status != http.StatusSeeOther && r.Status != http.StatusFound {
		t.Fatalf("join: status %d: %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || !regexp.MustCompile(`^/join/[^/]+/phone$`).MatchString(loc.Path) {
		t.Fatalf("join: sent to %q, want /join/{token}/phone", r.Header.Get("Location"))
	}
	wantStatus(t, "GET "+loc.Path, s.anonymous(t).get(t, loc.RequestURI()), http.StatusOK)
	link := apiLink(t, x.mail.wait(t, "jo.join@example.org"))
	wantStatus(t, "open the join's e-mail link", apiUntilSent(t, "open the join's e-mail link", func() reply { return s.anonymous(t).get(t, link.RequestURI()) }), http.StatusOK)
	// The token is signed: one changed character makes it worthless. (Not the last one: in
	// unpadded base64 its low bits may carry nothing.)
	mid := len("/verify/email/") + (len(link.Path)-len("/verify/email/"))/2
	forged := s.anonymous(t).get(t, link.Path[:mid]+apiOther(link.Path[mid])+link.Path[mid+1:])
	if forged.Status < 400 || forged.Status >= 500 {
		t.Errorf("a forged e-mail token: status %d, want a 4xx", forged.Status)
	}
}

// apiOther is a character other than c.
func apiOther(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

// webhooks: no session, token or CSRF, but a valid signature, or 403 and nothing changes.
func (x *apiSuite) webhooks(t *testing.T) {
	s := x.s
	m := apiCreate(t, s, map[string]any{"first_name": "Wim", "last_name": "Webhookmarker", "phone": "+49 151 23456706", "sms_consent": true})
	self := fmt.Sprintf("/api/v1/members/%d", apiID(t, m))
	twilio := func(path, signature string, form url.Values) reply {
		req, err := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if signature != "" {
			req.Header.Set("X-Twilio-Signature", signature)
		}
		return s.send(t, http.DefaultClient, req)
	}
	status := url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "MessageStatus": {"delivered"}}
	wantStatus(t, "twilio status unsigned", twilio("/webhooks/twilio/status", "", status), http.StatusForbidden)
	wantStatus(t, "twilio status with a wrong signature", twilio("/webhooks/twilio/status", apiTwilioSign("wrong-token", s.base+"/webhooks/twilio/status", status), status), http.StatusForbidden)
	apiWant2xx(t, "twilio status signed", twilio("/webhooks/twilio/status", apiTwilioSign(apiTwilioToken, s.base+"/webhooks/twilio/status", status), status))

	stop := url.Values{"From": {"+4915123456706"}, "Body": {"STOP"}, "MessageSid": {"SM1123456789abcdef0123456789abcdef"}}
	wantStatus(t, "twilio inbound unsigned", twilio("/webhooks/twilio/inbound", "", stop), http.StatusForbidden)
	wantStatus(t, "twilio inbound with a wrong signature", twilio("/webhooks/twilio/inbound", apiTwilioSign("wrong-token", s.base+"/webhooks/twilio/inbound", stop), stop), http.StatusForbidden)
	if apiGet(t, s, self)["sms_consent"] != true {
		t.Fatal("a refused STOP withdrew the SMS consent")
	}
	apiWant2xx(t, "twilio inbound STOP signed", twilio("/webhooks/twilio/inbound", apiTwilioSign(apiTwilioToken, s.base+"/webhooks/twilio/inbound", stop), stop))
	if apiGet(t, s, self)["sms_consent"] != false {
		t.Error("a signed STOP left the SMS consent")
	}

	events := []byte(`[{"email":"nobody@example.org","event":"delivered","sg_message_id":"none.filter0001","timestamp":1700000000}]`)
	sendgrid := func(headers ...string) reply {
		return s.api(t, "", http.MethodPost, "/webhooks/sendgrid/events", events, headers...)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "sendgrid events unsigned", sendgrid(), http.StatusForbidden)
	wantStatus(t, "sendgrid events signed by another key", sendgrid(apiSendGridSign(t, other, events)...), http.StatusForbidden)
	apiWant2xx(t, "sendgrid events signed", sendgrid(apiSendGridSign(t, x.key, events)...))
}

// fees: a fee of the demo club (`membership seed-demo`; the API creates none) marked paid.
func (x *apiSuite) fees(t *testing.T) {
	s := x.s
	s.cli(t, "seed-demo", "-members", "10")
	fee := apiOpenFee(t, s)
	path := fmt.Sprintf("/api/v1/fees/%d/paid", apiID(t, fee))
	paidOn := time.Now().AddDate(0, 0, -1).Format(time.DateOnly)
	p := wantProblem(t, "pay without a day", s.api(t, s.Admin, http.MethodPost, path, map[string]any{"method": "cash"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "pay without a day", p, "paid_on")
	p = wantProblem(t, "pay on no day", s.api(t, s.Admin, http.MethodPost, path, map[string]any{"paid_on": "yesterday", "method": "cash"}), http.StatusUnprocessableEntity)
	apiWantFieldErrors(t, "pay on no day", p, "paid_on")
	wantProblem(t, "pay with an unknown field", s.api(t, s.Admin, http.MethodPost, path, map[string]any{"paid_on": paidOn, "method": "cash", "tip": 1}), http.StatusBadRequest)
	wantProblem(t, "pay an unknown fee", s.api(t, s.Admin, http.MethodPost, "/api/v1/fees/999999/paid", map[string]any{"paid_on": paidOn, "method": "cash"}), http.StatusNotFound)
	wantStatus(t, "pay", s.api(t, s.Admin, http.MethodPost, path, map[string]any{"paid_on": paidOn, "method": "cash"}), http.StatusOK)
	for _, f := range apiFees(t, s, apiKey(t, fee, "member_id")) {
		if f["id"] == fee["id"] && (f["status"] != "paid" || f["paid_on"] != paidOn) {
			t.Errorf("fee after payment: %v, want paid on %s", f, paidOn)
		}
	}
}

// apiOpenFee finds a fee not yet paid through the only documented way to see fees: a member's
// GDPR export ("everything about one member").
func apiOpenFee(t *testing.T, s *contractServer) map[string]any {
	t.Helper()
	items, _, _, _ := apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/members?per_page=500", nil))
	for _, m := range items {
		for _, f := range apiFees(t, s, apiID(t, m)) {
			if f["status"] != "paid" {
				return f
			}
		}
	}
	t.Fatal("the demo club has no fee left to pay")
	return nil
}

// apiFees lists the fees in a member's GDPR export.
func apiFees(t *testing.T, s *contractServer, memberID int64) []map[string]any {
	t.Helper()
	r := s.api(t, s.Admin, http.MethodGet, fmt.Sprintf("/api/v1/members/%d/export", memberID), nil)
	wantStatus(t, "export", r, http.StatusOK)
	var pd struct {
		Fees []map[string]any `json:"fees"`
	}
	r.JSON(t, &pd)
	return pd.Fees
}

// apiCreate creates a member and answers it.
func apiCreate(t *testing.T, s *contractServer, m map[string]any) map[string]any {
	t.Helper()
	r := s.api(t, s.Admin, http.MethodPost, "/api/v1/members", m)
	wantStatus(t, "create member", r, http.StatusCreated)
	return r.Object(t)
}

// apiGet reads one object.
func apiGet(t *testing.T, s *contractServer, path string) map[string]any {
	t.Helper()
	r := s.api(t, s.Admin, http.MethodGet, path, nil)
	wantStatus(t, "GET "+path, r, http.StatusOK)
	return r.Object(t)
}

// apiID is an object's id.
func apiID(t *testing.T, obj map[string]any) int64 {
	t.Helper()
	return apiKey(t, obj, "id")
}

// apiKey is the positive whole number under key, failing the test without one.
func apiKey(t *testing.T, obj map[string]any, key string) int64 {
	t.Helper()
	n, ok := obj[key].(float64)
	if !ok || n <= 0 || n != float64(int64(n)) {
		t.Fatalf("no %s in %v", key, obj)
	}
	return int64(n)
}

// apiList reads a list answer, failing unless it has all of {items, page, per_page, total}.
func apiList(t *testing.T, r reply) (items []map[string]any, page, perPage, total int) {
	t.Helper()
	wantStatus(t, "list", r, http.StatusOK)
	obj := r.Object(t)
	wantFields(t, "list", obj, "items", "page", "per_page", "total")
	var l struct {
		Items   []map[string]any `json:"items"`
		Page    int              `json:"page"`
		PerPage int              `json:"per_page"`
		Total   int              `json:"total"`
	}
	r.JSON(t, &l)
	if l.Items == nil {
		t.Errorf("list: items is not an array: %s", r.Body)
	}
	return l.Items, l.Page, l.PerPage, l.Total
}

// apiItems reads the entries of a list that may come with or without paging.
func apiItems(t *testing.T, r reply) []map[string]any {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(t, &l)
	return l.Items
}

// apiReport reads an import's 200 report, its counts as ints.
func apiReport(t *testing.T, what string, r reply) map[string]int {
	t.Helper()
	wantStatus(t, what, r, http.StatusOK)
	obj := r.Object(t)
	wantFields(t, what, obj, "created", "updated", "skipped", "errors")
	out := map[string]int{}
	for _, k := range []string{"created", "updated", "skipped"} {
		n, _ := obj[k].(float64)
		out[k] = int(n)
	}
	return out
}

// apiWantFieldErrors fails unless the problem lists errors [{field, message}] naming fields.
func apiWantFieldErrors(t *testing.T, what string, p map[string]any, fields ...string) {
	t.Helper()
	errs, _ := p["errors"].([]any)
	named := map[string]bool{}
	for _, e := range errs {
		fe, _ := e.(map[string]any)
		field, _ := fe["field"].(string)
		if msg, _ := fe["message"].(string); field == "" || msg == "" {
			t.Errorf("%s: an error without field and message: %v", what, e)
		}
		named[field] = true
	}
	for _, f := range fields {
		if !named[f] {
			t.Errorf("%s: no error for %q in %v", what, f, p["errors"])
		}
	}
}

// apiStarted checks a workflow start: 202, Location the status URL, and Durable Functions'
// payload of absolute URLs on server.base_url that carry no token.
func apiStarted(t *testing.T, s *contractServer, what string, r reply) map[string]any {
	t.Helper()
	wantStatus(t, what, r, http.StatusAccepted)
	p := r.Object(t)
	id, _ := p["id"].(string)
	if id == "" {
		t.Fatalf("%s: no instance id: %s", what, r.Body)
	}
	status := s.base + "/runtime/webhooks/durabletask/instances/" + url.PathEscape(id)
	for _, k := range []string{"statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "rewindPostUri",
		"purgeHistoryDeleteUri", "restartPostUri", "suspendPostUri", "resumePostUri"} {
		u, _ := p[k].(string)
		if !strings.HasPrefix(u, s.base+"/") {
			t.Errorf("%s: %s %q is not an absolute URL on %s", what, k, u, s.base)
		}
		if strings.Contains(u, "code=") || strings.Contains(u, s.Admin) {
			t.Errorf("%s: %s %q carries a token", what, k, u)
		}
		if pu, err := url.Parse(u); err != nil || !strings.HasPrefix(pu.Path, "/runtime/webhooks/durabletask/instances/") {
			t.Errorf("%s: %s %q is not an instance URL", what, k, u)
		}
	}
	if u, _ := url.Parse(fmt.Sprint(p["statusQueryGetUri"])); u == nil || u.Scheme+"://"+u.Host+u.EscapedPath() != status {
		t.Errorf("%s: statusQueryGetUri %v, want %s", what, p["statusQueryGetUri"], status)
	}
	if u := fmt.Sprint(p["sendEventPostUri"]); !strings.Contains(u, "{eventName}") {
		t.Errorf("%s: sendEventPostUri %q lacks the {eventName} placeholder", what, u)
	}
	if u := fmt.Sprint(p["terminatePostUri"]); !strings.Contains(u, "reason={text}") {
		t.Errorf("%s: terminatePostUri %q lacks reason={text}", what, u)
	}
	if loc := r.Header.Get("Location"); loc != p["statusQueryGetUri"] {
		t.Errorf("%s: Location %q, want the status URL %v", what, loc, p["statusQueryGetUri"])
	}
	return p
}

// apiCampaignID is the campaign_id of a campaign's start.
func apiCampaignID(t *testing.T, started map[string]any) int64 {
	t.Helper()
	return apiKey(t, started, "campaign_id")
}

// apiWaitCampaign waits until the campaign has completed and answers it.
func apiWaitCampaign(t *testing.T, s *contractServer, id int64) map[string]any {
	t.Helper()
	var cp map[string]any
	waitFor(t, contractWait, fmt.Sprintf("campaign %d completes", id), func() bool {
		cp = apiGet(t, s, fmt.Sprintf("/api/v1/campaigns/%d", id))
		return cp["status"] == "completed"
	})
	return cp
}

// apiCodeResult enters an SMS code and answers the result once the run has checked it.
func apiCodeResult(t *testing.T, s *contractServer, member, code string) map[string]any {
	t.Helper()
	r := apiUntilSent(t, "enter code "+code, func() reply {
		return s.api(t, s.Admin, http.MethodPost, member+"/verifications/phone/code", map[string]any{"code": code})
	})
	wantStatus(t, "enter code "+code, r, http.StatusOK)
	res := r.Object(t)
	wantFields(t, "code result", res, "result", "attempts_left")
	return res
}

// apiUntilSent repeats a code entry while the server answers 409 "no code has been sent yet":
// the message reaches the phone or inbox a moment before the server records it as sent, and a
// code entered in that moment is refused (reported; a person is never that fast).
func apiUntilSent(t *testing.T, what string, enter func() reply) reply {
	t.Helper()
	r := enter()
	for start := time.Now(); r.Status == http.StatusConflict && time.Since(start) < 5*time.Second; r = enter() {
		t.Logf("%s: 409 although the message has arrived; trying again", what)
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// apiWaitSMS waits for the outbox to hold an SMS to phone (E.164) and answers its text.
func apiWaitSMS(t *testing.T, s *contractServer, phone string) string {
	t.Helper()
	var body string
	waitFor(t, contractWait, "an SMS to "+phone, func() bool {
		items, _, _, _ := apiList(t, s.api(t, s.Admin, http.MethodGet, "/api/v1/outbox", nil))
		for _, it := range items {
			if it["to"] == phone {
				body = fmt.Sprint(it["body"])
				return true
			}
		}
		return false
	})
	return body
}

var apiCodePattern = regexp.MustCompile(`\b[0-9]{6}\b`)

// apiCode is the code in an SMS (verification.phone.code_length is 6 by default).
func apiCode(t *testing.T, sms string) string {
	t.Helper()
	code := apiCodePattern.FindString(sms)
	if code == "" {
		t.Fatalf("no code in the SMS %q", sms)
	}
	return code
}

var apiLinkPattern = regexp.MustCompile(`https?://[^\s"'<>]+/verify/email/[^\s"'<>]+`)

// apiLink is the /verify/email/{token} link in an e-mail.
func apiLink(t *testing.T, m apiMail) *url.URL {
	t.Helper()
	raw := apiLinkPattern.FindString(m.Text)
	u, err := url.Parse(raw)
	if raw == "" || err != nil {
		t.Fatalf("no /verify/email/ link in the e-mail: %q", m.Text)
	}
	return u
}

// apiWant2xx fails unless r is a success of any kind: the documents say only that a signed
// webhook is taken, not with which code.
func apiWant2xx(t *testing.T, what string, r reply) {
	t.Helper()
	if r.Status < 200 || r.Status > 299 {
		t.Errorf("%s: status %d, want a success: %s", what, r.Status, r.Body)
	}
}

// apiWantLoginRedirect fails unless r sends the browser to /login.
func apiWantLoginRedirect(t *testing.T, what string, r reply) {
	t.Helper()
	loc, err := url.Parse(r.Header.Get("Location"))
	if (r.Status != http.StatusFound && r.Status != http.StatusSeeOther) || err != nil || loc.Path != "/login" {
		t.Errorf("%s: status %d, Location %q; want a redirect to /login", what, r.Status, r.Header.Get("Location"))
	}
}

// apiTwilioSign signs a webhook as Twilio does: HMAC-SHA1 with the auth token over the full URL
// followed by each POST parameter's name and value, sorted by name, in base64.
func apiTwilioSign(token, fullURL string, form url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range form[k] {
			b.WriteString(k + v)
		}
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// apiSendGridSign signs an event webhook body as SendGrid does: ECDSA (P-256, SHA-256) over
// the timestamp followed by the body, its ASN.1 signature in base64; the header pairs.
func apiSendGridSign(t *testing.T, key *ecdsa.PrivateKey, body []byte) []string {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sum := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return []string{"X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig),
		"X-Twilio-Email-Event-Webhook-Timestamp", ts}
}

// apiMail is an e-mail the SendGrid fake accepted.
type apiMail struct{ To, Subject, Text string }

// apiSendGrid stands in for SendGrid's v3 Mail Send API (POST /v3/mail/send, a JSON body;
// 202 with X-Message-Id). It refuses with SendGrid's 400 every recipient whose address starts
// with "bounce", so that a campaign has failed notices.
type apiSendGrid struct {
	URL   string
	mu    sync.Mutex
	mails []apiMail
}

func apiStartSendGrid(t *testing.T) *apiSendGrid {
	t.Helper()
	f := &apiSendGrid{}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *apiSendGrid) serve(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Personalizations []struct {
			To []struct {
				Email string `json:"email"`
			} `json:"to"`
			Subject string `json:"subject"`
		} `json:"personalizations"`
		Subject string `json:"subject"`
		Content []struct {
			Value string `json:"value"`
		} `json:"content"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" || !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") ||
		json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Personalizations) == 0 || len(body.Personalizations[0].To) == 0 {
		http.Error(w, `{"errors":[{"message":"Bad Request","field":null}]}`, http.StatusBadRequest)
		return
	}
	p := body.Personalizations[0]
	to := p.To[0].Email
	if strings.HasPrefix(to, "bounce") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}`)
		return
	}
	var text strings.Builder
	for _, c := range body.Content {
		text.WriteString(c.Value + "\n")
	}
	f.mu.Lock()
	f.mails = append(f.mails, apiMail{To: to, Subject: p.Subject + body.Subject, Text: text.String()})
	n := len(f.mails)
	f.mu.Unlock()
	w.Header().Set("X-Message-Id", fmt.Sprintf("contract%06d", n))
	w.WriteHeader(http.StatusAccepted)
}

// wait answers the newest e-mail to to, waiting for one to arrive.
func (f *apiSendGrid) wait(t *testing.T, to string) apiMail {
	t.Helper()
	var m apiMail
	waitFor(t, contractWait, "an e-mail to "+to, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i := len(f.mails) - 1; i >= 0; i-- {
			if f.mails[i].To == to {
				m = f.mails[i]
				return true
			}
		}
		return false
	})
	return m
}
