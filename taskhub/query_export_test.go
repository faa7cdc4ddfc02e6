package taskhub

import "database/sql"

// ListSQL is the statement List runs for q (its After included), for tests that look at its
// plan: PostgreSQL's dialect when pg, else SQLite's.
func ListSQL(q Query, pg bool) (string, []any, error) {
	var after *cursor
	if q.After != "" {
		c, err := parseToken(q.After)
		if err != nil {
			return "", nil, err
		}
		after = &c
	}
	top := q.Top
	if top <= 0 {
		top = DefaultTop
	}
	st := listStatement(q, after, top, pg)
	return st.String(), st.args, nil
}

// DBForTest is the handle List reads through.
func (x *Instances) DBForTest() *sql.DB { return x.db }
