package members

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// ErrImportTooLarge means a file is larger than the import's byte limit (import.max_bytes).
var ErrImportTooLarge = errors.New("import file too large")

// FileError is a problem with an import file as a whole (too large, too many rows, empty, no
// column recognised): nothing in it can be imported. Its message is for the person who chose
// the file.
type FileError struct {
	Message string
	// Code and Args say the problem as a code and the values it names, for a page in its
	// reader's language (see Problem); the API and the logs keep Message.
	Code string
	Args []any
	err  error
}

// fileError is the file's problem p.
func fileError(p *Problem) *FileError {
	return &FileError{Message: p.Message, Code: p.Code, Args: p.Args}
}

func (e *FileError) Error() string { return e.Message }

// Unwrap exposes ErrImportTooLarge.
func (e *FileError) Unwrap() error { return e.err }

// ImportError is one problem of an import, by line of the file (1 is the header; 0 is the
// file as a whole) and, where one is to blame, by column: its header as the file writes it
// and the member field it maps to.
type ImportError struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Code and Args say Message as a code and the values it names, for a page in its reader's
	// language (see Problem); the JSON keeps the English message.
	Code string `json:"-"`
	Args []any  `json:"-"`
}

// says is e with the problem p as its message.
func (e ImportError) says(p *Problem) ImportError {
	e.Message, e.Code, e.Args = p.Message, p.Code, p.Args
	return e
}

// ImportLimits bound what ParseImport reads (import.max_bytes, import.max_rows); zero means
// no limit.
type ImportLimits struct {
	MaxBytes int64
	MaxRows  int
}

// ImportFile is a parsed CSV file, not yet checked against the members.
type ImportFile struct {
	// Encoding is how the bytes were read: "UTF-8", "UTF-8 with BOM", "UTF-16" or
	// "Windows-1252" (what Excel writes as "CSV" on a Western European Windows).
	Encoding  string
	Delimiter rune
	Header    []string
	// Mapping is the field each column is imported into ("" for none), recognised from the
	// headers; a preview may change it with SetMapping.
	Mapping []string
	Rows    []ImportRow
	// Errors are the rows the file's syntax already rules out.
	Errors []ImportError
}

// ImportRow is one data row and the line it starts on.
type ImportRow struct {
	Line  int
	Cells []string
}

// maxImportErrors bounds the errors kept for one file: a file of junk would otherwise yield
// one per line. The count says how many were left out.
const maxImportErrors = 1000

// ParseImport reads a CSV file of members as spreadsheets write it: UTF-8 with or without a
// byte order mark, UTF-16 with one, or Windows-1252; "," or ";" or tab between fields
// (recognised from the header line, or from an Excel "sep=" line); quoted fields with
// delimiters, quotes and line breaks inside. Headers map to fields in English or German
// ("Vorname", "E-Mail", "PLZ"). Rows of empty cells are skipped. A problem with the file as a
// whole is a *FileError; a malformed row is listed in Errors and left out.
func ParseImport(r io.Reader, limits ImportLimits) (*ImportFile, error) {
	raw, err := readLimited(r, limits.MaxBytes)
	if err != nil {
		return nil, err
	}
	f := &ImportFile{}
	text, err := decodeText(raw, f)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, fileError(problem("import_empty", "the file is empty"))
	}
	text, delim, lineOffset := detectDelimiter(text)
	f.Delimiter = delim
	if line := overfullLine(text, delim); line > 0 {
		return nil, fileError(problem("import_too_many_fields", fmt.Sprintf("line %d has more than %d fields; this is no member list", line+lineOffset, maxFieldsPerLine),
			"Line", line+lineOffset, "Max", maxFieldsPerLine))
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = f.Delimiter
	cr.FieldsPerRecord = -1
	// `a, "b"` is common in hand-made files; with tabs between fields the option would
	// swallow empty fields, so it stays off there.
	cr.TrimLeadingSpace = f.Delimiter != '\t'
	dropped := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				dropped += f.addError(ImportError{Line: pe.StartLine + lineOffset}.says(syntaxProblem(pe)))
				continue
			}
			return nil, fmt.Errorf("read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		line += lineOffset
		if f.Header == nil {
			f.Header = cleanCells(rec)
			continue
		}
		if blank(rec) {
			continue
		}
		if p := f.widthProblem(rec); p != nil {
			dropped += f.addError(ImportError{Line: line}.says(p))
			continue
		}
		if limits.MaxRows > 0 && len(f.Rows) >= limits.MaxRows {
			return nil, fileError(problem("import_too_many_rows", fmt.Sprintf("the file has more than %d rows, the import limit (import.max_rows); split it into smaller files", limits.MaxRows),
				"Max", limits.MaxRows))
		}
		f.Rows = append(f.Rows, ImportRow{Line: line, Cells: cleanCells(rec[:min(len(rec), len(f.Header))])})
	}
	if dropped > 0 {
		f.Errors = append(f.Errors, moreProblems(dropped))
	}
	if f.Header == nil {
		return nil, fileError(problem("import_no_header", "the file has no header row"))
	}
	f.Mapping = make([]string, len(f.Header))
	known, taken := headerColumns(), map[string]bool{}
	for i, h := range f.Header {
		if c := known[headerKey(h)]; c != "" && !taken[c] {
			f.Mapping[i], taken[c] = c, true
		}
	}
	if !slices.ContainsFunc(f.Mapping, func(m string) bool { return m != "" }) {
		columns, like := clipList(f.Header), strings.Join(DefaultCSVColumns()[1:6], ", ")
		return nil, fileError(problem("import_unknown_columns", fmt.Sprintf("none of the columns (%s) is one the import knows; name them like %s", columns, like),
			"Columns", columns, "Like", like))
	}
	if len(f.Rows) == 0 && len(f.Errors) == 0 {
		return nil, fileError(problem("import_no_rows", "the file has a header but no member rows below it"))
	}
	return f, nil
}

