package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"membership/config"
	"membership/members"
	"membership/web/webtest"
)

// importReport is the API's answer, success or problem.
type importReport struct {
	Status    int `json:"status"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	Errors    []members.ImportError
}

func memberCount(t *testing.T, app *webtest.App) int64 {
	t.Helper()
	_, n, err := app.Members.List(context.Background(), members.ListQuery{Filter: members.Filter{Status: "all"}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportAPI(t *testing.T) {
	app := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) {
		c.Import.MaxBytes, c.Import.MaxRows = 4096, 3
	}})
	createMember(t, app, "Olga", "Old", "olga@example.org")
	germanWin1252, err := charmap.Windows1252.NewEncoder().String("Vorname;Nachname;E-Mail;Geburtsdatum\r\nJürgen;Müller;j@example.org;04.03.1990\r\n")
	if err != nil {
		t.Fatal(err)
	}
	admin := app.API(t, "admin")
	cases := []struct {
		name      string
		query     string
		body      string
		status    int
		want      importReport
		wantLines []int
		written   int64 // members added
	}{
		{name: "dry run", query: "?dry_run=true", body: "first_name,last_name,email\nA,B,a@example.org\n",
			status: 200, want: importReport{Created: 1}},
		{name: "invalid row writes nothing", query: "", body: "first_name,last_name,email\nA,B,a@example.org\nC,,c@example\n",
			status: 422, want: importReport{Created: 1}, wantLines: []int{3, 3}},
		{name: "duplicate e-mail in the file", body: "first_name,last_name,email\nA,B,d@example.org\nC,D,D@example.org\n",
			status: 422, want: importReport{Created: 1}, wantLines: []int{3}},
		{name: "bad on_existing", query: "?on_existing=merge", body: "first_name,last_name\nA,B\n", status: 422},
		{name: "bad dry_run", query: "?dry_run=perhaps", body: "first_name,last_name\nA,B\n", status: 400},
		{name: "over max_bytes", body: "first_name,last_name\n" + strings.Repeat("A,B\n", 2000), status: 413, wantLines: []int{0}},
		{name: "over max_rows", body: "first_name,last_name\nA,B\nC,D\nE,F\nG,H\n", status: 422, wantLines: []int{0}},
		{name: "only a header", body: "first_name,last_name\n", status: 422, wantLines: []int{0}},
		{name: "german windows-1252", body: germanWin1252, status: 200, want: importReport{Created: 1}, written: 1},
		{name: "existing skipped", query: "?on_existing=skip", body: "first_name,last_name,email\nOlga,New,OLGA@example.org\n",
			status: 200, want: importReport{Skipped: 1}},
		{name: "existing updated", query: "?on_existing=update&dry_run=false", body: "first_name,last_name,email\nOlga,New,olga@example.org\n",
			status: 200, want: importReport{Updated: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := memberCount(t, app)
			resp, body := admin.Do(t, http.MethodPost, "/api/v1/members/import"+tc.query, tc.body, "Content-Type", "text/csv")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != 200 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q, want problem JSON", resp.Header.Get("Content-Type"))
			}
			var got importReport
			webtest.DecodeJSON(t, body, &got)
			if got.Created != tc.want.Created || got.Updated != tc.want.Updated || got.Skipped != tc.want.Skipped {
				t.Errorf("counts %+v, want %+v", got, tc.want)
			}
			if tc.wantLines != nil {
				var lines []int
				for _, e := range got.Errors {
					lines = append(lines, e.Line)
					if e.Message == "" {
						t.Errorf("error without a message: %+v", e)
					}
				}
				if !equalInts(lines, tc.wantLines) {
					t.Errorf("error lines %v, want %v: %s", lines, tc.wantLines, body)
				}
			}
			if n := memberCount(t, app) - before; n != tc.written {
				t.Errorf("%d members added, want %d", n, tc.written)
			}
		})
	}
	resp, _ := app.API(t, "trainer").Do(t, http.MethodPost, "/api/v1/members/import", "first_name,last_name\nA,B\n")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer import: %d, want 403", resp.StatusCode)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// upload posts a file as the import form does.
func upload(t *testing.T, b *webtest.Browser, name, data string, fields url.Values) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fields.Set("_csrf", b.CSRF(t))
	for k := range fields {
		if err := w.WriteField(k, fields.Get(k)); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(data))
	w.Close()
	req, err := http.NewRequest(http.MethodPost, b.App.URL+"/members/import", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp, out.String()
}

var confirmAction = regexp.MustCompile(`action="/members/import/([0-9a-f]{32})"`)

func uploads(t *testing.T, app *webtest.App) []string {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(app.Config.Server.DataDir, "imports"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestImportInBrowser(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	// "Name" and "Vorname" map to the last and first name; the person swaps them.
	file := "Name;Vorname;E-Mail;Geburtsdatum\r\nAnna;Zeller;anna@example.org;01.02.1990\r\nBen;Bauer;ben@example;1990-13-01\r\n"

	resp, body := upload(t, admin, "club.csv", file, url.Values{"on_existing": {"update"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	m := confirmAction.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("preview has no confirm form: %s", body)
	}
	token := m[1]
	for _, want := range []string{`data-testid="import-errors"`, "Geburtsdatum", "is not a date", `<option value="last_name" selected`, `value="update" checked`, "semicolons"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %s", want)
		}
	}
	if strings.Contains(body, `data-testid="import-go"`) {
		t.Error("preview offers to import a file with errors")
	}
	if got := uploads(t, app); len(got) != 1 || got[0] != token+".csv" {
		t.Fatalf("kept uploads %v, want %s.csv", got, token)
	}
	// Importing anyway is refused and writes nothing.
	form := url.Values{"map_0": {"last_name"}, "map_1": {"first_name"}, "map_2": {"email"}, "map_3": {"birth_date"}, "action": {"import"}}
	resp, _ = admin.PostFormBody(t, "/members/import/"+token, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || memberCount(t, app) != 0 {
		t.Fatalf("import with errors: %d, %d members", resp.StatusCode, memberCount(t, app))
	}
	// Leaving out the bad columns and swapping the names makes it importable.
	form = url.Values{"map_0": {"first_name"}, "map_1": {"last_name"}, "map_2": {""}, "map_3": {""}, "action": {"check"}}
	resp, body = admin.PostFormBody(t, "/members/import/"+token, form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="import-go"`) || strings.Contains(body, `data-testid="import-errors"`) {
		t.Fatalf("check with new mapping: %d %s", resp.StatusCode, body)
	}
	form.Set("action", "import")
	resp, body = admin.PostFormBody(t, "/members/import/"+token, form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Import done") {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	ms, _, _ := app.Members.List(context.Background(), members.ListQuery{Sort: "first_name"})
	if len(ms) != 2 || ms[0].FullName() != "Anna Zeller" || ms[0].Email != "" {
		t.Fatalf("imported %+v", ms)
	}
	if got := uploads(t, app); len(got) != 0 {
		t.Errorf("uploads left after the import: %v", got)
	}
	resp, _ = admin.PostFormBody(t, "/members/import/"+token, form)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a used token: %d, want 404", resp.StatusCode)
	}

	// Cancel deletes the upload; a file that cannot be imported never stays.
	_, body = upload(t, admin, "again.csv", file, url.Values{})
	token = confirmAction.FindStringSubmatch(body)[1]
	if resp := admin.PostForm(t, "/members/import/"+token+"/cancel", url.Values{}); resp.StatusCode != http.StatusSeeOther || len(uploads(t, app)) != 0 {
		t.Errorf("cancel: %d, uploads %v", resp.StatusCode, uploads(t, app))
	}
	resp, body = upload(t, admin, "junk.csv", "foo,bar\n1,2\n", url.Values{})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "none of the columns") || len(uploads(t, app)) != 0 {
		t.Errorf("junk: %d, uploads %v", resp.StatusCode, uploads(t, app))
	}

	trainer := app.Login(t, webtest.TrainerEmail, webtest.TrainerPassword)
	if resp, _ := trainer.Get(t, "/members/import"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer sees the import page: %d", resp.StatusCode)
	}
	if resp, _ := upload(t, trainer, "x.csv", file, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("trainer uploads: %d", resp.StatusCode)
	}
}

func TestImportUploadTooLarge(t *testing.T) {
	app := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) { c.Import.MaxBytes = 1024 }})
	admin := app.Login(t, webtest.AdminEmail, webtest.AdminPassword)
	big := "first_name,last_name\n" + strings.Repeat("Anna,Zeller\n", 100)
	resp, body := upload(t, admin, "big.csv", big, url.Values{})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 1 KB") {
		t.Errorf("file over the limit: %d %s", resp.StatusCode, body)
	}
	huge := strings.Repeat("x", 200<<10) // past the multipart slack too: refused before reading
	resp, body = upload(t, admin, "huge.csv", huge, url.Values{})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "import.max_bytes") {
		t.Errorf("upload over the limit: %d %s", resp.StatusCode, body)
	}
}
