package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// importChunk is how many rows Import reads, looks up and writes at a time: the existing
// members of a chunk are found with one query per kind of key, and its new members are
// inserted in one statement, their search terms and audit rows in a few more. A row at a time
// cost some ten statements per member, which made 10,000 rows take half a minute.
const importChunk = 500

// Import checks every row of f and, when all are valid and it is no dry run, writes them in one
// transaction: a failure anywhere writes nothing. Each row is validated as the forms validate
// it (Validate) and audited as they are. A row names an existing member by its id column (as
// exported) or else by a live member's e-mail address; such a row updates that member's mapped
// fields or is skipped, as opts.OnExisting says. An e-mail address, or a member, that appears
// twice in the file is an error on its second line.
//
// Invalid rows come back in the report, not as an error; the error is for the database and
// for invalid options.
func (s *Store) Import(ctx context.Context, actor string, f *ImportFile, opts ImportOptions) (*ImportReport, error) {
	switch opts.OnExisting {
	case "":
		opts.OnExisting = OnExistingSkip
	case OnExistingSkip, OnExistingUpdate:
	default:
		return nil, invalid("on_existing", "invalid_on_existing", "must be skip or update")
	}
	cols, err := mappedColumns(f)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Errors: append([]ImportError{}, f.Errors...)}
	imp := rowImport{s: s, actor: actor, f: f, cols: cols, opts: opts, rep: rep,
		emails: map[string]int{}, matched: map[int64]int{}, plans: map[string]planLookup{}}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for rows := range slices.Chunk(f.Rows, importChunk) {
			if err := imp.chunk(tx, rows); err != nil {
				return err
			}
		}
		if imp.dropped > 0 {
			rep.Errors = append(rep.Errors, moreProblems(imp.dropped))
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
			return nil, invalid("mapping", "not_importable", fmt.Sprintf("%q is not a field an import can set", name), "Field", name)
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
	// matched maps the members rows named to the line that named them first.
	matched map[int64]int
	// byID and byEmail are the current chunk's existing members.
	byID    map[int64]*Member
	byEmail map[string]int64
	// pending are the chunk's new members, validated, waiting for their insert.
	pending []Member
	plans   map[string]planLookup // by lower-case name or id as the file gives it
	// dropped counts the errors beyond maxImportErrors, which the report only counts.
	dropped int
	// mandates are the pending members' mandates.
	mandates []pendingMandate
}

// record is one row read into a member's input and patch, with the problems found so far.
type record struct {
	line int
	rec  importRecord
	errs []ImportError
	raw  ImportRow
}

// chunk reads rows, finds the members they name, then checks and applies each row in order,
// and inserts the new members. Rows are applied inside the transaction valid or not (it is
// rolled back unless every row is valid), so that later rows are checked against the state the
// earlier ones leave.
func (imp *rowImport) chunk(tx *gorm.DB, rows []ImportRow) error {
	recs := make([]record, len(rows))
	for i, row := range rows {
		recs[i] = imp.read(row)
	}
	if err := imp.lookUp(tx, recs); err != nil {
		return err
	}
	for i := range recs {
		if err := imp.apply(tx, &recs[i]); err != nil {
			return fmt.Errorf("line %d: %w", recs[i].line, err)
		}
	}
	return imp.insertPending(tx)
}

// read converts a row's cells and checks the file for an address it had already.
func (imp *rowImport) read(row ImportRow) record {
	r := record{line: row.Line, raw: row}
	for i, col := range imp.cols {
		if col == nil || (row.Cells[i] == "" && col.keepIfEmpty) {
			continue
		}
		if err := col.set(&r.rec, row.Cells[i]); err != nil {
			e := ImportError{Line: row.Line, Column: imp.f.Header[i], Field: col.name, Message: err.Error()}
			var p *Problem
			if errors.As(err, &p) {
				e = e.says(p)
			}
			r.errs = append(r.errs, e)
		}
	}
	if email := strings.ToLower(strings.TrimSpace(r.rec.in.Email)); email != "" {
		if first, ok := imp.emails[email]; ok {
			r.errs = append(r.errs, ImportError{Line: row.Line, Column: imp.header("email"), Field: "email"}.says(
				problem("import_email_repeated", fmt.Sprintf("the address is on line %d already", first), "Line", first)))
		} else {
			imp.emails[email] = row.Line
		}
	}
	return r
}

