package db

import (
	"database/sql"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Hand-written statements, for the writes of a campaign's send that GORM made slow: its Create
// reflects over every row, and its Raw and Exec allocate for every argument
// (clause.Expr.Build), thousands per statement — inside the transaction, while SQLite's one
// writer waits. A Statement is built before the transaction, in the driver's own placeholders,
// and runs on the transaction's connection past GORM; its errors are translated as GORM
// translates its own (a full disk is still ErrDiskFull), but GORM's slow-query log does not
// see it.

// Statement is SQL text and its arguments, built piece by piece: Arg writes a placeholder —
// "?" on SQLite, "$n" on PostgreSQL (pgx) — and keeps its value.
type Statement struct {
	b    strings.Builder
	args []any
	// dollar: the driver numbers its placeholders (PostgreSQL's pgx).
	dollar bool
}

// NewStatement starts a statement for gdb's database with text.
func NewStatement(gdb *gorm.DB, text string) *Statement {
	s := &Statement{dollar: Dialect(gdb) == "postgres"}
	s.b.WriteString(text)
	return s
}

// Text appends SQL text.
func (s *Statement) Text(text string) *Statement {
	s.b.WriteString(text)
	return s
}

// Arg appends a placeholder for v.
func (s *Statement) Arg(v any) *Statement {
	s.args = append(s.args, v)
	if s.dollar {
		s.b.WriteByte('$')
		s.b.WriteString(strconv.Itoa(len(s.args)))
	} else {
		s.b.WriteByte('?')
	}
	return s
}

// List appends "(p1, p2, …)", a placeholder for each of vs: the right side of an IN.
func (s *Statement) List(vs ...any) *Statement {
	return ListOf(s, vs, func(v any) any { return v })
}

// ListOf appends "(p1, p2, …)", a placeholder for the value of each of items.
func ListOf[T any](s *Statement, items []T, value func(T) any) *Statement {
	s.b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			s.b.WriteString(", ")
		}
		s.Arg(value(it))
	}
	s.b.WriteByte(')')
	return s
}

// Len is the number of arguments so far.
func (s *Statement) Len() int { return len(s.args) }

// String is the SQL text so far.
func (s *Statement) String() string { return s.b.String() }

// Exec runs the statement on tx's connection (its transaction, inside Transaction).
func (s *Statement) Exec(tx *gorm.DB) (sql.Result, error) {
	res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, s.b.String(), s.args...)
	return res, translated(tx, err)
}

// Query runs the statement on tx's connection and returns its rows; their errors are the
// driver's, translated answers them as GORM would.
func (s *Statement) Query(tx *gorm.DB) (*sql.Rows, error) {
	rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, s.b.String(), s.args...)
	return rows, translated(tx, err)
}

// EachKey runs the statement — an INSERT … RETURNING id, key — on tx's connection and hands
// got the id and key of each row it returns.
func (s *Statement) EachKey(tx *gorm.DB, got func(id int64, key string)) error {
	rows, err := s.Query(tx)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		got(id, key)
	}
	return translated(tx, rows.Err())
}

// Rows builds multi-row INSERTs of at most chunk rows each — head, the rows' value lists,
// tail — handing back each statement as it fills, so a long stream of rows is written chunk by
// chunk and a short one in one statement. Every full statement has the same text, which the
// drivers keep compiled (gatedConn.keep on SQLite, pgx's statement cache on PostgreSQL).
type Rows struct {
	gdb        *gorm.DB
	head, tail string
	chunk, n   int
	st         *Statement
	// filled is the length of the last full statement's text, 0 before the first.
	filled int
}

// NewRows starts the INSERTs for gdb's database; chunk bounds the rows of each, to stay below
// the databases' limits on parameters (SQLite 32,766, PostgreSQL 65,535).
func NewRows(gdb *gorm.DB, head, tail string, chunk int) *Rows {
	return &Rows{gdb: gdb, head: head, tail: tail, chunk: chunk}
}

// Add appends a row of vs and answers the statement it filled, else nil.
func (r *Rows) Add(vs ...any) *Statement {
	if r.st == nil {
		r.st = NewStatement(r.gdb, r.head)
		if r.filled > 0 {
			// A stream that filled a chunk is likely to fill the next: size it at once.
			r.st.args = make([]any, 0, r.chunk*len(vs))
			r.st.b.Grow(r.filled)
		}
	} else {
		r.st.Text(", ")
	}
	r.st.List(vs...)
	if r.n++; r.n < r.chunk {
		return nil
	}
	full := r.Rest()
	r.filled = len(full.String())
	return full
}

// Rest answers the statement of the rows added since the last full one, nil if none.
func (r *Rows) Rest() *Statement {
	st := r.st
	if st != nil {
		st.Text(r.tail)
	}
	r.st, r.n = nil, 0
	return st
}

// translated is err as GORM would return it from gdb: through the dialector's translation, so
// that a full disk is still ErrDiskFull and a busy database ErrBusy.
func translated(gdb *gorm.DB, err error) error {
	if t, ok := gdb.Dialector.(gorm.ErrorTranslator); ok && err != nil && gdb.Config.TranslateError {
		return t.Translate(err)
	}
	return err
}
