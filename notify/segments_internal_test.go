package notify

import (
	"strings"
	"testing"
)

// TestGSMWidthMatchesTables checks the ASCII shortcut in gsmWidth against
// the GSM 03.38 tables it stands in for.
func TestGSMWidthMatchesTables(t *testing.T) {
	for r := rune(0); r < 0x2100; r++ {
		want := 0
		switch {
		case strings.ContainsRune(gsmBasic, r):
			want = 1
		case strings.ContainsRune(gsmExtension, r):
			want = 2
		}
		if got := gsmWidth(r); got != want {
			t.Errorf("gsmWidth(%q) = %d, want %d", r, got, want)
		}
	}
	if got := gsmWidth('€'); got != 2 {
		t.Errorf("gsmWidth('€') = %d, want 2", got)
	}
}
