package notify_test

import (
	"strings"
	"testing"

	"membership/notify"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"empty", "", 0},
		{"short gsm", "Your code is 123456", 1},
		{"160 gsm fits one", strings.Repeat("a", 160), 1},
		{"161 gsm needs two", strings.Repeat("a", 161), 2},
		{"306 gsm is two parts of 153", strings.Repeat("a", 306), 2},
		{"307 gsm needs three", strings.Repeat("a", 307), 3},
		{"gsm accented letters stay gsm", strings.Repeat("é", 160), 1},
		{"extension chars count two", strings.Repeat("€", 80), 1},
		{"81 extension chars overflow", strings.Repeat("€", 81), 2},
		{"escape never split", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 10), 2},
		{"escape pushed to next part", strings.Repeat("a", 152) + strings.Repeat("{", 77), 3},
		{"german umlaut ü is gsm", "Grüße aus dem Dojo", 1},
		{"ß is gsm, ê is not", "Straße, fête", 1},
		{"70 ucs2 fits one", strings.Repeat("ê", 70), 1},
		{"71 ucs2 needs two", strings.Repeat("ê", 71), 2},
		{"134 ucs2 is two", strings.Repeat("ê", 134), 2},
		{"135 ucs2 is three", strings.Repeat("ê", 135), 3},
		{"emoji takes two units", strings.Repeat("🥋", 35), 1},
		{"36 emoji overflow", strings.Repeat("🥋", 36), 2},
		{"surrogate pair never split", strings.Repeat("ê", 66) + "🥋" + strings.Repeat("ê", 66), 3},
		{"one non-gsm char switches all", strings.Repeat("a", 69) + "ê", 1},
		{"cyrillic", "Привет", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := notify.Segments(tc.body); got != tc.want {
				t.Errorf("Segments(%q) = %d, want %d", tc.body, got, tc.want)
			}
		})
	}
}

func BenchmarkSegments(b *testing.B) {
	body := strings.Repeat("Bitte zahle deinen Beitrag bis Freitag. ", 8)
	for b.Loop() {
		notify.Segments(body)
	}
}
