package sepa

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// returnColumns are the accepted header names per field, compared after
// headerKey: banks' exports and clubs' spreadsheets use German or English.
var returnColumns = []struct {
	field    string
	required bool
	names    []string
}{
	{"IBAN", true, []string{"IBAN"}},
	{"MandateRef", true, []string{"Mandatsreferenz", "Mandate reference", "Reference", "Referenz"}},
	{"Amount", true, []string{"Betrag", "Amount"}},
	{"Reason", true, []string{"Rückgabegrund", "Grund", "Reason", "Reason code"}},
	{"EndToEndID", false, []string{"EndToEndId", "End-to-end ID"}},
}

// ErrMissingColumn is wrapped when a required column is not in the header.
var ErrMissingColumn = errors.New("missing column")

// headerKey folds a header cell so "End-to-end ID", "EndToEndId" and
// "end to end id" compare equal.
func headerKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// ParseReturnCSV reads returned debits from a CSV export. The header row is
// required and names the columns (see returnColumns); the separator (';' as
// German Excel writes it, or ',') is taken from the header, and the encoding
// is UTF-8 (with or without BOM) or, if the bytes are not valid UTF-8,
// Windows-1252 as written by older banking software. A row that cannot be
// read becomes a LineError and the rest is still parsed; a missing required
// column or unreadable input is an error.
func ParseReturnCSV(r io.Reader) ([]Return, []LineError, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("sepa: read returns CSV: %w", err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(raw) {
		if raw, err = charmap.Windows1252.NewDecoder().Bytes(raw); err != nil {
			return nil, nil, fmt.Errorf("sepa: decode returns CSV as Windows-1252: %w", err)
		}
	}
	headerLine, _, _ := bytes.Cut(raw, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.Comma = detectSeparator(headerLine)
	cr.FieldsPerRecord = -1 // short rows are reported per line, not fatal
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("sepa: read returns CSV header: %w", err)
	}
	col, err := mapReturnColumns(header)
	if err != nil {
		return nil, nil, err
	}

	var (
		returns []Return
		bad     []LineError
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, LineError{Line: pe.Line, Message: pe.Err.Error()})
				continue
			}
			return returns, bad, fmt.Errorf("sepa: read returns CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if blankRecord(rec) {
			continue
		}
		ret, msg := returnFromRecord(rec, col)
		if msg != "" {
			bad = append(bad, LineError{Line: line, Message: msg})
			continue
		}
		ret.Line = line
		returns = append(returns, ret)
	}
	return returns, bad, nil
}

// detectSeparator picks ';' or ',' by which occurs more often in the header
// outside quotes; header names never contain either.
func detectSeparator(header []byte) rune {
	if bytes.Count(header, []byte(";")) >= bytes.Count(header, []byte(",")) && bytes.Contains(header, []byte(";")) {
		return ';'
	}
	return ','
}

// mapReturnColumns returns the column index per field (-1 if absent).
func mapReturnColumns(header []string) (map[string]int, error) {
	keys := make(map[string]int, len(header))
	for i, h := range header {
		if _, dup := keys[headerKey(h)]; !dup {
			keys[headerKey(h)] = i
		}
	}
	col := make(map[string]int, len(returnColumns))
	var missing []string
	for _, c := range returnColumns {
		col[c.field] = -1
		for _, name := range c.names {
			if i, ok := keys[headerKey(name)]; ok {
				col[c.field] = i
				break
			}
		}
		if col[c.field] < 0 && c.required {
			missing = append(missing, strings.Join(c.names, "|"))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sepa: returns CSV: %w: %s", ErrMissingColumn, strings.Join(missing, ", "))
	}
	return col, nil
}

func returnFromRecord(rec []string, col map[string]int) (Return, string) {
	get := func(field string) string {
		i := col[field]
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	ret := Return{
		EndToEndID: get("EndToEndID"),
		MandateRef: get("MandateRef"),
		IBAN:       NormalizeIBAN(get("IBAN")),
		Reason:     strings.ToUpper(get("Reason")),
	}
	amount := get("Amount")
	cents, err := ParseAmount(amount)
	switch {
	case err != nil:
		return ret, fmt.Sprintf("amount %q is not a number", amount)
	case cents == 0:
		return ret, "amount is zero"
	case ret.IBAN == "" && ret.MandateRef == "" && ret.EndToEndID == "":
		return ret, "neither IBAN nor mandate reference nor end-to-end id"
	case ret.Reason == "":
		return ret, "reason code is empty"
	}
	ret.Amount = cents
	return ret, ""
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
