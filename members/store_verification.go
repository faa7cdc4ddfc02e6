package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Verifications keeps the phone and e-mail verification runs: their hashed codes, attempts and
// outcomes, the abuse-limit counters, and the keys that hash codes and sign links.
type Verifications struct {
	members *Store
	db      *gorm.DB
	opts    VerificationOptions
	keys    keyring
	log     *slog.Logger
	changes runChanges
}

// NewVerifications opens the verification store on the members store's database, making the
// installation's verification key on first use.
func NewVerifications(ctx context.Context, store *Store, opts VerificationOptions) (*Verifications, error) {
	keys, err := loadKeyring(store.db.WithContext(ctx), store.now())
	if err != nil {
		return nil, err
	}
	return &Verifications{members: store, db: store.db, opts: opts, keys: keys, log: store.log}, nil
}

// Options are the limits the store applies.
func (v *Verifications) Options() VerificationOptions { return v.opts }

func (v *Verifications) now() time.Time { return v.members.now() }

// HashCode is the keyed hash of a code typed for a challenge of a run. The handler hashes what
// the person typed before the code goes anywhere, so the task hub only ever sees the hash.
func (v *Verifications) HashCode(instanceID string, challenge int, code string) string {
	return macHex(v.keys.code, instanceID, itoa(int64(challenge)), strings.TrimSpace(code))
}

// addressHash is the keyed hash of the number or address a run confirms.
func (v *Verifications) addressHash(kind VerificationKind, address string) string {
	return macHex(v.keys.address, string(kind), strings.ToLower(address))
}

// addressOf is the member's phone number or e-mail address, whichever kind confirms.
func addressOf(m *Member, kind VerificationKind) string {
	if kind == VerifyPhone {
		return m.Phone
	}
	return m.Email
}

// Begin records a new verification run for the member and returns it, with the instance id to
// start it under. A run of the kind still under way is refused with a *RunningError naming it.
func (v *Verifications) Begin(ctx context.Context, actor string, memberID int64, kind VerificationKind) (*Verification, error) {
	return v.BeginFor(ctx, actor, memberID, kind, PurposeVerify, "")
}

// BeginFor is Begin for a purpose. A change (PurposeChange) confirms newAddress, the
// normalised number or address the member typed, which replaces the old one once verified; a
// sign-in (PurposeSignIn) sends its code to newAddress, the address typed at sign-in, and is
// refused only by another sign-in of the kind under way, not by a verification.
func (v *Verifications) BeginFor(ctx context.Context, actor string, memberID int64, kind VerificationKind, purpose, newAddress string) (*Verification, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("verification kind %q: %w", kind, ErrNotFound)
	}
	var out Verification
	err := v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := v.members.get(tx, memberID)
		if err != nil {
			return err
		}
		if m.Status == StatusArchived {
			return fmt.Errorf("member %d is archived: %w", memberID, ErrConflict)
		}
		if purpose == PurposeVerify && addressOf(m, kind) == "" {
			return invalid(string(kind), "nothing_to_verify_"+string(kind), "there is nothing to verify: the member has no "+kindNoun(kind))
		}
		var running Verification
		err = tx.Where("member_id = ? AND kind = ? AND status IN ?", memberID, kind, []string{VerificationPending, VerificationMatched}).
			Scopes(samePurpose(purpose)).Take(&running).Error
		switch {
		case err == nil:
			return &RunningError{Running: &running}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return fmt.Errorf("look for a running verification: %w", err)
		}
		var last []int
		if err := tx.Model(&Verification{}).Where("member_id = ? AND kind = ?", memberID, kind).
			Order("seq DESC").Limit(1).Pluck("seq", &last).Error; err != nil {
			return fmt.Errorf("number the verification: %w", err)
		}
		seq := 1
		if len(last) > 0 {
			seq = last[0] + 1
		}
		now := v.now()
		out = Verification{
			MemberID: memberID, Kind: kind, Purpose: purpose, Seq: seq, InstanceID: VerificationInstanceID(kind, memberID, seq),
			Status: VerificationPending, CreatedBy: actor, CreatedAt: now, UpdatedAt: now, NewAddress: newAddress,
		}
		if purpose == PurposeSignIn {
			out.InstanceID = SignInInstanceID(kind, memberID, seq)
		}
		if err := tx.Omit("ID").Create(&out).Error; err != nil {
			return fmt.Errorf("store verification: %w", err)
		}
		if purpose == PurposeSignIn {
			return nil // a sign-in reaches the member's log when it becomes a session
		}
		return v.members.audit(tx, AuditEntry{Actor: actor, MemberID: &memberID, Action: string(kind) + "_verification_started",
			Field: string(kind) + "_verification", NewValue: out.InstanceID})
	})
	if err != nil {
		return nil, fmt.Errorf("begin %s verification of member %d: %w", kind, memberID, err)
	}
	return &out, nil
}

// samePurpose narrows a query of runs to those that exclude each other with purpose: sign-ins
// among themselves, verifications and changes of a kind together (a change replaces the number
// a verification would confirm).
func samePurpose(purpose string) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		if purpose == PurposeSignIn {
			return q.Where("purpose = ?", PurposeSignIn)
		}
		return q.Where("purpose <> ?", PurposeSignIn)
	}
}

// notSignIns leaves the portal's sign-ins out of the runs a member's page and the join pages
// show: they confirm nothing on the record.
func notSignIns(q *gorm.DB) *gorm.DB { return q.Where("purpose <> ?", PurposeSignIn) }

func kindNoun(kind VerificationKind) string {
	if kind == VerifyPhone {
		return "phone number"
	}
	return "e-mail address"
}

// Get reads the run of an instance.
func (v *Verifications) Get(ctx context.Context, instanceID string) (*Verification, error) {
	return v.get(v.db.WithContext(ctx), instanceID)
}

func (v *Verifications) get(tx *gorm.DB, instanceID string) (*Verification, error) {
	var out Verification
	err := tx.Where("instance_id = ?", instanceID).Take(&out).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("verification %s: %w", instanceID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load verification %s: %w", instanceID, err)
	}
	return &out, nil
}

// Latest is the member's newest run of each kind (nil where there is none).
func (v *Verifications) Latest(ctx context.Context, memberID int64) (phone, email *Verification, err error) {
	var rows []Verification
	err = v.db.WithContext(ctx).Where("member_id = ?", memberID).Order("seq DESC").Scopes(notSignIns).Find(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("load verifications of member %d: %w", memberID, err)
	}
	for i := range rows {
		switch {
		case rows[i].Kind == VerifyPhone && phone == nil:
			phone = &rows[i]
		case rows[i].Kind == VerifyEmail && email == nil:
			email = &rows[i]
		}
	}
	return phone, email, nil
}

// List is every run of a member, newest first.
func (v *Verifications) List(ctx context.Context, memberID int64) ([]Verification, error) {
	var rows []Verification
	err := v.db.WithContext(ctx).Where("member_id = ?", memberID).Order("created_at DESC, id DESC").Scopes(notSignIns).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load verifications of member %d: %w", memberID, err)
	}
	return rows, nil
}

// Running is the member's runs still under way.
func (v *Verifications) Running(ctx context.Context, memberID int64) ([]Verification, error) {
	var rows []Verification
	err := v.db.WithContext(ctx).Where("member_id = ? AND status IN ?", memberID, []string{VerificationPending, VerificationMatched}).
		Order("id").Scopes(notSignIns).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load running verifications of member %d: %w", memberID, err)
	}
	return rows, nil
}