// lookUp loads the members the chunk's rows name, by id and by live e-mail address.
func (imp *rowImport) lookUp(tx *gorm.DB, recs []record) error {
	var ids []int64
	var emails []string
	for _, r := range recs {
		if r.rec.id != 0 {
			ids = append(ids, r.rec.id)
		} else if e := strings.ToLower(strings.TrimSpace(r.rec.in.Email)); e != "" {
			emails = append(emails, e)
		}
	}
	imp.byEmail = map[string]int64{}
	if len(emails) > 0 {
		var holders []struct {
			ID    int64
			Email string
		}
		// emailHolder for a whole chunk in one query. The condition repeats the partial unique
		// index's, so that SQLite uses it.
		err := tx.Model(&Member{}).Select("id, lower(email) AS email").
			Where("lower(email) IN ? AND status <> 'archived' AND email <> ''", emails).Find(&holders).Error
		if err != nil {
			return fmt.Errorf("look up e-mail addresses: %w", err)
		}
		for _, h := range holders {
			imp.byEmail[h.Email] = h.ID
			ids = append(ids, h.ID)
		}
	}
	imp.byID = map[int64]*Member{}
	if len(ids) > 0 {
		var ms []Member
		if err := imp.s.members(tx).Where("members.id IN ?", ids).Find(&ms).Error; err != nil {
			return fmt.Errorf("load members: %w", err)
		}
		for i := range ms {
			imp.byID[ms[i].ID] = &ms[i]
		}
	}
	return nil
}

// apply checks one row and, valid or not, updates its member or queues its new member.
func (imp *rowImport) apply(tx *gorm.DB, r *record) error {
	existing, rowErr := imp.existing(r)
	if rowErr != nil {
		r.errs = append(r.errs, *rowErr)
	}
	if existing != nil {
		if first, ok := imp.matched[existing.ID]; ok {
			r.errs = append(r.errs, ImportError{Line: r.line, Column: imp.header("id"), Field: "id"}.says(
				problem("import_member_repeated", fmt.Sprintf("member #%d is on line %d already", existing.ID, first), "Member", existing.ID, "Line", first)))
		} else {
			imp.matched[existing.ID] = r.line
		}
	}
	if existing != nil && imp.opts.OnExisting == OnExistingSkip && len(r.errs) == 0 {
		imp.rep.Skipped++
		return nil
	}
	if existing != nil {
		imp.keepLineEnds(&r.rec, r.raw, existing)
	}
	if len(r.errs) > 0 {
		// Validation still runs, so the row's every problem is listed at once; nothing of
		// it is written.
		in, id := r.rec.in, int64(0)
		if existing != nil {
			in, id = patched(existing, r.rec.patch), existing.ID
		}
		_, err := imp.s.validate(tx, &in, id)
		return imp.report(r.line, err, r.errs)
	}
	if existing != nil {
		out, err := imp.s.updateTx(tx, imp.actor, existing, r.rec.patch)
		if err == nil && !r.rec.mandate.IsZero() {
			if err = imp.checkMandate(r.rec.mandate, out); err == nil && len(imp.rep.Errors) == 0 && !imp.opts.DryRun {
				var changed bool
				if _, changed, err = imp.s.setMandate(tx, imp.actor, existing.ID, r.rec.mandate); changed {
					out = nil // the mandate changed: the row updated the member
				}
			}
		}
		if err == nil && out == existing {
			imp.rep.Unchanged++
		} else if err == nil {
			imp.rep.Updated++
		}
		return imp.report(r.line, err, nil)
	}
	in := r.rec.in
	plan, err := imp.validateNew(tx, &in)
	if err == nil {
		m := imp.s.newMember(&in, plan)
		if !r.rec.mandate.IsZero() {
			err = imp.checkMandate(r.rec.mandate, &m)
		}
		if err == nil {
			if !r.rec.mandate.IsZero() {
				imp.mandates = append(imp.mandates, pendingMandate{member: len(imp.pending), in: r.rec.mandate})
			}
			imp.pending = append(imp.pending, m)
			imp.rep.Created++
		}
	}
	return imp.report(r.line, err, nil)
}

// pendingMandate is the mandate of a new member the chunk has not inserted yet (an index into
// pending).
type pendingMandate struct {
	member int
	in     MandateInput
}

// checkMandate validates a row's mandate, its problems named by the import's columns.
func (imp *rowImport) checkMandate(in MandateInput, m *Member) error {
	_, err := imp.s.validMandate(in, m)
	var v *ValidationError
	if errors.As(err, &v) {
		for i, f := range v.Fields {
			switch f.Field {
			case "holder":
				v.Fields[i].Field = "account_holder"
			case "reference":
				v.Fields[i].Field = "mandate_reference"
			case "signed_on":
				v.Fields[i].Field = "mandate_signed_on"
			}
		}
	}
	return err
}

// planLookup is what checkPlan made of a plan's name.
type planLookup struct {
	plan    *Plan
	name    string      // the plan's own name
	problem *FieldError // why there is none, or nil
}

