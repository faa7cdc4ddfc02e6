package sepa

import (
	"bytes"
	"strings"
	"testing"
)

// The parsers read files uploaded by users; whatever they get, they must
// return an error instead of panicking.

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"35,00", "1.234,50", "-35", ".", ",", "1..2", "€", " ", "1 234,50", "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := ParseAmount(s)
		if err == nil && cents < 0 {
			t.Fatalf("ParseAmount(%q) = %d", s, cents)
		}
	})
}

func FuzzParseReturnCSV(f *testing.F) {
	f.Add("IBAN;Mandatsreferenz;Betrag;Grund\nDE02120300000000202051;M-1;35,00;AC04\n")
	f.Add("IBAN,Reference,Amount,Reason\n\"a\"b,\n")
	f.Fuzz(func(t *testing.T, s string) {
		returns, bad, err := ParseReturnCSV(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, r := range returns {
			if r.Line < 2 || r.Amount <= 0 {
				t.Fatalf("implausible return %+v", r)
			}
		}
		for _, b := range bad {
			if b.Line < 1 {
				t.Fatalf("line error without line: %+v", b)
			}
		}
	})
}

func FuzzParseCamt054(f *testing.F) {
	f.Add(`<Document><BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry><Amt>1</Amt><NtryDtls><TxDtls><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`)
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseCamt054(strings.NewReader(s))
	})
}

// FuzzToSEPAText checks that any debtor name becomes text the writer accepts.
func FuzzToSEPAText(f *testing.F) {
	for _, s := range []string{"Jürgen Müller", "日本", "  ", "a\u0301", "ẞ&<>\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := ToSEPAText(s, 70)
		if out != "" && !isSEPAText(out, 70) {
			t.Fatalf("ToSEPAText(%q) = %q is not SEPA text", s, out)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || bytes.Contains([]byte(out), []byte("  ")) {
			t.Fatalf("ToSEPAText(%q) = %q has stray spaces", s, out)
		}
	})
}
