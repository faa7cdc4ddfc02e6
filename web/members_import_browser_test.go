package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"membership/members"
	"membership/web/browsertest"
	"membership/web/webtest"
)

// TestImportInChromium: an admin uploads an Excel file whose "Name" column holds first names,
// sees the preview map it to the last name, switches the two columns, checks again and imports
// — in a real Chromium, through the multipart upload and the preview's selects.
func TestImportInChromium(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	ctx := browsertest.New(t)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)
	file := filepath.Join(t.TempDir(), "mitglieder.csv")
	if err := os.WriteFile(file, []byte("\uFEFFName;Vorname;Geburtsdatum\r\nAnna;Zeller;01.02.1990\r\nBen;Bauer;03.04.1991\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	browsertest.Open(ctx, t, app, "/members/import", `[data-testid="import-form"]`)
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file})); err != nil {
		t.Fatal(err)
	}
	browsertest.Submit(ctx, t, `[data-testid="import-form"] button[type="submit"]`)
	browsertest.WaitFor(ctx, t, `[data-testid="import-mapping"]`, browsertest.Timeout)
	if got := browsertest.Text(ctx, t, `[data-testid="count-created"] .card-value`); got != "2" {
		t.Fatalf("preview counts %s new members, want 2", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`select[name="map_0"]`), "first_name"),
		chromedp.SetValue(chromedp.CSS(`select[name="map_1"]`), "last_name"),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Submit(ctx, t, `button[value="check"]`)
	browsertest.Submit(ctx, t, `[data-testid="import-go"]`)
	if got := browsertest.Text(ctx, t, `[data-testid="count-created"] .card-value`); got != "2" {
		t.Fatalf("result counts %s added, want 2", got)
	}
	ms, _, err := app.Members.List(context.Background(), members.ListQuery{Filter: members.Filter{Q: "zeller"}})
	if err != nil || len(ms) != 1 || ms[0].FullName() != "Anna Zeller" || ms[0].BirthDate.String() != "1990-02-01" {
		t.Fatalf("imported %+v, %v", ms, err)
	}
	if h1 := browsertest.Text(ctx, t, "h1"); !strings.Contains(h1, "Import done") {
		t.Errorf("result page %q", h1)
	}
}