// validateNew is validate for a new member: the same checks, with each plan name looked up once
// per import rather than once per row, and without asking again who uses the e-mail address —
// lookUp asked, and a row whose address a live member uses names that member, so it is no new
// member.
func (imp *rowImport) validateNew(tx *gorm.DB, in *MemberInput) (*Plan, error) {
	v := imp.s.checkFields(in)
	key := strings.ToLower(strings.TrimSpace(in.Plan))
	found, ok := imp.plans[key]
	if !ok {
		probe, pv := MemberInput{Plan: in.Plan}, ValidationError{}
		p, err := imp.s.checkPlan(tx, &probe, &pv)
		if err != nil {
			return nil, err
		}
		found = planLookup{plan: p, name: probe.Plan, problem: pv.first("plan")}
		imp.plans[key] = found
	}
	if p := found.problem; p != nil {
		v.Add("plan", p.Code, p.Message, p.Args...)
	}
	in.Plan = found.name
	return found.plan, v.err()
}

// existing is the member a row names: by id, or else by a live member's e-mail address. An id
// that names no member, or an erased one, is the row's error.
func (imp *rowImport) existing(r *record) (*Member, *ImportError) {
	if id := r.rec.id; id != 0 {
		m := imp.byID[id]
		at := ImportError{Line: r.line, Column: imp.header("id"), Field: "id"}
		switch {
		case m == nil:
			e := at.says(problem("import_no_member", fmt.Sprintf("there is no member #%d; leave id empty to add a new member", id), "Member", id))
			return nil, &e
		case m.ErasedAt != nil:
			e := at.says(problem("import_member_erased", fmt.Sprintf("member #%d was erased and cannot be changed", id), "Member", id))
			return nil, &e
		}
		return m, nil
	}
	if id, ok := imp.byEmail[strings.ToLower(strings.TrimSpace(r.rec.in.Email))]; ok {
		return imp.byID[id], nil
	}
	return nil, nil
}

// insertPending writes the new members queued so far, with their search terms and audit rows,
// as Create would; with errors found or in a dry run it only forgets them, as nothing will be
// written anyway.
//
// The rows are Create's (newMember, appendTerms, the same audit entry), but not its statements,
// on purpose: Create inserts a member, clears and writes its terms (writeTerms) and audits it,
// four statements a member where this takes a few a chunk. For the same reason a taken e-mail
// address is not turned into a field error as writeError does: a batch cannot say which row hit
// the index, and lookUp has already matched every address a live member used.
func (imp *rowImport) insertPending(tx *gorm.DB) error {
	ms, mandates := imp.pending, imp.mandates
	imp.pending, imp.mandates = imp.pending[:0], imp.mandates[:0]
	if len(ms) == 0 || len(imp.rep.Errors) > 0 || imp.opts.DryRun {
		return nil
	}
	if err := tx.Omit("ID").CreateInBatches(&ms, importChunk).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("an e-mail address of the file was taken by another change meanwhile; check the file again: %w", ErrConflict)
		}
		return fmt.Errorf("insert members: %w", err)
	}
	var terms []memberTerm
	audits := make([]AuditEntry, len(ms))
	for i := range ms {
		terms = appendTerms(terms, &ms[i])
		audits[i] = AuditEntry{Actor: imp.actor, MemberID: &ms[i].ID, Action: ActionCreate}
	}
	if err := tx.CreateInBatches(&terms, 1000).Error; err != nil {
		return fmt.Errorf("write search terms: %w", err)
	}
	if err := imp.s.audit(tx, audits...); err != nil {
		return err
	}
	for _, pm := range mandates {
		if _, _, err := imp.s.setMandate(tx, imp.actor, ms[pm.member].ID, pm.in); err != nil {
			return fmt.Errorf("mandate of new member #%d: %w", ms[pm.member].ID, err)
		}
	}
	return nil
}

// keepLineEnds keeps a stored value that a cell gives back with other line ends: CSV readers
// turn CRLF inside a field into LF, and browsers send text areas with CRLF, so without this every
// export and re-import would rewrite every note of more than one line.
func (imp *rowImport) keepLineEnds(rec *importRecord, row ImportRow, m *Member) {
	for i, col := range imp.cols {
		if col == nil || col.get == nil || !strings.Contains(row.Cells[i], "\n") {
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
			if !slices.ContainsFunc(errs, func(e ImportError) bool { return e.Field == fe.Field }) {
				errs = append(errs, ImportError{Line: line, Column: imp.header(fe.Field), Field: fe.Field, Message: fe.Message, Code: fe.Code, Args: fe.Args})
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

// header is the file's header of the column mapped to field, or "" when none is.
func (imp *rowImport) header(field string) string {
	for i, m := range imp.f.Mapping {
		if m == field {
			return imp.f.Header[i]
		}
	}
	return ""
}
