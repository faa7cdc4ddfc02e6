package members

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// CSVOptions shape an export.
type CSVOptions struct {
	// Columns are the names of the columns to write, in order (see CSVColumns); empty means
	// DefaultCSVColumns.
	Columns []string
	// Excel writes what Excel opens correctly by double-click in a German or Austrian locale:
	// a UTF-8 byte order mark (without it Excel reads UTF-8 as Windows-1252 and garbles every
	// umlaut) and ";" between fields (the list separator where "," is the decimal comma).
	Excel bool
}

// utf8BOM is the byte order mark that tells Excel a file is UTF-8.
const utf8BOM = "\uFEFF"

// WriteCSV writes the members q selects as CSV: RFC 4180 quoting, CRLF line ends, UTF-8, a
// header row of column names, dates as YYYY-MM-DD and times as RFC 3339 in UTC. It streams
// through Store.Iterate, so memory stays flat however many members there are. Invalid options
// or filters are reported before anything is written to w.
func WriteCSV(ctx context.Context, w io.Writer, store *Store, q ListQuery, opts CSVOptions) error {
	cols, err := pickColumns(opts.Columns)
	if err != nil {
		return err
	}
	// The header and the first rows collect in the writer's buffer: when the filter turns out
	// to be invalid, Iterate fails before the first row and w has seen nothing, so an HTTP
	// handler can still answer with an error instead of half a file.
	out, err := newCSVOut(w, opts.Excel)
	if err != nil {
		return err
	}
	record := make([]string, len(cols))
	for i, c := range cols {
		record[i] = c.name
	}
	if err := out.Write(record); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	err = store.Iterate(ctx, q, func(m *Member) error {
		for i, c := range cols {
			record[i] = neutralise(c.get(m), c.phone)
		}
		return out.Write(record)
	})
	if err != nil {
		return err
	}
	return out.Close()
}

// csvOut writes CSV as every export of this package does: RFC 4180 quoting with CRLF line ends,
// through a 64 KiB buffer; in Excel mode with a UTF-8 byte order mark and ";" between fields.
// Close flushes it; until then, nothing may have reached the underlying writer.
type csvOut struct {
	*csv.Writer
	bw *bufio.Writer
}

func newCSVOut(w io.Writer, excel bool) (*csvOut, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if excel {
		cw.Comma = ';'
		if _, err := bw.WriteString(utf8BOM); err != nil {
			return nil, err
		}
	}
	return &csvOut{Writer: cw, bw: bw}, nil
}

// Close writes out what is buffered.
func (o *csvOut) Close() error {
	o.Flush()
	if err := o.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return o.bw.Flush()
}

// formulaStart reports whether a spreadsheet would read a cell starting with c as a formula
// (OWASP's list: = + - @, and tab and carriage return, which some spreadsheets skip before one).
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// neutralise defuses CSV injection as OWASP advises: a cell a spreadsheet would evaluate
// (=HYPERLINK(…), @SUM(…), +cmd|…) gets a leading apostrophe, so it shows as text. A cell that
// already starts with apostrophes before such a character gets one more, so that the import's
// unneutralise, which removes exactly one, gives back every value as it was stored.
//
// Phone numbers are the exception: the store only holds them validated as E.164, "+" and at
// most fifteen digits (checkPhone), and "+4915123456789" is a number to a spreadsheet, not a
// formula — there is no function call, reference or DDE command it could carry. Quoting it
// would make every phone number unreadable, and the digits-only check below keeps anything
// else from slipping through should a non-E.164 value ever get in.
func neutralise(v string, phone bool) string {
	if v == "" {
		return v
	}
	if phone && isE164(v) {
		return v
	}
	rest := strings.TrimLeft(v, "'")
	if rest != "" && formulaStart(rest[0]) {
		return "'" + v
	}
	return v
}

// unneutralise undoes neutralise on an imported cell.
func unneutralise(v string) string {
	rest := strings.TrimLeft(v, "'")
	if len(rest) < len(v) && rest != "" && formulaStart(rest[0]) {
		return v[1:]
	}
	return v
}

func isE164(v string) bool {
	if len(v) < 2 || len(v) > 16 || v[0] != '+' {
		return false
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}
