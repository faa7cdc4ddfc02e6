package sepa

import (
	"strings"
	"testing"
)

func TestToSEPAText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"Jürgen Müller", 70, "Juergen Mueller"},
		{"Ärzte & Öko GbR", 70, "Aerzte + Oeko GbR"},
		{"Straße", 70, "Strasse"},
		{"René Ñúñez", 70, "Rene Nunez"},
		{"Łukasz Øster", 70, "Lukasz Oster"},
		{"  a   b  ", 70, "a b"},
		{"a_b@c", 70, "a b c"},
		{"O'Brien (Jr.), 1/2 + ? : -", 70, "O'Brien (Jr.), 1/2 + ? : -"},
		{"日本", 70, ""},
		{strings.Repeat("ä", 40), 70, strings.Repeat("ae", 35)},
		{"abc def", 4, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ToSEPAText(tt.in, tt.max)
			if got != tt.want {
				t.Fatalf("ToSEPAText(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}
