package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"membership/members"
	"membership/web/webtest"
)

// Valid SEPA data from the banks' published examples.
const (
	testCreditorID = "DE98ZZZ09999999999"
	testIBAN       = "DE89370400440532013000"
	testIBANShown  = "DE89 3704 0044 0532 0130 00"
)

// goodSettings is a complete settings form.
func goodSettings() url.Values {
	return url.Values{"creditor_name": {"TSV Beispiel e.V."}, "creditor_id": {testCreditorID}, "iban": {testIBAN},
		"bic": {""}, "prenotify_days": {"14"}, "return_days": {"10"}}
}

// wantInBody fails for every want the body lacks.
func wantInBody(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %s", what, w)
		}
	}
}

func TestCollectionSettingsForm(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)

	bad := goodSettings()
	bad.Set("iban", "DE00370400440532013000")
	bad.Set("creditor_id", "DE00ZZZ0999")
	resp, body := admin.PostFormBody(t, "/collections/settings", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings: status %d, want 422", resp.StatusCode)
	}
	doc := parse(t, body)
	for field, want := range map[string]string{"iban": "is not a valid IBAN", "creditor_id": "is not a valid SEPA creditor identifier"} {
		if got := doc.Find(`[data-testid="error-` + field + `"]`).Text(); got != want {
			t.Errorf("error next to %s = %q, want %q", field, got, want)
		}
		if got, _ := doc.Find(`input#` + field).Attr("value"); got != bad.Get(field) {
			t.Errorf("%s kept as %q, want %q", field, got, bad.Get(field))
		}
	}
	if got, _ := doc.Find(`input#creditor_name`).Attr("value"); got != "TSV Beispiel e.V." {
		t.Errorf("creditor name kept as %q", got)
	}

	resp = admin.PostForm(t, "/collections/settings", goodSettings())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good settings: status %d, want 303", resp.StatusCode)
	}
	set, err := app.Members.CollectionSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if set.CreditorID != testCreditorID || set.IBAN != testIBAN || !set.Complete() {
		t.Errorf("stored settings %+v", set)
	}
	doc = page(t, admin, resp.Header.Get("Location"), http.StatusOK)
	if got := doc.Find(`[data-testid="flash"]`).Text(); got != "Direct debit settings saved." {
		t.Errorf("flash %q", got)
	}
	if doc.Find(`[data-testid="settings-incomplete"]`).Length() != 0 {
		t.Error("complete settings still warned about")
	}
}

