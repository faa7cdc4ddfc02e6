package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"gorm.io/gorm"
)

// What an import does with a row whose member exists already.
const (
	OnExistingSkip   = "skip"
	OnExistingUpdate = "update"
)

// ImportOptions say what Import does with a parsed file.
type ImportOptions struct {
	// OnExisting is OnExistingSkip (the default) or OnExistingUpdate.
	OnExisting string
	// DryRun checks every row and counts what would happen, then writes nothing.
	DryRun bool
}

// ImportReport is what an import did, or would do: Created, Updated (changed), Unchanged
// (matched and already equal) and Skipped (matched, left alone by OnExistingSkip) count rows.
// With any Errors, nothing was written.
type ImportReport struct {
	Created   int           `json:"created"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Skipped   int           `json:"skipped"`
	Errors    []ImportError `json:"errors"`
}

// errRollback ends the import's transaction without writing: a dry run, or a row was invalid.
var errRollback = errors.New("import rolled back")

// Import checks every row of f and, when all are valid and it is no dry run, writes them in one
// transaction: a failure anywhere writes nothing. Each row is validated as the forms validate
// it (Validate) and audited as they are. A row names an existing member by its id column (as
// exported) or else by a live member's e-mail address; such a row updates that member's mapped
// fields or is skipped, as opts.OnExisting says. An e-mail address or id that appears twice in
// the file is an error on its second line.
//
// Invalid rows come back in the report, not as an error; the error is for the database and
// for invalid options.
func (s *Store) Import(ctx context.Context, actor string, f *ImportFile, opts ImportOptions) (*ImportReport, error) {
	switch opts.OnExisting {
	case "":
		opts.OnExisting = OnExistingSkip
	case OnExistingSkip, OnExistingUpdate:
	default:
		return nil, invalid("on_existing", "must be skip or update")
	}
	cols, err := mappedColumns(f)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Errors: append([]ImportError{}, f.Errors...)}
	imp := rowImport{s: s, actor: actor, f: f, cols: cols, opts: opts, rep: rep,
		emails: map[string]int{}, ids: map[int64]int{}}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, row := range f.Rows {
			if err := imp.row(tx, row); err != nil {
				return fmt.Errorf("line %d: %w", row.Line, err)
			}
		}
		if imp.dropped > 0 {
			rep.Errors = append(rep.Errors, ImportError{Message: fmt.Sprintf("%d more problems are not listed", imp.dropped)})
		}
		if len(rep.Errors) > 0 || opts.DryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("import members: %w", err)
	}
	if err == nil {
		s.log.InfoContext(ctx, "members imported", slog.String("actor", actor),
			slog.Int("created", rep.Created), slog.Int("updated", rep.Updated), slog.Int("skipped", rep.Skipped))
	}
	return rep, nil
}

// mappedColumns resolves f.Mapping to the columns' definitions (nil where unmapped).
func mappedColumns(f *ImportFile) ([]*csvColumn, error) {
	all := csvColumnList()
	cols := make([]*csvColumn, len(f.Mapping))
	for i, name := range f.Mapping {
		if name == "" {
			continue
		}
		for j := range all {
			if all[j].name == name && all[j].set != nil {
				cols[i] = &all[j]
			}
		}
		if cols[i] == nil {
			return nil, invalid("mapping", fmt.Sprintf("%q is not a field an import can set", name))
		}
	}
	return cols, nil
}

// rowImport is one import's state while it goes through the rows.
type rowImport struct {
	s      *Store
	actor  string
	f      *ImportFile
	cols   []*csvColumn
	opts   ImportOptions
	rep    *ImportReport
	emails map[string]int // lower-case address → the line it was first seen on
	ids    map[int64]int
	// dropped counts the errors beyond maxImportErrors, which the report only counts.
	dropped int
}

// row checks one row and, valid or not, applies it inside the transaction, which is rolled
// back unless every row turns out valid: later rows are then checked against the state the
// earlier ones leave (an address one row gives up, another may take).
func (imp *rowImport) row(tx *gorm.DB, row ImportRow) error {
	var rec importRecord
	var errs []ImportError
	for i, col := range imp.cols {
		if col == nil || (row.Cells[i] == "" && col.keepIfEmpty) {
			continue
		}
		if err := col.set(&rec, row.Cells[i]); err != nil {
			errs = append(errs, ImportError{Line: row.Line, Column: imp.f.Header[i], Field: col.name, Message: err.Error()})
		}
	}
	errs = append(errs, imp.duplicates(row.Line, &rec)...)
	existing, err := imp.existing(tx, &rec)
	var rowErr *ImportError
	switch {
	case errors.As(err, &rowErr):
		rowErr.Line = row.Line
		errs = append(errs, *rowErr)
	case err != nil:
		return err
	case existing != nil && imp.opts.OnExisting == OnExistingSkip && len(errs) == 0:
		imp.rep.Skipped++
		return nil
	}
	if existing != nil {
		imp.keepLineEnds(&rec, row, existing)
	}
	if len(errs) > 0 {
		// Validation still runs, so the row's every problem is listed at once; nothing of
		// it is written.
		in, id := rec.in, int64(0)
		if existing != nil {
			in, id = inputOf(existing), existing.ID
			rec.patch.applyTo(&in)
		}
		_, err := imp.s.validate(tx, &in, id)
		return imp.report(row.Line, err, errs)
	}
	if existing != nil {
		out, err := imp.s.updateTx(tx, imp.actor, existing, rec.patch)
		if err == nil && out == existing {
			imp.rep.Unchanged++
		} else if err == nil {
			imp.rep.Updated++
		}
		return imp.report(row.Line, err, nil)
	}
	_, err = imp.s.createTx(tx, imp.actor, rec.in)
	if err == nil {
		imp.rep.Created++
	}
	return imp.report(row.Line, err, nil)
}

// keepLineEnds keeps a stored value that a cell gives back with other line ends: CSV readers
// turn CRLF inside a field into LF, and browsers send text areas with CRLF, so without this every
// export and re-import would rewrite every note of more than one line.
func (imp *rowImport) keepLineEnds(rec *importRecord, row ImportRow, m *Member) {
	for i, col := range imp.cols {
		if col == nil || !strings.Contains(row.Cells[i], "\n") {
			continue
		}
		if stored := col.get(m); stored != row.Cells[i] && strings.ReplaceAll(stored, "\r\n", "\n") == row.Cells[i] {
			_ = col.set(rec, stored) // a text column: setting text cannot fail
		}
	}
}

// report adds a row's conversion errors and the field errors of err to the report; another
// error is returned.
func (imp *rowImport) report(line int, err error, errs []ImportError) error {
	var v *ValidationError
	if err != nil && !errors.As(err, &v) {
		return err
	}
	if v != nil {
		for _, fe := range v.Fields {
			if !hasField(errs, fe.Field) {
				errs = append(errs, ImportError{Line: line, Column: imp.header(fe.Field), Field: fe.Field, Message: fe.Message})
			}
		}
	}
	for _, e := range errs {
		if len(imp.rep.Errors) < maxImportErrors {
			imp.rep.Errors = append(imp.rep.Errors, e)
		} else {
			imp.dropped++
		}
	}
	return nil
}

func hasField(errs []ImportError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// header is the file's header of the column mapped to field, or "" when none is.
func (imp *rowImport) header(field string) string {
	for i, m := range imp.f.Mapping {
		if m == field {
			return imp.f.Header[i]
		}
	}
	return ""
}

// duplicates reports an id or e-mail address that an earlier line of the file has already.
func (imp *rowImport) duplicates(line int, rec *importRecord) []ImportError {
	var errs []ImportError
	if rec.id != 0 {
		if first, ok := imp.ids[rec.id]; ok {
			errs = append(errs, ImportError{Line: line, Column: imp.header("id"), Field: "id",
				Message: fmt.Sprintf("member #%d is on line %d already", rec.id, first)})
		} else {
			imp.ids[rec.id] = line
		}
	}
	if email := strings.ToLower(strings.TrimSpace(rec.in.Email)); email != "" {
		if first, ok := imp.emails[email]; ok {
			errs = append(errs, ImportError{Line: line, Column: imp.header("email"), Field: "email",
				Message: fmt.Sprintf("the address is on line %d already", first)})
		} else {
			imp.emails[email] = line
		}
	}
	return errs
}

// existing finds the member a row names: by id, or else by a live member's e-mail address. An
// id that names no member, or an erased one, is the row's error (an *ImportError).
func (imp *rowImport) existing(tx *gorm.DB, rec *importRecord) (*Member, error) {
	if rec.id != 0 {
		m, err := imp.s.get(tx, rec.id)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, &ImportError{Column: imp.header("id"), Field: "id",
				Message: fmt.Sprintf("there is no member #%d; leave id empty to add a new member", rec.id)}
		case err != nil:
			return nil, err
		case m.ErasedAt != nil:
			return nil, &ImportError{Column: imp.header("id"), Field: "id",
				Message: fmt.Sprintf("member #%d was erased and cannot be changed", rec.id)}
		}
		return m, nil
	}
	email := strings.TrimSpace(rec.in.Email)
	if email == "" {
		return nil, nil
	}
	id, err := imp.s.emailHolder(tx, email, 0)
	if err != nil || id == 0 {
		return nil, err
	}
	return imp.s.get(tx, id)
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Message)
}

// createTx is Create inside the caller's transaction.
func (s *Store) createTx(tx *gorm.DB, actor string, in MemberInput) (*Member, error) {
	plan, err := s.validate(tx, &in, 0)
	if err != nil {
		return nil, err
	}
	var m Member
	s.fill(&m, &in, plan)
	m.CreatedAt, m.UpdatedAt, m.Version = s.now(), s.now(), 1
	if err := tx.Omit("ID").Create(&m).Error; err != nil {
		return nil, s.writeError(tx, err, &m)
	}
	if err := s.writeTerms(tx, &m); err != nil {
		return nil, err
	}
	return &m, s.audit(tx, AuditEntry{Actor: actor, MemberID: &m.ID, Action: ActionCreate})
}

// updateTx is Update of a loaded member inside the caller's transaction; it returns m itself
// when the patch changes nothing.
func (s *Store) updateTx(tx *gorm.DB, actor string, m *Member, patch MemberPatch) (*Member, error) {
	in := inputOf(m)
	patch.applyTo(&in)
	plan, err := s.validate(tx, &in, m.ID)
	if err != nil {
		return nil, err
	}
	next := *m
	s.fill(&next, &in, plan)
	return s.save(tx, actor, ActionUpdate, m, &next)
}
