package sepa

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The EPC restricts SEPA text fields to a Latin subset. Some banks accept
// more (umlauts, for instance) but not every bank in the chain does, so we
// always send the safe subset.

// isSEPAChar reports whether c is in the EPC basic character set
// [A-Za-z0-9+?/:().,' -].
func isSEPAChar(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '+', '?', '/', '-', ':', '(', ')', '.', ',', '\'', ' ':
		return true
	}
	return false
}

// isSEPAText reports whether s is non-empty, at most max bytes and only uses
// the SEPA character set (which is ASCII, so bytes are characters).
func isSEPAText(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range s {
		if !isSEPAChar(c) {
			return false
		}
	}
	return true
}

// transliterations are the German conventions; a plain accent strip would
// turn "Müller" into "Muller", which the member would not recognize.
var transliterations = map[rune]string{
	'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss",
	'Ä': "Ae", 'Ö': "Oe", 'Ü': "Ue", 'ẞ': "SS",
	'&': "+", 'Æ': "AE", 'æ': "ae", 'Ø': "O", 'ø': "o", 'Œ': "OE", 'œ': "oe",
	'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Þ': "Th", 'þ': "th",
}

// ToSEPAText converts s into the SEPA character set and cuts it to max
// characters: German umlauts are transliterated (ä→ae, ß→ss), other accents
// are stripped (é→e), anything else becomes a space; runs of spaces collapse
// and the ends are trimmed, so names from a web form stay readable.
func ToSEPAText(s string, max int) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // drops leading spaces
	put := func(c rune) {
		if c == ' ' {
			if space {
				return
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(c)
	}
	for _, r := range s {
		if isSEPAChar(r) {
			put(r)
			continue
		}
		if t, ok := transliterations[r]; ok {
			for _, c := range t {
				put(c)
			}
			continue
		}
		// Decompose (é → e + ◌́) and keep the base letters only.
		kept := false
		for _, c := range norm.NFD.String(string(r)) {
			if isSEPAChar(c) && c != ' ' {
				put(c)
				kept = true
			} else if unicode.Is(unicode.Mn, c) {
				continue
			}
		}
		if !kept {
			put(' ')
		}
	}
	out := strings.TrimRight(b.String(), " ")
	if len(out) > max {
		out = strings.TrimRight(out[:max], " ")
	}
	return out
}
