package members_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"membership/members"
)

func win1252(t *testing.T, s string) string {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16LE(t *testing.T, s string) string {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseImportReadsWhatSpreadsheetsWrite(t *testing.T) {
	german := "Vorname;Nachname;E-Mail;Handy;Geburtsdatum;Straße;PLZ;Ort;Status;Tarif;Gürtel\r\n" +
		"Jürgen;Müller;j@example.org;0151 23456789;04.03.1990;Hauptstraße 1;10115;Köln;aktiv;Erwachsene;3. Kyu\r\n"
	cases := []struct {
		name      string
		data      string
		encoding  string
		delim     rune
		mapping   []string
		wantCells [][]string
		wantLines []int
	}{
		{
			name: "utf-8 comma", data: "first_name,last_name,email\nAnna,Zeller,a@example.org\n",
			encoding: "UTF-8", delim: ',', mapping: []string{"first_name", "last_name", "email"},
			wantCells: [][]string{{"Anna", "Zeller", "a@example.org"}}, wantLines: []int{2},
		},
		{
			name: "german excel with BOM", data: "\uFEFF" + german,
			encoding: "UTF-8 with BOM", delim: ';',
			mapping:   []string{"first_name", "last_name", "email", "phone", "birth_date", "street", "postal_code", "city", "status", "plan", "rank"},
			wantCells: [][]string{{"Jürgen", "Müller", "j@example.org", "0151 23456789", "04.03.1990", "Hauptstraße 1", "10115", "Köln", "aktiv", "Erwachsene", "3. Kyu"}},
			wantLines: []int{2},
		},
		{
			name: "windows-1252 umlauts", data: win1252(t, german),
			encoding: "Windows-1252", delim: ';',
			mapping:   []string{"first_name", "last_name", "email", "phone", "birth_date", "street", "postal_code", "city", "status", "plan", "rank"},
			wantCells: [][]string{{"Jürgen", "Müller", "j@example.org", "0151 23456789", "04.03.1990", "Hauptstraße 1", "10115", "Köln", "aktiv", "Erwachsene", "3. Kyu"}},
			wantLines: []int{2},
		},
		{
			name: "utf-16 tab separated", data: utf16LE(t, "Vorname\tNachname\r\nÖzlem\tŞahin\r\n"),
			encoding: "UTF-16", delim: '\t', mapping: []string{"first_name", "last_name"},
			wantCells: [][]string{{"Özlem", "Şahin"}}, wantLines: []int{2},
		},
		{
			name: "excel sep line", data: "sep=,\r\nVorname,Nachname\r\nA;B,C\r\n",
			encoding: "UTF-8", delim: ',', mapping: []string{"first_name", "last_name"},
			wantCells: [][]string{{"A;B", "C"}}, wantLines: []int{3},
		},
		{
			name:     "quotes, delimiters and newlines inside fields",
			data:     "first_name,last_name,notes\n\"Anna \"\"Nan\"\"\",\"Zeller, jr.\",\"line one\nline two\"\nBen,Bauer,\n",
			encoding: "UTF-8", delim: ',', mapping: []string{"first_name", "last_name", "notes"},
			wantCells: [][]string{{`Anna "Nan"`, "Zeller, jr.", "line one\nline two"}, {"Ben", "Bauer", ""}},
			wantLines: []int{2, 4},
		},
		{
			name:     "unknown and repeated headers are left out, blank rows skipped, trailing empty cells allowed",
			data:     "Mitgliedsnr;Vorname;Nachname;Vorname\n7;A;B;C;;\n;;;\n\n8;D;E;F\n",
			encoding: "UTF-8", delim: ';', mapping: []string{"", "first_name", "last_name", ""},
			wantCells: [][]string{{"7", "A", "B", "C"}, {"8", "D", "E", "F"}}, wantLines: []int{2, 5},
		},
		{
			name:     "apostrophe before a formula is the export's and comes off",
			data:     "first_name,last_name\n'=SUM(1),''@x\n'plain,'-1\n",
			encoding: "UTF-8", delim: ',', mapping: []string{"first_name", "last_name"},
			wantCells: [][]string{{"=SUM(1)", "'@x"}, {"'plain", "-1"}}, wantLines: []int{2, 3},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := members.ParseImport(strings.NewReader(tc.data), members.ImportLimits{})
			if err != nil {
				t.Fatalf("ParseImport: %v", err)
			}
			if f.Encoding != tc.encoding || f.Delimiter != tc.delim {
				t.Errorf("read as %s with %q, want %s with %q", f.Encoding, f.Delimiter, tc.encoding, tc.delim)
			}
			if strings.Join(f.Mapping, "|") != strings.Join(tc.mapping, "|") {
				t.Errorf("mapping %q, want %q", f.Mapping, tc.mapping)
			}
			if len(f.Errors) > 0 {
				t.Errorf("errors %+v", f.Errors)
			}
			if len(f.Rows) != len(tc.wantCells) {
				t.Fatalf("%d rows, want %d: %+v", len(f.Rows), len(tc.wantCells), f.Rows)
			}
			for i, row := range f.Rows {
				if strings.Join(row.Cells, "|") != strings.Join(tc.wantCells[i], "|") || row.Line != tc.wantLines[i] {
					t.Errorf("row %d: line %d %q, want line %d %q", i, row.Line, row.Cells, tc.wantLines[i], tc.wantCells[i])
				}
			}
		})
	}
}

func TestParseImportReportsBadRows(t *testing.T) {
	cases := []struct {
		name     string
		data     string
		wantRows int
		want     []members.ImportError // Line and a piece of Message
	}{
		{
			name: "truncated last line inside quotes", data: "first_name,last_name,notes\nA,B,ok\nC,D,\"cut of",
			wantRows: 1, want: []members.ImportError{{Line: 3, Message: "not closed"}},
		},
		{
			name: "truncated last line", data: "first_name,last_name,notes\nA,B,ok\nC,D",
			wantRows: 1, want: []members.ImportError{{Line: 3, Message: "cut short"}},
		},
		{
			name: "unquoted delimiter", data: "first_name;last_name\nA;B\nC;D;E\n",
			wantRows: 1, want: []members.ImportError{{Line: 3, Message: "unquoted"}},
		},
		{
			name: "stray quote", data: "first_name,last_name\nA\"x,B\nC,D\n",
			wantRows: 1, want: []members.ImportError{{Line: 2, Message: "quote"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := members.ParseImport(strings.NewReader(tc.data), members.ImportLimits{})
			if err != nil {
				t.Fatalf("ParseImport: %v", err)
			}
			if len(f.Rows) != tc.wantRows {
				t.Errorf("%d rows, want %d", len(f.Rows), tc.wantRows)
			}
			if len(f.Errors) != len(tc.want) {
				t.Fatalf("errors %+v, want %d", f.Errors, len(tc.want))
			}
			for i, w := range tc.want {
				if got := f.Errors[i]; got.Line != w.Line || !strings.Contains(got.Message, w.Message) {
					t.Errorf("error %+v, want line %d with %q", got, w.Line, w.Message)
				}
			}
		})
	}
}

func TestParseImportRefusesFiles(t *testing.T) {
	junk := make([]byte, 10<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.UintN(256))
	}
	cases := []struct {
		name     string
		data     []byte
		limits   members.ImportLimits
		message  string
		tooLarge bool
	}{
		{name: "empty", data: nil, message: "empty"},
		{name: "blank lines", data: []byte("\r\n\r\n"), message: "empty"},
		{name: "only a header", data: []byte("Vorname;Nachname;E-Mail\r\n"), message: "no member rows"},
		{name: "only a header and blank rows", data: []byte("\uFEFFVorname;Nachname\r\n;\r\n"), message: "no member rows"},
		{name: "no known column", data: []byte("foo,bar\n1,2\n"), message: `none of the columns ("foo", "bar")`},
		{name: "10 MB of junk", data: junk, limits: members.ImportLimits{MaxBytes: 10 << 20, MaxRows: 50000}, message: "none of the columns"},
		{name: "over max_bytes", data: junk, limits: members.ImportLimits{MaxBytes: 1 << 20}, message: "larger than 1 MB", tooLarge: true},
		{name: "a line of 5,000 fields", data: []byte("first_name,last_name\n" + strings.Repeat(",", 5000) + "\n"), message: "line 2 has more than 4096 fields"},
		{name: "over max_rows", data: []byte("first_name,last_name\na,b\nc,d\ne,f\n"), limits: members.ImportLimits{MaxRows: 2}, message: "more than 2 rows"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := members.ParseImport(bytes.NewReader(tc.data), tc.limits)
			var fe *members.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseImport = %v rows, %v; want a *FileError", f, err)
			}
			if !strings.Contains(fe.Message, tc.message) {
				t.Errorf("message %q, want %q in it", fe.Message, tc.message)
			}
			if got := errors.Is(err, members.ErrImportTooLarge); got != tc.tooLarge {
				t.Errorf("ErrImportTooLarge = %v, want %v", got, tc.tooLarge)
			}
		})
	}
}

