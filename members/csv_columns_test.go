package members

import "testing"

// TestHeaderAliasesAreUnique: a header that two columns claim would be imported into whichever
// the map saw last.
func TestHeaderAliasesAreUnique(t *testing.T) {
	owner := map[string]string{}
	for _, c := range csvColumnList() {
		if c.set == nil && len(c.aliases) > 0 {
			t.Errorf("%s has aliases but is not imported", c.name)
		}
		for _, h := range append([]string{c.name}, c.aliases...) {
			k := headerKey(h)
			if prev, ok := owner[k]; ok && prev != c.name {
				t.Errorf("header %q (%s) names both %s and %s", h, k, prev, c.name)
			}
			owner[k] = c.name
		}
	}
}

func TestNeutraliseRoundTrip(t *testing.T) {
	for _, v := range []string{"", "plain", "=1+1", "+49 30", "-x", "@x", "\tx", "\rx", "'", "'=x", "''@x", "'plain", "x=1"} {
		if got := unneutralise(neutralise(v, false)); got != v {
			t.Errorf("%q → %q → %q", v, neutralise(v, false), got)
		}
		if n := neutralise(v, false); n != "" && formulaStart(n[0]) {
			t.Errorf("%q exported as %q, which a spreadsheet evaluates", v, n)
		}
	}
	for _, tc := range []struct{ in, want string }{{"+4915123456789", "+4915123456789"}, {"+49 151", "'+49 151"}, {"+1=2", "'+1=2"}} {
		if got := neutralise(tc.in, true); got != tc.want {
			t.Errorf("phone %q exported as %q, want %q", tc.in, got, tc.want)
		}
	}
}
