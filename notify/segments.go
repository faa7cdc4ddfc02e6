package notify

import "strings"

// gsmBasic is the GSM 03.38 default alphabet (without the escape code);
// each of these characters takes one 7-bit septet.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the GSM 03.38 extension table: each character is sent as
// the escape code plus itself, two septets.
const gsmExtension = "\f^{}\\[~]|€"

// Segment sizes: a single SMS carries 140 bytes; a concatenated one loses 6
// of them to the user data header that numbers the parts.
const (
	gsmSingle  = 160 // septets
	gsmMulti   = 153
	ucs2Single = 70 // UTF-16 code units
	ucs2Multi  = 67
)

// Segments returns how many SMS parts body is sent as, which is what a
// provider bills: GSM-7 when every character is in the GSM alphabet or its
// extension table (160 septets alone, 153 per part), otherwise UCS-2 (70
// UTF-16 units alone, 67 per part). Like the carriers, it never splits an
// escape sequence or a surrogate pair across parts. An empty body is 0.
func Segments(body string) int {
	if body == "" {
		return 0
	}
	width, single, multi := gsmWidth, gsmSingle, gsmMulti
	if !isGSM(body) {
		width, single, multi = ucs2Width, ucs2Single, ucs2Multi
	}
	total := 0
	for _, r := range body {
		total += width(r)
	}
	if total <= single {
		return 1
	}
	parts, used := 1, 0
	for _, r := range body {
		w := width(r)
		if used+w > multi {
			parts++
			used = 0
		}
		used += w
	}
	return parts
}

func isGSM(body string) bool {
	for _, r := range body {
		if gsmWidth(r) == 0 {
			return false
		}
	}
	return true
}

// gsmWidth returns the septets r takes, 0 when GSM-7 cannot carry it.
// Printable ASCII, nearly all of a German or English text, is decided
// without searching the tables.
func gsmWidth(r rune) int {
	if r >= ' ' && r <= '~' {
		switch r {
		case '`':
			return 0
		case '^', '{', '}', '\\', '[', ']', '~', '|':
			return 2
		}
		return 1
	}
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

// ucs2Width returns the UTF-16 code units r takes: two for a character
// outside the Basic Multilingual Plane (most emoji).
func ucs2Width(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}
