package members

import (
	"strconv"
	"strings"

	"gorm.io/gorm"

	"membership/db"
)

// Hand-written multi-row INSERTs, for the writes of a campaign's send that GORM made slow: its
// Create reflects over every row, and its Raw and Exec allocate for every argument
// (clause.Expr.Build), thousands per statement. They run on the transaction's connection past
// GORM, in the driver's own placeholders, so their errors are translated here as GORM
// translates its own, and GORM's slow-query log does not see them.

// writeValues appends n rows of params placeholders each to b: "(?, ?), (?, ?)", or PostgreSQL's
// numbered ones, "($1, $2), ($3, $4)", when dollar is set.
func writeValues(b *strings.Builder, n, params int, dollar bool) {
	b.Grow(n * params * 8)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range params {
			if j > 0 {
				b.WriteString(", ")
			}
			if dollar {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(i*params + j + 1))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
}

// dollarPlaceholders reports whether tx's driver numbers its placeholders (PostgreSQL's pgx).
func dollarPlaceholders(tx *gorm.DB) bool { return db.Dialect(tx) == "postgres" }

// translated is err as GORM would return it from tx: through the dialector's translation, so
// that a full disk is still ErrDiskFull and a busy database ErrBusy.
func translated(tx *gorm.DB, err error) error {
	if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok && err != nil && tx.Config.TranslateError {
		return t.Translate(err)
	}
	return err
}
