package templates_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/a-h/templ/parser/v2"
)

// readAttributes are the attributes whose constant values a person reads.
var readAttributes = []string{"placeholder", "title", "aria-label", "alt", "data-confirm", "label"}

// letters finds a word: text with a letter in it is words for a person to read.
var letters = regexp.MustCompile(`\pL`)

// TestNoLiteralText fails when a template holds text a person reads that bypasses the message
// catalogue: every word goes through T or N, so each language shows its own. Text without a
// letter (·, –, →, €) may stand as it is.
func TestNoLiteralText(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	for _, f := range files {
		tf, err := parser.Parse(f)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		var found []string
		for _, n := range tf.Nodes {
			if ht, ok := n.(*parser.HTMLTemplate); ok {
				found = append(found, literals(ht.Children)...)
			}
		}
		switch {
		case slices.Contains(untranslated, f) && len(found) == 0:
			t.Errorf("%s has no literal text left: take it off the untranslated list", f)
		case !slices.Contains(untranslated, f):
			for _, l := range found {
				t.Errorf("%s:%s", f, l)
			}
		}
	}
}

// untranslated lists the templates still to be moved onto the catalogue (issue 14). It only
// shrinks: a listed file without literals fails the test too.
var untranslated = []string{}

// literals lists the literal words in nodes, with their lines.
func literals(nodes []parser.Node) []string {
	var out []string
	for _, n := range nodes {
		switch n := n.(type) {
		case *parser.Text:
			if letters.MatchString(n.Value) {
				out = append(out, fmt.Sprintf("%d: text %q", n.Range.From.Line+1, strings.TrimSpace(n.Value)))
			}
		case *parser.Element:
			out = append(out, attributeLiterals(n.Attributes)...)
		}
		if c, ok := n.(parser.CompositeNode); ok {
			out = append(out, literals(c.ChildNodes())...)
		}
	}
	return out
}

func attributeLiterals(attrs []parser.Attribute) []string {
	var out []string
	for _, a := range attrs {
		switch a := a.(type) {
		case *parser.ConstantAttribute:
			if slices.Contains(readAttributes, a.Key.String()) && letters.MatchString(a.Value) {
				out = append(out, fmt.Sprintf("%d: %s=%q", a.Range.From.Line+1, a.Key, a.Value))
			}
		case *parser.ConditionalAttribute:
			out = append(out, attributeLiterals(a.Then)...)
			out = append(out, attributeLiterals(a.Else)...)
		}
	}
	return out
}
