package members

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Search works on words, not substrings: each member has rows in member_terms for every word of
// the names, the e-mail address (whole, local part, domain and their pieces) and the phone
// number's digit forms. A query matches a member when every query word is the prefix of one of
// the member's terms. A prefix is a range in a B-tree index, so search stays an index lookup at
// 100,000 members, where LIKE '%…%' would read every row.

// searchTerms are the terms stored for a member.
func searchTerms(firstName, lastName, email, phone string) []string {
	var terms []string
	for _, name := range []string{firstName, lastName} {
		terms = append(terms, wordTerms(name)...)
	}
	if email != "" {
		email = strings.ToLower(email)
		local, domain, _ := strings.Cut(email, "@")
		terms = append(terms, email, local, domain)
		terms = append(terms, wordTerms(email)...)
	}
	if phone != "" {
		terms = append(terms, phoneSearchForms(phone)...)
	}
	terms = slices.DeleteFunc(terms, func(t string) bool { return t == "" })
	slices.Sort(terms)
	return slices.Compact(terms)
}

// wordTerms lower-cases s and returns it whole ("müller-lüdenscheidt"), its words ("müller",
// "lüdenscheidt") and their spellings without diacritics ("muller", and "mueller" as Germans
// write ü without the dots), so "mueller" and "muller" both find "Müller".
func wordTerms(s string) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var out []string
	for _, w := range append(words, strings.Fields(s)...) {
		out = append(out, w, foldAccents(w), germanSpelling(w))
	}
	return out
}

// foldAccents removes diacritics: "müller" → "muller", "josé" → "jose".
func foldAccents(s string) string {
	if isASCII(s) {
		return s
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, strings.ReplaceAll(s, "ß", "ss"))
	if err != nil {
		return s
	}
	return out
}

// germanSpelling writes umlauts as two letters: "müller" → "mueller".
func germanSpelling(s string) string {
	if isASCII(s) {
		return s
	}
	return foldAccents(strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss").Replace(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// nameKey sorts members by last name, then first name, ignoring case and diacritics, so
// "Özdemir" sorts beside "Ozdemir" and not after "Zimmermann".
func nameKey(firstName, lastName string) string {
	return foldAccents(strings.ToLower(strings.TrimSpace(lastName))) + " " + foldAccents(strings.ToLower(strings.TrimSpace(firstName)))
}

// queryWords splits a search into the prefixes to look up. A query that looks like a phone
// number ("0151 234", "+49 151-234") becomes one run of digits, as phone numbers are stored.
func queryWords(q string) []string {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return nil
	}
	if digits, ok := phoneQuery(q); ok {
		return []string{digits}
	}
	return strings.Fields(q)
}

// phoneQuery reports whether q is made only of digits and the separators people type in phone
// numbers, with at least three digits, and returns its digits. An international "00" prefix is
// read like "+".
func phoneQuery(q string) (string, bool) {
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune("+ -/().", r):
		default:
			return "", false
		}
	}
	digits := b.String()
	if len(digits) < 3 {
		return "", false
	}
	if strings.HasPrefix(digits, "00") {
		digits = digits[2:]
	}
	return digits, true
}

// prefixRange returns the half-open range [lo, hi) of the strings that start with prefix, in
// byte order: hi is the prefix with its last rune incremented. UTF-8 byte order is code point
// order, so this holds for any text.
func prefixRange(prefix string) (lo, hi string) {
	r, size := utf8.DecodeLastRuneInString(prefix)
	next := r + 1
	if next >= 0xD800 && next <= 0xDFFF { // surrogates are not valid in UTF-8
		next = 0xE000
	}
	return prefix, prefix[:len(prefix)-size] + string(next)
}
