package sepa

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func windows1252(t *testing.T, s string) string {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReturnCSV(t *testing.T) {
	ret := func(line int, e2e, ref, iban string, cents int64, reason string) Return {
		return Return{Line: line, EndToEndID: e2e, MandateRef: ref, IBAN: iban, Amount: cents, Reason: reason}
	}
	tests := []struct {
		name    string
		input   string
		want    []Return
		wantBad []LineError
	}{
		{
			name: "UTF-8 with BOM, semicolons, German header",
			input: "\ufeffIBAN;Mandatsreferenz;Betrag;Rückgabegrund\n" +
				"DE02 1203 0000 0000 2020 51;M-1000-1;-35,00;AC04\n" +
				"DE12500105170648489890;M-1001-1;1.234,50;md06\n",
			want: []Return{
				ret(2, "", "M-1000-1", "DE02120300000000202051", 3500, "AC04"),
				ret(3, "", "M-1001-1", "DE12500105170648489890", 123450, "MD06"),
			},
		},
		{
			name: "Windows-1252 with umlaut header",
			input: windows1252(t, "Rückgabegrund;Betrag;IBAN;Referenz;Verwendungszweck\n"+
				"AM04;12,5;NL91ABNA0417164300;M-1002-2;Beitrag Jürgen\n"),
			want: []Return{ret(2, "", "M-1002-2", "NL91ABNA0417164300", 1250, "AM04")},
		},
		{
			name: "comma separator, English header, quoted amount, end-to-end id",
			input: "End-to-end ID,Mandate reference,IBAN,Amount,Reason code\n" +
				"FEE-2026-000001,M-1000-1,DE02120300000000202051,\"1,234.50\",AC04\n" +
				"FEE-2026-000002,M-1001-1,DE12500105170648489890,35,MS02\n",
			want: []Return{
				ret(2, "FEE-2026-000001", "M-1000-1", "DE02120300000000202051", 123450, "AC04"),
				ret(3, "FEE-2026-000002", "M-1001-1", "DE12500105170648489890", 3500, "MS02"),
			},
		},
		{
			name: "bad amount on line 3, the rest continues",
			input: "iban;reference;amount;reason\n" +
				"DE02120300000000202051;M-1000-1;35.00;AC04\n" +
				"DE12500105170648489890;M-1001-1;fünf;MD06\n" +
				"\n" +
				"NL91ABNA0417164300;M-1002-2;-48,00;SL01\n" +
				"NL91ABNA0417164300;M-1003-1;0,00;SL01\n" +
				"NL91ABNA0417164300;M-1004-1;10,00\n",
			want: []Return{
				ret(2, "", "M-1000-1", "DE02120300000000202051", 3500, "AC04"),
				ret(5, "", "M-1002-2", "NL91ABNA0417164300", 4800, "SL01"),
			},
			wantBad: []LineError{
				{Line: 3, Message: `amount "fünf" is not a number`},
				{Line: 6, Message: "amount is zero"},
				{Line: 7, Message: "reason code is empty"},
			},
		},
		{
			name: "CRLF line ends",
			input: "IBAN;Mandatsreferenz;Betrag;Grund\r\n" +
				"DE02120300000000202051;M-1000-1;35,00;AC04\r\n",
			want: []Return{ret(2, "", "M-1000-1", "DE02120300000000202051", 3500, "AC04")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := ParseReturnCSV(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("ParseReturnCSV: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("returns\n got  %+v\n want %+v", got, tt.want)
			}
			if !reflect.DeepEqual(bad, tt.wantBad) {
				t.Errorf("line errors\n got  %+v\n want %+v", bad, tt.wantBad)
			}
		})
	}
}

func TestParseReturnCSVErrors(t *testing.T) {
	tests := []struct {
		name, input string
		is          error
		mention     string
	}{
		{"empty file", "", nil, "header"},
		{"no reason column", "IBAN;Mandatsreferenz;Betrag\nDE02120300000000202051;M-1;35,00\n", ErrMissingColumn, "Rückgabegrund"},
		{"no amount column", "IBAN,Reference,Reason\n", ErrMissingColumn, "Betrag|Amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseReturnCSV(strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error = %v; want it to mention %q", err, tt.mention)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"35,00", 3500, true},
		{"35.00", 3500, true},
		{"1.234,50", 123450, true},
		{"1,234.50", 123450, true},
		{"35", 3500, true},
		{"-35,00", 3500, true},
		{"- 35,00", 3500, true},
		{"+7,5", 750, true},
		{"35,00 EUR", 3500, true},
		{"35,00 €", 3500, true},
		{"1.234", 123400, true}, // thousands separator, not 1.234 EUR
		{"12.345.678,90", 1234567890, true},
		{",50", 50, true},
		{"", 0, false},
		{"abc", 0, false},
		{"1.2.3", 0, false},
		{"3,5,0", 0, false},
		{"35,", 0, false},
		{"12.34,5", 0, false},
		{"9999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseAmount(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestReasonCodes(t *testing.T) {
	codes := ReasonCodes()
	if len(codes) != 21 {
		t.Fatalf("%d codes", len(codes))
	}
	for i, c := range codes {
		if !ReasonKnown(c) {
			t.Errorf("ReasonKnown(%q) = false", c)
		}
		if i > 0 && codes[i-1] >= c {
			t.Errorf("codes not sorted at %q (ReasonKnown binary-searches them)", c)
		}
	}
	for _, c := range []string{"ac04", " MD06 "} {
		if !ReasonKnown(c) {
			t.Errorf("ReasonKnown(%q) = false", c)
		}
	}
	for _, c := range []string{"", "XX99", "AC05"} {
		if ReasonKnown(c) {
			t.Errorf("ReasonKnown(%q) = true", c)
		}
	}
	codes[0] = "ZZZZ"
	if ReasonCodes()[0] == "ZZZZ" {
		t.Error("ReasonCodes returns the package's own slice")
	}
}
