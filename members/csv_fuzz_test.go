package members

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseImport feeds ParseImport arbitrary bytes. It must never panic; what it accepts must
// be consistent (every row as wide as the header, lines in order, errors bounded); and writing
// the accepted rows out again as our export writes cells (neutralised, quoted) must parse back
// to the same header, mapping and cells with no errors.
func FuzzParseImport(f *testing.F) {
	for _, seed := range []string{
		"first_name,last_name,email\nAnna,Zeller,a@example.org\n",
		"\uFEFFVorname;Nachname;E-Mail;Geburtsdatum\r\nJürgen;Müller;j@example.org;04.03.1990\r\n",
		"Vorname;Nachname\r\nM\xfcller;K\xf6ln\r\n",
		"\xff\xfeV\x00o\x00r\x00n\x00a\x00m\x00e\x00\t\x00N\x00a\x00m\x00e\x00\r\x00\n\x00A\x00\t\x00B\x00\r\x00\n\x00",
		"sep=;\r\nfirst_name;last_name\r\nA,B;C\r\n",
		"first_name,last_name,notes\n\"Anna \"\"Nan\"\"\",\"Zeller, jr.\",\"line one\nline two\"\n",
		"first_name,last_name\n=HYPERLINK(\"http://x\",\"y\"),@SUM(1)\n'+cmd|' /C calc'!A0,''-1\n",
		"first_name,last_name,notes\nA,B,ok\nC,D,\"cut of",
		"first_name,last_name\nA\"x,B\nC,D,E\n;;\n\n",
		"first_name,last_name\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseImport(bytes.NewReader(data), ImportLimits{MaxBytes: 1 << 20, MaxRows: 1000})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Message == "" {
				t.Fatalf("error %v is not a *FileError with a message", err)
			}
			return
		}
		checkParsed(t, file)
		if len(file.Rows) == 0 {
			return
		}
		again, err := ParseImport(bytes.NewReader(reencode(t, file)), ImportLimits{})
		if err != nil {
			t.Fatalf("re-encoded file refused: %v", err)
		}
		if len(again.Errors) > 0 {
			t.Fatalf("re-encoded file has errors %+v", again.Errors)
		}
		if !slices.Equal(again.Header, file.Header) || !slices.Equal(again.Mapping, file.Mapping) || len(again.Rows) != len(file.Rows) {
			t.Fatalf("re-encoded: header %q mapping %q %d rows; want %q %q %d rows",
				again.Header, again.Mapping, len(again.Rows), file.Header, file.Mapping, len(file.Rows))
		}
		for i := range file.Rows {
			if !slices.Equal(again.Rows[i].Cells, file.Rows[i].Cells) {
				t.Fatalf("row %d re-encoded as %q, want %q", i, again.Rows[i].Cells, file.Rows[i].Cells)
			}
		}
	})
}

func checkParsed(t *testing.T, file *ImportFile) {
	t.Helper()
	if len(file.Mapping) != len(file.Header) {
		t.Fatalf("mapping of %d for %d columns", len(file.Mapping), len(file.Header))
	}
	if len(file.Errors) > maxImportErrors+1 {
		t.Fatalf("%d errors kept, more than %d", len(file.Errors), maxImportErrors+1)
	}
	last := 1
	for _, r := range file.Rows {
		if len(r.Cells) != len(file.Header) {
			t.Fatalf("line %d has %d cells for %d columns", r.Line, len(r.Cells), len(file.Header))
		}
		if r.Line <= last {
			t.Fatalf("line %d after line %d", r.Line, last)
		}
		last = r.Line
		for _, c := range r.Cells {
			if c != strings.TrimSpace(c) {
				t.Fatalf("cell %q is not trimmed", c)
			}
		}
	}
}

// reencode writes the parsed file as UTF-8 CSV with its delimiter pinned by a "sep=" line and
// every cell neutralised as the export does.
func reencode(t *testing.T, file *ImportFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("sep=" + string(file.Delimiter) + "\n")
	w := csv.NewWriter(&buf)
	w.Comma = file.Delimiter
	records := [][]string{file.Header}
	for _, r := range file.Rows {
		records = append(records, r.Cells)
	}
	for _, rec := range records {
		out := make([]string, len(rec))
		for i, c := range rec {
			out[i] = neutralise(c, false)
		}
		if err := w.Write(out); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	w.Flush()
	return buf.Bytes()
}
