package members

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// Filter is the member list's filters: the same in the list, the CSV export and a campaign's
// audience, so that an audience selects exactly the members the list shows for it. Its JSON
// names are the list's query parameters; a campaign stores its audience as this JSON.
type Filter struct {
	// Q searches names, e-mail and phone: every word must start a word of one of them, in any
	// case and with or without accents; digits also match the phone number as dialled at home
	// or abroad ("0151 234", "+49151234").
	Q string `json:"q,omitempty"`
	// Status is one status, several separated by commas, or "all"; empty means every member
	// who is not archived.
	Status string `json:"status,omitempty"`
	// Plan is a plan's name or id.
	Plan           string `json:"plan,omitempty"`
	Rank           string `json:"rank,omitempty"`
	FeeOverdue     *bool  `json:"fee_overdue,omitempty"`
	Verified       *bool  `json:"verified,omitempty"` // phone and e-mail both confirmed
	EndsWithinDays *int   `json:"ends_within_days,omitempty"`
}

// ListQuery selects members for the list and the CSV export: the filters, a selection of ids,
// the order and the page.
type ListQuery struct {
	Filter
	IDs []int64 `json:"ids"` // a selection
	// Sort is one of SortFields, with a leading "-" for descending; empty sorts by name.
	Sort    string `json:"sort"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
}

// SortFields are the accepted values of ListQuery.Sort.
func SortFields() []string {
	return []string{"last_name", "first_name", "email", "status", "rank", "joined_on", "birth_date",
		"membership_ends_on", "created_at", "updated_at", "id"}
}

// maxIDs bounds a selection: beyond it, a filter selects better than a list of ids.
const maxIDs = 10000

// maxQueryWords bounds the subqueries a search makes.
const maxQueryWords = 5

// List returns one page of the members q selects and how many it selects in all.
func (s *Store) List(ctx context.Context, q ListQuery) ([]Member, int64, error) {
	order, err := sortOrder(q.Sort)
	if err != nil {
		return nil, 0, err
	}
	tx := s.db.WithContext(ctx)
	filtered, err := s.filter(tx, q)
	if err != nil {
		return nil, 0, err
	}
	page, perPage := pageBounds(q.Page, q.PerPage)
	// Sort and cut the page on ids alone, then read just that page's rows: sorting thousands
	// of whole rows (and joining their plans) to keep fifty is what made broad filters slow.
	pageIDs := filtered.Select("members.id").Order(order).Offset((page - 1) * perPage).Limit(perPage)
	var ids []int64
	var total int64
	counted := false
	if words := queryWords(q.Q); words != nil {
		// A search finds few enough members to count them in the same pass that sorts them,
		// instead of looking every one of them up twice; the common search, by name and
		// status alone, needs no member row at all.
		search := pageIDs.Select("members.id, count(*) OVER () AS total")
		if termsSuffice(q) {
			search = s.termSearch(tx, words, q.Status, q.Sort).Offset((page - 1) * perPage).Limit(perPage)
		}
		var rows []struct{ ID, Total int64 }
		if err := search.Scan(&rows).Error; err != nil {
			return nil, 0, fmt.Errorf("list members: %w", err)
		}
		for _, r := range rows {
			ids, total, counted = append(ids, r.ID), r.Total, true
		}
	} else if err := pageIDs.Pluck("members.id", &ids).Error; err != nil {
		return nil, 0, fmt.Errorf("list members: %w", err)
	}
	switch {
	case counted:
	case page == 1 && len(ids) < perPage:
		total = int64(len(ids))
	default:
		// Counted on its own: the page query stopped early in index order, which counting in
		// the same pass would prevent.
		if err := filtered.Count(&total).Error; err != nil {
			return nil, 0, fmt.Errorf("count members: %w", err)
		}
	}
	items, err := s.byIDs(tx, ids)
	if err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// termsSuffice reports whether member_terms alone answers q: a search filtered by status at
// most, in name order.
func termsSuffice(q ListQuery) bool {
	return q.Plan == "" && q.Rank == "" && q.FeeOverdue == nil && q.Verified == nil && q.EndsWithinDays == nil &&
		q.IDs == nil && (q.Sort == "" || q.Sort == "last_name" || q.Sort == "-last_name")
}

// termSearch selects the ids of the members whose terms match every word and whose status
// passes, with their count, in name order, from member_terms alone: the first word's range
// holds each match's status and sort key. The query was validated by filter.
func (s *Store) termSearch(tx *gorm.DB, words []string, status, sort string) *gorm.DB {
	lo, hi := prefixRange(words[0])
	hits := tx.Table("member_terms").Distinct("member_id", "name_key").Where("term >= ? AND term < ?", lo, hi)
	if cond, arg := statusCondition(status, &ValidationError{}); cond != "" {
		hits = hits.Where("status"+cond, arg)
	}
	// Further words are checked per match through the (member_id, term) index: an IN list of
	// a short prefix's thousands of members costs more to build than the probes.
	for _, w := range words[1:] {
		lo, hi := prefixRange(w)
		hits = hits.Where("EXISTS (SELECT 1 FROM member_terms more WHERE more.member_id = member_terms.member_id AND more.term >= ? AND more.term < ?)", lo, hi)
	}
	dir := " ASC"
	if sort == "-last_name" {
		dir = " DESC"
	}
	return tx.Table("(?) AS hits", hits).Select("member_id AS id, count(*) OVER () AS total").
		Order("name_key" + dir + ", member_id" + dir)
}

// byIDs reads the members with the given ids, in the order of ids. They are scanned by hand
// as Iterate's are (iterateColumns are every field of a Member, the plan's name included): a
// campaign reads its 100 members per batch here, and GORM's reflection was most of that.
func (s *Store) byIDs(tx *gorm.DB, ids []int64) ([]Member, error) {
	items := make([]Member, 0, len(ids))
	if len(ids) == 0 {
		return items, nil
	}
	rows, err := wholeMembers.query(tx.Model(&Member{})).Where("members.id IN ?", ids).Rows()
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	if items, err = wholeMembers.scanRows(rows, items); err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(items, func(a, b Member) int { return pos[a.ID] - pos[b.ID] })
	return items, nil
}

// iterateChunk is how many members Iterate reads at a time: large enough that the queries cost
// little, small enough that memory stays flat for any number of members.
const iterateChunk = 1000

// Iterate calls fn for every member q selects, in id order, reading them in chunks so that an
// export of 100,000 members holds only one chunk in memory. Sort and paging are ignored. An
// error from fn stops the iteration and is returned. The *Member's memory is reused for a later
// chunk: fn must copy what it keeps.
func (s *Store) Iterate(ctx context.Context, q ListQuery, fn func(*Member) error) error {
	filtered, err := s.filter(s.db.WithContext(ctx), q)
	if err != nil {
		return err
	}
	return s.eachChunk(filtered, wholeMembers, fn)
}

// eachChunk calls fn for every member of filtered, in id order, reading them iterateChunk (or
// the store's chunk) at a time as r says.
func (s *Store) eachChunk(filtered *gorm.DB, r memberRead, fn func(*Member) error) error {
	size := s.chunk
	if size <= 0 { // a Store built as a literal (on a transaction) has none set
		size = iterateChunk
	}
	chunk := make([]Member, 0, size)
	var after int64
	for {
		rows, err := r.query(filtered).Where("members.id > ?", after).Order("members.id").Limit(size).Rows()
		if err != nil {
			return fmt.Errorf("read members after %d: %w", after, err)
		}
		if chunk, err = r.scanRows(rows, chunk[:0]); err != nil {
			return fmt.Errorf("read members after %d: %w", after, err)
		}
		// The whole chunk is read before fn runs: fn may write in the same transaction (a
		// campaign freezing its audience), and PostgreSQL cannot run a statement on a
		// connection whose result set is still open.
		for i := range chunk {
			if err := fn(&chunk[i]); err != nil {
				return err
			}
		}
		if len(chunk) < size {
			return nil
		}
		after = chunk[len(chunk)-1].ID
	}
}

// memberRead is what a read of members selects and how it scans a row into a Member.
type memberRead struct {
	columns   string
	joinPlans bool
	scan      func(*sql.Rows, *Member) error
}

// wholeMembers reads every field of a Member, the plan's name included.
var wholeMembers = memberRead{columns: iterateColumns, joinPlans: true, scan: scanMember}

// query selects r's columns on tx.
func (r memberRead) query(tx *gorm.DB) *gorm.DB {
	q := tx.Session(&gorm.Session{}).Select(r.columns)
	if r.joinPlans {
		q = q.Joins("LEFT JOIN plans ON plans.id = members.plan_id")
	}
	return q
}

// scanRows appends every row of rows to into and closes rows.
func (r memberRead) scanRows(rows *sql.Rows, into []Member) ([]Member, error) {
	defer rows.Close()
	for rows.Next() {
		into = append(into, Member{})
		if err := r.scan(rows, &into[len(into)-1]); err != nil {
			return into, err
		}
	}
	return into, rows.Err()
}

// iterateColumns are the columns wholeMembers reads, in scanMember's order: every field of
// a Member. Iterate reads every row of a club (a CSV export of 100,000 members): scanning them
// by hand instead of through GORM's reflection halved its time.
const iterateColumns = `members.id, members.first_name, members.last_name, members.email, members.phone,
	members.birth_date, members.street, members.postal_code, members.city, members.country,
	members.joined_on, members.status, members.prior_status, members.archived_on, members.plan_id,
	plans.name, members.rank, members.membership_ends_on, members.guardian_name, members.guardian_phone,
	members.guardian_email, members.notes, members.language, members.sms_consent, members.sms_consent_at,
	members.email_consent, members.email_consent_at, members.phone_verified_at,
	members.email_verified_at, members.erased_at, members.name_key, members.created_at,
	members.updated_at, members.version`

// scanMember reads one row of iterateColumns.
func scanMember(rows *sql.Rows, m *Member) error {
	var plan sql.NullString
	err := rows.Scan(&m.ID, &m.FirstName, &m.LastName, &m.Email, &m.Phone,
		&m.BirthDate, &m.Street, &m.PostalCode, &m.City, &m.Country,
		&m.JoinedOn, &m.Status, &m.PriorStatus, &m.ArchivedOn, &m.PlanID,
		&plan, &m.Rank, &m.MembershipEndsOn, &m.GuardianName, &m.GuardianPhone,
		&m.GuardianEmail, &m.Notes, &m.Language, &m.SMSConsent, &m.SMSConsentAt,
		&m.EmailConsent, &m.EmailConsentAt, &m.PhoneVerifiedAt,
		&m.EmailVerifiedAt, &m.ErasedAt, &m.NameKey, &m.CreatedAt,
		&m.UpdatedAt, &m.Version)
	m.Plan = plan.String
	return err
}

// filter applies q's conditions to the members table.
func (s *Store) filter(tx *gorm.DB, q ListQuery) (*gorm.DB, error) {
	var v ValidationError
	tx = tx.Model(&Member{})
	words := queryWords(q.Q)
	if len(words) > maxQueryWords {
		v.Add("q", "too_many_words", fmt.Sprintf("has more than %d words", maxQueryWords), "Max", maxQueryWords)
	}
	for _, w := range words {
		lo, hi := prefixRange(w)
		tx = tx.Where("members.id IN (SELECT member_id FROM member_terms WHERE term >= ? AND term < ?)", lo, hi)
	}
	// With a search, the few members it finds should be read by id and their status checked;
	// SQLite would rather walk the status index through most of the club and test each row
	// against the search. Wrapping the column in an expression keeps it off that index.
	status := "members.status"
	if len(words) > 0 {
		status = "(members.status || '')"
	}
	if cond, arg := statusCondition(q.Status, &v); cond != "" {
		tx = tx.Where(status+cond, arg)
	}
	if q.Plan = strings.TrimSpace(q.Plan); q.Plan != "" {
		p, err := s.findPlan(tx.Session(&gorm.Session{NewDB: true}), q.Plan)
		switch {
		case err == nil:
			tx = tx.Where("members.plan_id = ?", p.ID)
		case errors.Is(err, ErrNotFound):
			v.Add("plan", "unknown_plan", fmt.Sprintf("there is no plan %q", q.Plan), "Plan", q.Plan)
		default:
			return nil, err
		}
	}
	if q.Rank != "" {
		tx = tx.Where("members.rank = ?", q.Rank)
	}
	if q.FeeOverdue != nil {
		tx = tx.Where(notIf(!*q.FeeOverdue, "members.id IN (SELECT member_id FROM fees WHERE status = 'overdue')"))
	}
	if q.Verified != nil {
		tx = tx.Where(notIf(!*q.Verified, "(members.phone_verified_at IS NOT NULL AND members.email_verified_at IS NOT NULL)"))
	}
	if q.EndsWithinDays != nil {
		if *q.EndsWithinDays < 0 {
			v.Add("ends_within_days", "negative", "must not be negative")
		}
		today := s.today()
		tx = tx.Where("members.membership_ends_on >= ? AND members.membership_ends_on <= ?", today, today.AddDays(*q.EndsWithinDays))
	}
	switch {
	case len(q.IDs) > maxIDs:
		v.Add("ids", "too_many_ids", fmt.Sprintf("selects more than %d members", maxIDs), "Max", maxIDs)
	case q.IDs != nil:
		tx = tx.Where("members.id IN ?", append([]int64{0}, q.IDs...)) // never an empty IN ()
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	// A new session, so that List can count and then fetch, and Iterate fetch chunk after
	// chunk, from the same conditions without one query's clauses leaking into the next.
	return tx.Session(&gorm.Session{}), nil
}

// statusCondition turns ListQuery.Status into a condition on a status column (" <> ?" or
// " IN ?") and its argument; "all" gives none.
func statusCondition(status string, v *ValidationError) (string, any) {
	switch st := strings.TrimSpace(status); st {
	case "all":
		return "", nil
	case "":
		return " <> ?", StatusArchived
	default:
		var sts []Status
		for _, one := range strings.Split(st, ",") {
			if one := Status(strings.TrimSpace(one)); one.Valid() {
				sts = append(sts, one)
			} else {
				v.Add("status", "invalid_status_filter", "must be all, or pending, active, paused or archived, separated by commas")
			}
		}
		return " IN ?", sts
	}
}

func notIf(not bool, cond string) string {
	if not {
		return "NOT " + cond
	}
	return cond
}

// sortOrder turns a whitelisted sort field into ORDER BY. Ties break by id, so pages never
// overlap; empty dates sort last in either direction on both databases.
func sortOrder(sort string) (string, error) {
	field, dir := strings.TrimPrefix(sort, "-"), " ASC"
	if strings.HasPrefix(sort, "-") {
		dir = " DESC"
	}
	switch field {
	case "", "last_name":
		return "members.name_key" + dir + ", members.id" + dir, nil
	case "first_name":
		return "members.first_name" + dir + ", members.name_key" + dir + ", members.id" + dir, nil
	case "email", "status", "rank", "created_at", "updated_at":
		return "members." + field + dir + ", members.id" + dir, nil
	case "id":
		return "members.id" + dir, nil
	case "joined_on", "birth_date", "membership_ends_on":
		return "members." + field + dir + " NULLS LAST, members.id" + dir, nil
	}
	fields := strings.Join(SortFields(), ", ")
	return "", invalid("sort", "invalid_sort", "must be one of "+fields+", with - for descending", "Fields", fields)
}