// maxFieldsPerLine bounds the fields of one line. The CSV reader keeps every field of a record
// with its position, some 40 bytes each, so a 10 MB line of commas would cost 400 MB; no member
// list comes near the bound, even with commas inside its quoted notes.
const maxFieldsPerLine = 4096

// overfullLine is the number of the first line with more than maxFieldsPerLine delimiters, or 0.
func overfullLine(text string, delim rune) int {
	d := string(delim)
	for line := 1; text != ""; line++ {
		end := strings.IndexByte(text, '\n')
		if end < 0 {
			end = len(text) - 1
		}
		if strings.Count(text[:end+1], d) > maxFieldsPerLine {
			return line
		}
		text = text[end+1:]
	}
	return 0
}

// readLimited reads r whole, refusing more than max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		return io.ReadAll(r)
	}
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read import file: %w", err)
	}
	if int64(len(raw)) > max {
		return nil, TooLargeError(max)
	}
	return raw, nil
}

// TooLargeError is the error for a file larger than max bytes, for callers that learn the size
// before they read (an upload's Content-Length).
func TooLargeError(max int64) *FileError {
	e := fileError(problem("import_too_large", fmt.Sprintf("the file is larger than %s, the import limit (import.max_bytes); split it into smaller files", byteSize(max)),
		"Size", byteSize(max)))
	e.err = ErrImportTooLarge
	return e
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeText turns the file into UTF-8 text and records the encoding it found. Text that is
// not valid UTF-8 is taken as Windows-1252: every byte means something there, and it is what
// Excel saves as "CSV" on Windows in Western Europe.
func decodeText(raw []byte, f *ImportFile) (string, error) {
	var dec *encoding.Decoder
	switch {
	case bytes.HasPrefix(raw, []byte(utf8BOM)):
		// The mark declares UTF-8: a byte that is not stands for a character lost.
		f.Encoding, raw = "UTF-8 with BOM", []byte(strings.ToValidUTF8(string(raw[len(utf8BOM):]), "\uFFFD"))
	case bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) || bytes.HasPrefix(raw, []byte{0xFE, 0xFF}):
		f.Encoding, dec = "UTF-16", unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
	case utf8.Valid(raw):
		f.Encoding = "UTF-8"
	default:
		f.Encoding, dec = "Windows-1252", charmap.Windows1252.NewDecoder()
	}
	if dec == nil {
		return string(raw), nil
	}
	out, err := dec.Bytes(raw)
	if err != nil {
		return "", fileError(problem("import_unreadable", fmt.Sprintf("the file cannot be read as %s text: %v", f.Encoding, err),
			"Encoding", f.Encoding, "Problem", err.Error()))
	}
	return string(out), nil
}