func TestParseImportAtTheLimits(t *testing.T) {
	data := "first_name,last_name\na,b\nc,d\n"
	f, err := members.ParseImport(strings.NewReader(data), members.ImportLimits{MaxBytes: int64(len(data)), MaxRows: 2})
	if err != nil || len(f.Rows) != 2 {
		t.Fatalf("a file exactly at both limits: %v, %v", f, err)
	}
}

func TestSetMapping(t *testing.T) {
	f, err := members.ParseImport(strings.NewReader("A,B,C\n1,2,3\n"), members.ImportLimits{})
	if err == nil {
		t.Fatalf("headers A, B, C map to nothing, yet ParseImport accepted them: %+v", f)
	}
	f, err = members.ParseImport(strings.NewReader("Name,Vorname,Notiz\nZ,A,x\n"), members.ImportLimits{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		mapping []string
		wantErr string
	}{
		{"swap", []string{"first_name", "last_name", ""}, ""},
		{"wrong length", []string{"first_name"}, "for 3 columns"},
		{"unknown field", []string{"first_name", "last_name", "password"}, "not a field"},
		{"read-only field", []string{"first_name", "last_name", "version"}, "not a field"},
		{"twice", []string{"first_name", "first_name", ""}, "more than one column"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := f.SetMapping(tc.mapping)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("SetMapping: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("SetMapping error %v, want %q", err, tc.wantErr)
			case tc.wantErr == "" && strings.Join(f.Mapping, ",") != strings.Join(tc.mapping, ","):
				t.Fatalf("mapping %v, want %v", f.Mapping, tc.mapping)
			}
		})
	}
}
