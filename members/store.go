package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// Options are the club's settings the domain needs.
type Options struct {
	// Region is the ISO 3166 region a phone number without a country code belongs to ("DE").
	Region string
	// AllowedRegions limits phone numbers to these regions; empty allows all.
	AllowedRegions []string
	// Location is the club's time zone: it decides what "today" is for ages, fee periods and
	// archive dates. Nil means UTC.
	Location *time.Location
	// Languages are the languages a member may prefer (the product's message catalogue); empty
	// means en and de.
	Languages []string
	// Now is the clock; nil means time.Now. Tests and the demo seed fix it.
	Now func() time.Time
}

// Store holds every query of the members domain.
type Store struct {
	db    *gorm.DB
	opts  Options
	log   *slog.Logger
	chunk int // members per read in Iterate; tests make it small
}

// NewStore returns a store on an open, migrated app database.
func NewStore(gdb *gorm.DB, opts Options, log *slog.Logger) *Store {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.Languages) == 0 {
		opts.Languages = []string{"en", "de"}
	}
	return &Store{db: gdb, opts: opts, log: log, chunk: iterateChunk}
}

// now is the clock in UTC, cut to microseconds as PostgreSQL stores them, so a value reads back
// as it was written on both databases.
func (s *Store) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// today is the club's current calendar day.
func (s *Store) today() Date { return DateOf(s.opts.Now().In(s.opts.Location)) }

// memberColumns reads a member with its plan's name.
const memberColumns = "members.*, plans.name AS plan_name"

func (s *Store) members(tx *gorm.DB) *gorm.DB {
	return tx.Model(&Member{}).Select(memberColumns).Joins("LEFT JOIN plans ON plans.id = members.plan_id")
}

// Get reads one member.
func (s *Store) Get(ctx context.Context, id int64) (*Member, error) {
	return s.get(s.db.WithContext(ctx), id)
}

func (s *Store) get(tx *gorm.DB, id int64) (*Member, error) {
	var m Member
	err := s.members(tx).Where("members.id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("member %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load member %d: %w", id, err)
	}
	return &m, nil
}

// Create validates in and stores a new member, with one audit row.
func (s *Store) Create(ctx context.Context, actor string, in MemberInput) (*Member, error) {
	var m Member
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		plan, err := s.validate(tx, &in, 0)
		if err != nil {
			return err
		}
		m = s.newMember(&in, plan)
		if err := tx.Omit("ID").Create(&m).Error; err != nil {
			return s.writeError(tx, err, &m)
		}
		if err := s.writeTerms(tx, &m); err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &m.ID, Action: ActionCreate})
	})
	if err != nil {
		return nil, fmt.Errorf("create member: %w", err)
	}
	s.log.InfoContext(ctx, "member created", slog.Int64("member_id", m.ID), slog.String("actor", actor))
	return &m, nil
}

// Update applies patch to member id. With ifVersion set, a member changed since that version is
// left alone and ErrConflict returned. A patch that changes nothing writes nothing and keeps the
// version; otherwise the version grows by one and each changed field gets an audit row with its
// old and new value.
func (s *Store) Update(ctx context.Context, actor string, id int64, patch MemberPatch, ifVersion *int) (*Member, error) {
	var out *Member
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, id)
		if err != nil {
			return err
		}
		if ifVersion != nil && *ifVersion != m.Version {
			return fmt.Errorf("member %d is at version %d, not %d: %w", id, m.Version, *ifVersion, ErrConflict)
		}
		out, err = s.updateTx(tx, actor, m, patch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update member %d: %w", id, err)
	}
	return out, nil
}

// newMember is the member validated input makes, not yet stored: Create and Import build
// their new members with it.
func (s *Store) newMember(in *MemberInput, plan *Plan) Member {
	var m Member
	s.fill(&m, in, plan)
	m.CreatedAt, m.UpdatedAt, m.Version = s.now(), s.now(), 1
	return m
}

// updateTx is Update of a loaded member inside the caller's transaction, as Import also uses
// it; it returns m itself when the patch changes nothing.
func (s *Store) updateTx(tx *gorm.DB, actor string, m *Member, patch MemberPatch) (*Member, error) {
	in := patched(m, patch)
	plan, err := s.validate(tx, &in, m.ID)
	if err != nil {
		return nil, err
	}
	next := *m
	s.fill(&next, &in, plan)
	return s.save(tx, actor, ActionUpdate, m, &next)
}

