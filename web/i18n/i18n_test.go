package i18n_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"membership/web/i18n"
)

// TestKeyParity fails when a message key exists in one language and not in another.
func TestKeyParity(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := c.Keys(i18n.Fallback)
	for _, lang := range c.Languages() {
		got := c.Keys(lang)
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("%s.yaml lacks %q", lang, k)
			}
		}
		for _, k := range got {
			if !slices.Contains(want, k) {
				t.Errorf("%s.yaml has %q, which %s.yaml lacks", lang, k, i18n.Fallback)
			}
		}
	}
	if len(c.Languages()) < 2 || !c.Has("de") {
		t.Errorf("languages %v, want at least en and de", c.Languages())
	}
}

// keyUse finds the message keys the code asks for by literal: T(ctx, "key"), t(c, "key"),
// N(ctx, "key", …), l.T("key") and Label: "key" in the navigation.
var keyUse = regexp.MustCompile(`\b(?:T|t|N|Tf)\((?:ctx|c|r|l)?,?\s*"([a-z0-9_]+\.[a-z0-9_.]+)"|Label: "([a-z0-9_]+\.[a-z0-9_.]+)"`)

// TestKeysUsedExist fails when the web code or a template asks for a key no file has: the
// page would show the key itself.
func TestKeysUsedExist(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	keys := c.Keys(i18n.Fallback)
	files, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../templates/*.templ")
	views, _ := filepath.Glob("../templates/view.go")
	// The activities word the admins' e-mails from the catalogue too.
	activities, _ := filepath.Glob("../../activities/*.go")
	files = append(append(append(files, more...), views...), activities...)
	used := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyUse.FindAllStringSubmatch(string(b), -1) {
			k := m[1] + m[2]
			used++
			if !slices.Contains(keys, k) {
				t.Errorf("%s asks for %q, which en.yaml lacks", filepath.Base(f), k)
			}
		}
	}
	if used == 0 {
		t.Fatal("found no key in use: the pattern no longer fits the code")
	}
}

func TestLocalizer(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 5, 18, 30, 0, 0, time.UTC)
	files := fstest.MapFS{
		"l/en.yaml": {Data: []byte("members.count: {one: \"{{.Count}} member\", other: \"{{.Count}} members\"}\nhello: \"Hello {{.Name}}\"\n")},
		"l/de.yaml": {Data: []byte("members.count: {one: \"{{.Count}} Mitglied\", other: \"{{.Count}} Mitglieder\"}\nhello: \"Hallo {{.Name}}\"\n")},
	}
	small, err := i18n.LoadFS(files, "l")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"en date", c.Localizer("en").Date(day), "Dec 5, 2026"},
		{"de date", c.Localizer("de").Date(day), "05.12.2026"},
		{"de time", c.Localizer("de").Time(day), "18:30"},
		{"en money", c.Localizer("en").Money(4500, "EUR"), "€45.00"},
		{"de money", c.Localizer("de").Money(4500, "EUR"), "45,00 €"},
		{"de number", c.Localizer("de").Number(12345), "12.345"},
		{"en number", c.Localizer("en").Number(12345), "12,345"},
		{"en duration", c.Localizer("en").Duration(90 * time.Minute), "1 hour 30 minutes"},
		{"de duration", c.Localizer("de").Duration(10 * time.Minute), "10 Minuten"},
		{"de one hour", c.Localizer("de").Duration(time.Hour + 20*time.Second), "1 Stunde"},
		{"de one", small.Localizer("de").N("members.count", 1), "1 Mitglied"},
		{"de other", small.Localizer("de").N("members.count", 3), "3 Mitglieder"},
		{"de thousands", small.Localizer("de").N("members.count", 1200), "1.200 Mitglieder"},
		{"en one", small.Localizer("en").N("members.count", 1), "1 member"},
		{"fields", small.Localizer("de").T("hello", "Name", "Anna"), "Hallo Anna"},
		{"unknown language falls back", small.Localizer("fr").T("hello", "Name", "Anna"), "Hello Anna"},
		{"missing key shows itself", small.Localizer("de").T("no.such.key"), "no.such.key"},
		{"accept-language", c.Match("de-CH,de;q=0.9,en;q=0.5", "en"), "de"},
		{"accept-language none fits", c.Match("fr-FR", "de"), "de"},
		{"accept-language empty", c.Match("", "en"), "en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// CLDR puts a no-break space between amount and sign in German.
			if got := strings.ReplaceAll(tc.got, "\u00a0", " "); got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}