func TestCollectionsListAndCreate(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)

	doc := page(t, admin, "/collections", http.StatusOK)
	if doc.Find(`[data-testid="empty"]`).Length() != 1 {
		t.Error("no empty state on the list without runs")
	}
	if doc.Find(`[data-testid="settings-incomplete"]`).Length() != 1 {
		t.Error("no warning about the missing settings")
	}
	if got := doc.Find(`nav a[aria-current="page"]`).Text(); got != "Direct debit" {
		t.Errorf("nav entry %q, want Direct debit", got)
	}
	today := time.Now().In(app.Config.Club.Location())
	wantDefault := today.AddDate(0, 0, members.DefaultPrenotifyDays).Format("2006-01-02")
	if got, _ := doc.Find(`input#collect_on`).Attr("value"); got != wantDefault {
		t.Errorf("default day %q, want %q", got, wantDefault)
	}

	// Without settings the run is refused next to the date.
	resp, body := admin.PostFormBody(t, "/collections", url.Values{"collect_on": {wantDefault}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("without settings: %d", resp.StatusCode)
	}
	wantInBody(t, "refused run", body, `data-testid="error-collect_on"`, "needs the club&#39;s creditor name")

	if resp := admin.PostForm(t, "/collections/settings", goodSettings()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", resp.StatusCode)
	}
	soon := today.AddDate(0, 0, 3).Format("2006-01-02")
	resp, body = admin.PostFormBody(t, "/collections", url.Values{"collect_on": {soon}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("too soon: %d", resp.StatusCode)
	}
	doc = parse(t, body)
	want := fmt.Sprintf("must be on or after %s: payers hear of a debit 14 days ahead", today.AddDate(0, 0, members.DefaultPrenotifyDays).Format("Jan 2, 2006"))
	if got := doc.Find(`[data-testid="error-collect_on"]`).Text(); got != want {
		t.Errorf("too soon says %q, want %q", got, want)
	}
	if got, _ := doc.Find(`input#collect_on`).Attr("value"); got != soon {
		t.Errorf("typed day kept as %q, want %q", got, soon)
	}

	resp = admin.PostForm(t, "/collections", url.Values{"collect_on": {wantDefault}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/collections/") {
		t.Fatalf("create: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	doc = page(t, admin, resp.Header.Get("Location"), http.StatusOK)
	if got, _ := doc.Find(`[data-testid="collection-status"]`).First().Attr("data-status"); got != "planned" {
		t.Errorf("new run %q, want planned", got)
	}
	if doc.Find(`[data-testid="collection-progress"][hx-get]`).Length() != 1 {
		t.Error("a planned run's progress does not poll")
	}
	doc = page(t, admin, "/collections", http.StatusOK)
	if n := doc.Find(`[data-testid="collection-row"]`).Length(); n != 1 {
		t.Errorf("list shows %d runs, want 1", n)
	}
	if resp := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword).PostForm(t, "/collections", url.Values{"collect_on": {wantDefault}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer plans a run: %d, want 403", resp.StatusCode)
	}
}

func TestMandateForm(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	m := createMember(t, app, "Ada", "Okafor", "ada@example.org")
	path := fmt.Sprintf("/members/%d", m.ID)

	doc := page(t, admin, path, http.StatusOK)
	if doc.Find(`[data-testid="no-mandate"]`).Length() != 1 {
		t.Error("no 'no mandate' on a member without one")
	}
	bad := url.Values{"iban": {"DE00 3704 0044 0532 0130 00"}, "holder": {"Ada Okafor"}, "signed_on": {"2025-01-15"}}
	resp, body := admin.PostFormBody(t, path+"/mandate", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad mandate: %d", resp.StatusCode)
	}
	doc = parse(t, body)
	if got := doc.Find(`[data-testid="error-iban"]`).Text(); got != "is not a valid IBAN" {
		t.Errorf("iban error %q", got)
	}
	if got, _ := doc.Find(`[data-testid="mandate-form"] input#iban`).Attr("value"); got != bad.Get("iban") {
		t.Errorf("iban kept as %q", got)
	}

	good := url.Values{"iban": {testIBAN}, "signed_on": {"2025-01-15"}}
	resp = admin.PostForm(t, path+"/mandate", good)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("good mandate: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	doc = page(t, admin, path, http.StatusOK)
	if got := doc.Find(`[data-testid="mandate-iban"]`).Text(); got != testIBANShown {
		t.Errorf("member page shows IBAN %q, want it in full: %q", got, testIBANShown)
	}
	if got := page(t, admin, "/audit", http.StatusOK).Find(`td[data-action="mandate_set"]`).First().Text(); got != "direct debit mandate set" {
		t.Errorf("audit log names the mandate %q", got)
	}
	if got := doc.Find(`[data-testid="mandate-sequence"]`).Text(); !strings.Contains(got, "FRST") {
		t.Errorf("next debit %q, want a first one", got)
	}
	if got := doc.Find(`[data-testid="mandate-reference"]`).Text(); got == "" {
		t.Error("no generated mandate reference")
	}

	resp = admin.PostForm(t, path+"/mandate/revoke", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	doc = page(t, admin, path, http.StatusOK)
	if doc.Find(`[data-testid="no-mandate"]`).Length() != 1 || doc.Find(`[data-testid="revoked-mandates"] li`).Length() != 1 {
		t.Error("revoked mandate not listed as revoked")
	}
	// Trainers see the member, not the mandate.
	doc = page(t, app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword), path, http.StatusOK)
	if doc.Find(`[data-testid="mandate"]`).Length() != 0 {
		t.Error("a trainer sees the mandate section")
	}
}

// TestCollectionMasksIBAN: the member's page shows the IBAN in full, the run's page masked.
func TestCollectionMasksIBAN(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := context.Background()
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	if _, err := app.Members.SaveCollectionSettings(ctx, "test", members.CollectionSettings{CreditorName: "TSV Beispiel e.V.",
		CreditorID: testCreditorID, IBAN: "DE02120300000000202051", PrenotifyDays: 14, ReturnDays: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Members.CreatePlan(ctx, "test", members.PlanInput{Name: "Adults", FeeAmount: 3900, Currency: "EUR", Period: members.Monthly}); err != nil {
		t.Fatal(err)
	}
	m, err := app.Members.Create(ctx, "test", members.MemberInput{FirstName: "Ada", LastName: "Okafor", Email: "ada@example.org",
		Status: members.StatusActive, Plan: "Adults", JoinedOn: members.NewDate(2024, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Members.SetMandate(ctx, "test", m.ID, members.MandateInput{IBAN: testIBAN, SignedOn: members.NewDate(2024, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Members.CreateFeesForPeriod(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	today := members.DateOf(time.Now().In(app.Config.Club.Location()))
	col, err := app.Members.CreateCollection(ctx, "test", today.AddDays(20))
	if err != nil {
		t.Fatal(err)
	}
	counts, err := app.Members.SelectCollectionFees(ctx, col.ID)
	if err != nil || counts.Fees != 1 {
		t.Fatalf("selected %+v, %v; want one fee", counts, err)
	}

	doc := page(t, admin, fmt.Sprintf("/members/%d", m.ID), http.StatusOK)
	if got := doc.Find(`[data-testid="mandate-iban"]`).Text(); got != testIBANShown {
		t.Errorf("member page IBAN %q, want %q", got, testIBANShown)
	}
	doc = page(t, admin, fmt.Sprintf("/collections/%d", col.ID), http.StatusOK)
	iban := doc.Find(`[data-testid="debit-iban"]`).Text()
	if iban == "" || strings.Contains(iban, "0532 0130") || strings.Contains(iban, "05320130") || !strings.HasPrefix(iban, "DE89") {
		t.Errorf("collection page IBAN %q, want it masked", iban)
	}
	if got := doc.Find(`[data-testid="notify-progress"]`).Length(); got != 1 {
		t.Error("a notifying run shows no progress bar")
	}
	if got := doc.Find(`[data-testid="total"]`).Text(); got != "€39.00" {
		t.Errorf("total %q, want €39.00", got)
	}
	if body := doc.Text(); strings.Contains(body, testIBAN) {
		t.Error("collection page holds the full IBAN")
	}
	resp, _ := admin.Get(t, fmt.Sprintf("/collections/%d/file", col.ID))
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("file before it is built: %d, want 409", resp.StatusCode)
	}
	doc = page(t, admin, fmt.Sprintf("/collections/%d/progress", col.ID), http.StatusOK)
	if doc.Find(`[data-testid="collection-progress"]`).Length() != 1 {
		t.Error("progress fragment missing")
	}

	// Once the file is built the page offers it, and the run can no longer be cancelled.
	if _, err := app.Members.BuildCollectionFile(ctx, col.ID); err != nil {
		t.Fatal(err)
	}
	doc = page(t, admin, fmt.Sprintf("/collections/%d", col.ID), http.StatusOK)
	if href, _ := doc.Find(`[data-testid="download-file"]`).Attr("href"); href != fmt.Sprintf("/collections/%d/file", col.ID) {
		t.Errorf("download link %q", href)
	}
	if doc.Find(`[data-confirm^="Cancel the collection"]`).Length() != 0 {
		t.Error("a run with its file built offers to cancel")
	}
	resp, file := admin.Get(t, fmt.Sprintf("/collections/%d/file", col.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(file, "pain.008") || !strings.Contains(file, testIBAN) {
		t.Errorf("file: %d, %.200s", resp.StatusCode, file)
	}
}

// TestCollectionPagesInGerman: the pages speak an admin's German, with its money and dates.
func TestCollectionPagesInGerman(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := adminSpeaking(t, app, "de")

	doc := page(t, admin, "/collections", http.StatusOK)
	if got := doc.Find("h1").Text(); got != "Lastschrift" {
		t.Errorf("heading %q", got)
	}
	if got := squash(doc.Find(`[data-testid="new-collection"] small`).Text()); got != "Die Zahler werden 14 Tage vorher informiert; der früheste Einzugstag liegt so weit von heute entfernt." {
		t.Errorf("hint %q", got)
	}
	if got := doc.Find(`[data-testid="settings-link"]`).Text(); got != "Gläubigerdaten" {
		t.Errorf("settings link %q", got)
	}
	bad := goodSettings()
	bad.Set("creditor_id", "XX")
	resp, body := admin.PostFormBody(t, "/collections/settings", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings: %d", resp.StatusCode)
	}
	if got := parse(t, body).Find(`[data-testid="error-creditor_id"]`).Text(); got != "ist keine gültige Gläubiger-ID" {
		t.Errorf("creditor id error %q", got)
	}
	admin.PostForm(t, "/collections/settings", goodSettings())
	soon := time.Now().In(app.Config.Club.Location()).AddDate(0, 0, 1).Format("2006-01-02")
	_, body = admin.PostFormBody(t, "/collections", url.Values{"collect_on": {soon}})
	earliest := time.Now().In(app.Config.Club.Location()).AddDate(0, 0, 14).Format("02.01.2006")
	if got := parse(t, body).Find(`[data-testid="error-collect_on"]`).Text(); got != "muss am "+earliest+" oder später sein: Die Zahler erfahren 14 Tage vorher von einer Lastschrift" {
		t.Errorf("too soon says %q", got)
	}
	doc = page(t, admin, "/collections/returns", http.StatusOK)
	if got := doc.Find("h1").Text(); got != "Rücklastschriften importieren" {
		t.Errorf("returns heading %q", got)
	}
	m := createMember(t, app, "Ben", "Okafor", "ben@example.org")
	doc = page(t, admin, fmt.Sprintf("/members/%d", m.ID), http.StatusOK)
	if got := doc.Find(`[data-testid="mandate"] header`).Text(); got != "SEPA-Lastschriftmandat" {
		t.Errorf("mandate heading %q", got)
	}
}

// postFile posts data as the form's file field, as the returns form does.
func postFile(t *testing.T, b *webtest.Browser, path, name, data string) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("_csrf", b.CSRF(t)); err != nil {
		t.Fatal(err)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.App.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(out)
}

func TestCollectionReturnsImport(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)

	resp, body := postFile(t, admin, "/collections/returns", "notes.txt", "hello there\n")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unreadable file: %d, want 422", resp.StatusCode)
	}
	if got := parse(t, body).Find(`[data-testid="error-file"]`).Text(); !strings.HasPrefix(got, "cannot be read as a camt.054 or return CSV: ") {
		t.Errorf("file error %q", got)
	}

	csv := "IBAN;Mandatsreferenz;Betrag;Rückgabegrund\n" + testIBAN + ";M1-1;39,00;AC04\n" + testIBAN + ";M1-2;39,00;ZZ99\n"
	resp, body = postFile(t, admin, "/collections/returns", "returns.csv", csv)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("return CSV: %d\n%s", resp.StatusCode, body)
	}
	doc := parse(t, body)
	rows := doc.Find(`[data-testid="return-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("report has %d rows, want 2", rows.Length())
	}
	for i, want := range []string{"AC04 – account closed", "ZZ99 – unknown reason"} {
		row := rows.Eq(i)
		if got := row.Find("td").Eq(2).Text(); got != want {
			t.Errorf("row %d reason %q, want %q", i, got, want)
		}
		if st, _ := row.Attr("data-status"); st != "unmatched" || row.Find("td").Eq(3).Text() != "no debit of ours" {
			t.Errorf("row %d status %q %q, want unmatched", i, st, row.Find("td").Eq(3).Text())
		}
	}
	if got := doc.Find(`[data-testid="reminders"]`).Text(); got != "0 fee reminders started." {
		t.Errorf("reminders %q", got)
	}
}
