package web_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"membership/members"
	"membership/web/browsertest"
	"membership/web/webtest"
)

var screenshots = flag.String("screenshots", "", "write the README's screenshots (English and German) into this folder, e.g. ../docs")

// TestMemberListInGermanInBrowser: an admin picks Deutsch on the account page; the member list
// then speaks German in a real Chromium — the count with its plural, the search's placeholder,
// the columns, the statuses, the pager, the bulk archive's confirmation and its flash. With
// -screenshots it also writes the README's dashboard in English and in German.
func TestMemberListInGermanInBrowser(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	for i, name := range []string{"Tanaka", "Sato", "Suzuki", "Kobayashi", "Yamamoto"} {
		in := members.MemberInput{FirstName: "Aiko", LastName: name, Email: fmt.Sprintf("aiko%d@example.org", i),
			Phone: fmt.Sprintf("0151 2345678%d", i), Status: members.StatusActive}
		if _, err := app.Members.Create(context.Background(), "user:1", in); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)

	browsertest.Open(ctx, t, app, "/settings/password", `[data-testid="language-form"]`)
	if err := chromedp.Do(ctx, chromedp.SetValue(`#language`, "de")); err != nil {
		t.Fatal(err)
	}
	browsertest.Click(ctx, t, `[data-testid="language-submit"]`)
	browsertest.WaitFor(ctx, t, `html[lang="de"] [data-testid="flash"]`, browsertest.Timeout)
	wantText(ctx, t, `[data-testid="flash"]`, "Deutsch")

	browsertest.Open(ctx, t, app, "/members?per_page=2", `[data-testid="members"]`)
	wantText(ctx, t, `[data-testid="members-count"]`, "5 Mitglieder gefunden")
	wantText(ctx, t, `[data-testid="members"] thead`, "Telefon")
	wantText(ctx, t, `[data-testid="member-row"] [data-status="active"]`, "aktiv")
	wantText(ctx, t, `main`, "Seite 1 von 3")
	placeholder, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="search"]').placeholder`))
	if err != nil || !strings.Contains(placeholder, "suchen") {
		t.Errorf("search placeholder %q, %v", placeholder, err)
	}

	// Search, pick the one found, archive it: the confirmation and the flash are German.
	browsertest.Open(ctx, t, app, "/members?q=Suzuki", `[data-testid="member-row"]`)
	wantText(ctx, t, `[data-testid="members-count"]`, "1 Mitglied gefunden")
	dialogs := browsertest.AcceptDialogs(ctx)
	browsertest.Click(ctx, t, `[data-testid="member-row"] input[name="id"]`)
	browsertest.Click(ctx, t, `button[value="archive"]`)
	if msg := <-dialogs; msg != "Die ausgewählten Mitglieder archivieren?" {
		t.Errorf("confirmation %q", msg)
	}
	browsertest.WaitFor(ctx, t, `[data-testid="flash"]`, browsertest.Timeout)
	wantText(ctx, t, `[data-testid="flash"]`, "1 Mitglied archiviert.")
	writeScreenshots(t)
}

// writeScreenshots writes the README's screenshots into the -screenshots folder, when one is
// given: the member list of the demo club (seed-demo's data) in English and in German.
func writeScreenshots(t *testing.T) {
	if *screenshots == "" {
		return
	}
	app := webtest.Start(t, webtest.Options{})
	if err := app.Members.SeedDemo(context.Background(), 285, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	browsertest.SignIn(ctx, t, app, webtest.AdminEmail, webtest.AdminPassword)
	for _, shot := range []struct{ lang, file string }{{"en", "screenshot.png"}, {"de", "screenshot-de.png"}} {
		browsertest.Open(ctx, t, app, "/settings/password", `[data-testid="language-form"]`)
		if err := chromedp.Do(ctx, chromedp.SetValue(`#language`, shot.lang)); err != nil {
			t.Fatal(err)
		}
		browsertest.Click(ctx, t, `[data-testid="language-submit"]`)
		browsertest.WaitFor(ctx, t, `html[lang="`+shot.lang+`"] [data-testid="flash"]`, browsertest.Timeout)
		browsertest.Open(ctx, t, app, "/members?per_page=10", `[data-testid="members"]`)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*screenshots, shot.file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
