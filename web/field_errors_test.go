package web

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"membership/members"
	"membership/web/i18n"
)

func TestFieldErrorsInReadersLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ve := &members.ValidationError{}
	ve.Add("first_name", "required", "is required")
	ve.Add("first_name", "too_long", "is longer than 100 characters", "Max", 100)
	ve.Add("notes", "too_long", "is longer than 5000 characters", "Max", 5000)
	ve.Add("phone", "", "some rule without a code")
	ve.Add("city", "no_such_code", "a code the catalogue lacks")
	for _, tc := range []struct {
		lang string
		want map[string]string
	}{
		{"en", map[string]string{"first_name": "is required", "notes": "is longer than 5000 characters",
			"phone": "some rule without a code", "city": "a code the catalogue lacks"}},
		{"de", map[string]string{"first_name": "Bitte ausfüllen.", "notes": "Höchstens 5000 Zeichen.",
			"phone": "some rule without a code", "city": "a code the catalogue lacks"}},
	} {
		got := fieldErrors(cat.Localizer(tc.lang), ve)
		for field, want := range tc.want {
			if got[field] != want {
				t.Errorf("%s %s = %q, want %q", tc.lang, field, got[field], want)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d fields, want %d: %v", tc.lang, len(got), len(tc.want), got)
		}
	}
	if got := fieldErrors(cat.Localizer("de"), errors.New("disk full")); got != nil {
		t.Errorf("an error that is no validation error gave %v", got)
	}
}

// TestEveryValidationCodeHasMessages reads the members package's source for the codes its
// rules give (problem(code, …), invalid(field, code, …), .Add(field, code, …)) and fails on a
// code the catalogue cannot say in every language, so a new rule cannot show English on a
// German page unnoticed.
func TestEveryValidationCodeHasMessages(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../members/*.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			at := -1
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				switch fn.Name {
				case "problem":
					at = 0
				case "invalid":
					at = 1
				}
			case *ast.SelectorExpr:
				if fn.Sel.Name == "Add" {
					at = 1
				}
			}
			if at < 0 || len(call.Args) <= at {
				return true
			}
			if lit, ok := call.Args[at].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if code, err := strconv.Unquote(lit.Value); err == nil && code != "" {
					codes[code] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	}
	if len(codes) < 30 {
		t.Fatalf("found only %d codes in ../members; has the way rules name codes changed?", len(codes))
	}
	for _, lang := range cat.Languages() {
		have := map[string]bool{}
		for _, k := range cat.Keys(lang) {
			have[k] = true
		}
		for code, pos := range codes {
			if !have["validation."+code] {
				t.Errorf("%s: code %q has no message validation.%s in %s", pos, code, code, lang)
			}
		}
	}
}