// save writes the fields that differ between before and after, guarded by before's version,
// with one audit row per field under action. It returns before when nothing differs.
func (s *Store) save(tx *gorm.DB, actor, action string, before, after *Member) (*Member, error) {
	changes := diff(before, after)
	if len(changes) == 0 {
		return before, nil
	}
	after.UpdatedAt, after.Version = s.now(), before.Version+1
	cols := map[string]any{
		"updated_at": after.UpdatedAt, "version": after.Version,
		"name_key": after.NameKey, "prior_status": after.PriorStatus,
	}
	rows := make([]AuditEntry, len(changes))
	for i, c := range changes {
		cols[c.field.column] = c.field.value(after)
		rows[i] = AuditEntry{Actor: actor, MemberID: &before.ID, Action: action, Field: c.field.name, OldValue: c.old, NewValue: c.new}
	}
	// The version guard makes a concurrent writer that read the same version lose: its
	// UPDATE matches no row.
	res := tx.Model(&Member{}).Where("id = ? AND version = ?", before.ID, before.Version).Updates(cols)
	if res.Error != nil {
		return nil, s.writeError(tx, res.Error, after)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("member %d changed meanwhile: %w", before.ID, ErrConflict)
	}
	switch {
	case searchChanged(before, after):
		if err := s.writeTerms(tx, after); err != nil {
			return nil, err
		}
	case before.Status != after.Status:
		if err := tx.Model(&memberTerm{}).Where("member_id = ?", after.ID).Update("status", after.Status).Error; err != nil {
			return nil, fmt.Errorf("update search terms of member %d: %w", after.ID, err)
		}
	}
	if err := s.audit(tx, rows...); err != nil {
		return nil, err
	}
	return after, nil
}

// writeError turns a unique-index violation on the e-mail address, which a concurrent writer
// can cause after validation passed, into the same field error validation gives.
func (s *Store) writeError(tx *gorm.DB, err error, m *Member) error {
	if !errors.Is(err, gorm.ErrDuplicatedKey) || m.Email == "" {
		return err
	}
	holder, herr := s.emailHolder(tx, m.Email, m.ID)
	if herr != nil || holder == 0 {
		return err
	}
	return invalid("email", "email_taken", fmt.Sprintf("already used by member #%d", holder), "Member", holder)
}

// emailHolder is the id of a live member other than self using email, or 0. The condition
// repeats the partial index's, so that SQLite uses the index.
func (s *Store) emailHolder(tx *gorm.DB, email string, self int64) (int64, error) {
	var ids []int64
	err := tx.Model(&Member{}).
		Where("lower(email) = lower(?) AND status <> 'archived' AND email <> '' AND id <> ?", email, self).
		Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("look up e-mail address: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// searchChanged reports whether the fields search looks at differ.
func searchChanged(a, b *Member) bool {
	return a.FirstName != b.FirstName || a.LastName != b.LastName || a.Email != b.Email || a.Phone != b.Phone
}

// byMember reads one member's rows of a table (fees, gradings) in order; limit 0 reads all.
func byMember[T any](tx *gorm.DB, memberID int64, order string, limit int) ([]T, error) {
	var out []T
	q := tx.Where("member_id = ?", memberID).Order(order)
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read rows of member %d: %w", memberID, err)
	}
	return out, nil
}

// memberTerm is a row of member_terms. Status and NameKey copy the member's, so that searches
// can count and sort their matches without reading the members' rows.
type memberTerm struct {
	Term     string
	MemberID int64
	Status   Status
	NameKey  string
}

func (memberTerm) TableName() string { return "member_terms" }

// writeTerms replaces the member's search terms.
func (s *Store) writeTerms(tx *gorm.DB, m *Member) error {
	if err := tx.Where("member_id = ?", m.ID).Delete(&memberTerm{}).Error; err != nil {
		return fmt.Errorf("clear search terms of member %d: %w", m.ID, err)
	}
	rows := appendTerms(nil, m)
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("write search terms of member %d: %w", m.ID, err)
	}
	return nil
}

// appendTerms appends m's rows of member_terms to rows: writeTerms writes one member's, Import
// a chunk's at once.
func appendTerms(rows []memberTerm, m *Member) []memberTerm {
	for _, t := range searchTerms(m.FirstName, m.LastName, m.Email, m.Phone) {
		rows = append(rows, memberTerm{Term: t, MemberID: m.ID, Status: m.Status, NameKey: m.NameKey})
	}
	return rows
}