// detectDelimiter honours Excel's "sep=;" first line (removing it, so lines shift by one) or
// else picks the candidate that occurs most often outside quotes in the header line; a file of
// one column has none, and "," is as good as any.
func detectDelimiter(text string) (rest string, delim rune, lineOffset int) {
	first, after, _ := strings.Cut(text, "\n")
	first = strings.TrimRight(first, "\r")
	if d, ok := strings.CutPrefix(strings.ToLower(first), "sep="); ok && utf8.RuneCountInString(d) == 1 {
		r, _ := utf8.DecodeRuneInString(d)
		if validDelim(r) {
			return after, r, 1
		}
	}
	counts := map[rune]int{}
	quoted := false
	for _, r := range first {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	delim = ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[delim] {
			delim = r
		}
	}
	return text, delim, 0
}

func validDelim(r rune) bool {
	return r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && r != 0xFEFF && (r == '\t' || r >= ' ')
}

func syntaxProblem(pe *csv.ParseError) *Problem {
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		return problem("import_open_quote", fmt.Sprintf("a quoted field is not closed or has a stray quote (from line %d, column %d); the file may be cut short", pe.StartLine, pe.Column),
			"Line", pe.StartLine, "Column", pe.Column)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return problem("import_bare_quote", fmt.Sprintf("a quote inside an unquoted field (column %d); quote the whole field and double the quote", pe.Column),
			"Column", pe.Column)
	}
	return problem("import_syntax", pe.Err.Error(), "Problem", pe.Err.Error())
}

// moreProblems is the report's last line when it lists only the first problems.
func moreProblems(n int) ImportError {
	return ImportError{}.says(problem("import_more_problems", fmt.Sprintf("%d more problems are not listed", n), "Count", n))
}

// addError keeps an error unless the file already has too many; it returns 1 when it dropped it.
func (f *ImportFile) addError(e ImportError) int {
	if len(f.Errors) >= maxImportErrors {
		return 1
	}
	f.Errors = append(f.Errors, e)
	return 0
}

// widthProblem checks a row's cells against the header: fewer is a cut-off or shifted row;
// more is one too unless the extra cells are empty (spreadsheets write trailing delimiters
// for columns that once held something).
func (f *ImportFile) widthProblem(rec []string) *Problem {
	switch {
	case len(rec) < len(f.Header):
		return problem("import_row_short", fmt.Sprintf("the row has %d fields, the header %d; a field may be missing, or the row cut short", len(rec), len(f.Header)),
			"Fields", len(rec), "Header", len(f.Header))
	case len(rec) > len(f.Header) && !blank(rec[len(f.Header):]):
		return problem("import_row_long", fmt.Sprintf("the row has %d fields, the header %d; a field may hold an unquoted %q", len(rec), len(f.Header), f.Delimiter),
			"Fields", len(rec), "Header", len(f.Header), "Delimiter", strconv.QuoteRune(f.Delimiter))
	}
	return nil
}

// cleanCells trims the cells and removes the apostrophe an export put before a formula.
func cleanCells(rec []string) []string {
	out := make([]string, len(rec))
	for i, c := range rec {
		out[i] = unneutralise(strings.TrimSpace(c))
	}
	return out
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func clipList(items []string) string {
	const max = 5
	quoted := make([]string, 0, max)
	for _, it := range items[:min(len(items), max)] {
		quoted = append(quoted, fmt.Sprintf("%q", clipText(it, 40)))
	}
	if len(items) > max {
		quoted = append(quoted, "…")
	}
	return strings.Join(quoted, ", ")
}

func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// SetMapping replaces the header mapping: one field per column ("" to leave a column out),
// each importable and used once.
func (f *ImportFile) SetMapping(fields []string) error {
	if len(fields) != len(f.Header) {
		return invalid("mapping", "mapping_length", fmt.Sprintf("has %d entries for %d columns", len(fields), len(f.Header)),
			"Entries", len(fields), "Columns", len(f.Header))
	}
	var v ValidationError
	importable := ImportableColumns()
	for i, field := range fields {
		switch {
		case field == "":
		case !slices.Contains(importable, field):
			v.Add("mapping", "mapping_not_importable", fmt.Sprintf("column %d: %q is not a field an import can set", i+1, field), "Column", i+1, "Field", field)
		case slices.Index(fields, field) != i:
			v.Add("mapping", "mapping_twice", fmt.Sprintf("%s is chosen for more than one column", field), "Field", field)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	f.Mapping = slices.Clone(fields)
	return nil
}
