package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// maxErasureReason bounds the reason of a rejection.
const maxErasureReason = 2000

// RequestErasure records that actor asks for member memberID's erasure, to be decided by
// deadline; instanceID names the workflow instance that carries the request (given its id, so
// that it is set in the same transaction). When the member has an open request already, that
// one is returned and created is false: a member has one open request at a time. An erased
// member has nothing left to erase (ErrConflict).
func (s *Store) RequestErasure(ctx context.Context, actor string, memberID int64, deadline time.Time, instanceID func(requestID int64) string) (r *ErasureRequest, created bool, err error) {
	now := s.now()
	if !deadline.After(now) {
		return nil, false, fmt.Errorf("erasure request of member %d: the deadline %s is not in the future", memberID, deadline.Format(time.RFC3339))
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, err := s.get(tx, memberID)
		if err != nil {
			return err
		}
		if r, err = s.openErasure(tx, memberID); err == nil || !errors.Is(err, ErrNotFound) {
			return err
		}
		if m.ErasedAt != nil {
			return fmt.Errorf("member %d is erased already: %w", memberID, ErrConflict)
		}
		r = &ErasureRequest{MemberID: memberID, Status: ErasurePending, RequestedBy: actor, RequestedAt: now, Deadline: deadline.UTC().Truncate(time.Microsecond)}
		if err := tx.Omit("ID", "InstanceID").Create(r).Error; err != nil {
			return fmt.Errorf("store erasure request: %w", err)
		}
		r.InstanceID = instanceID(r.ID)
		if err := tx.Model(r).Update("instance_id", r.InstanceID).Error; err != nil {
			return fmt.Errorf("set instance of erasure request %d: %w", r.ID, err)
		}
		created = true
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &memberID, Action: ActionErasureRequested, Field: erasureRef(r.ID)})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Another ask for the same member won the race: theirs is the open request.
		r, err = s.OpenErasureRequest(ctx, memberID)
		return r, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("erasure request of member %d: %w", memberID, err)
	}
	if created {
		s.log.InfoContext(ctx, "erasure requested", slog.Int64("member_id", memberID), slog.Int64("request_id", r.ID))
	}
	return r, created, nil
}

// OpenErasureRequest returns member memberID's open (pending or overdue) request, or
// ErrNotFound.
func (s *Store) OpenErasureRequest(ctx context.Context, memberID int64) (*ErasureRequest, error) {
	return s.openErasure(s.db.WithContext(ctx), memberID)
}

func (s *Store) openErasure(tx *gorm.DB, memberID int64) (*ErasureRequest, error) {
	var r ErasureRequest
	err := tx.Where("member_id = ? AND status IN ?", memberID, []ErasureStatus{ErasurePending, ErasureOverdue}).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("open erasure request of member %d: %w", memberID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load open erasure request of member %d: %w", memberID, err)
	}
	return &r, nil
}

// GetErasureRequest reads one request.
func (s *Store) GetErasureRequest(ctx context.Context, id int64) (*ErasureRequest, error) {
	return s.getErasure(s.db.WithContext(ctx), id)
}

func (s *Store) getErasure(tx *gorm.DB, id int64) (*ErasureRequest, error) {
	var r ErasureRequest
	err := tx.Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("erasure request %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load erasure request %d: %w", id, err)
	}
	return &r, nil
}

// erasureRowColumns reads a request with its member's name.
const erasureRowColumns = "erasure_requests.*, members.first_name, members.last_name"

// erasureListOrder puts the open requests first, by deadline, then the decided ones, latest
// first.
const erasureListOrder = "CASE WHEN erasure_requests.status IN ('pending', 'overdue') THEN 0 ELSE 1 END, " +
	"CASE WHEN erasure_requests.status IN ('pending', 'overdue') THEN erasure_requests.deadline END ASC, " +
	"erasure_requests.decided_at DESC, erasure_requests.id DESC"

// ErasureRequests lists the requests for the admins: the open ones first, the nearest deadline
// first, then the decided ones, the latest first; limit defaults to 50 and is at most 500.
func (s *Store) ErasureRequests(ctx context.Context, limit int) ([]ErasureRequestRow, error) {
	_, limit = pageBounds(1, limit)
	var out []ErasureRequestRow
	err := s.db.WithContext(ctx).Table("erasure_requests").Select(erasureRowColumns).
		Joins("JOIN members ON members.id = erasure_requests.member_id").
		Order(erasureListOrder).
		Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list erasure requests: %w", err)
	}
	return out, nil
}

// ErasureRequestRow reads one request with its member's name.
func (s *Store) ErasureRequestRow(ctx context.Context, id int64) (*ErasureRequestRow, error) {
	var out []ErasureRequestRow
	err := s.db.WithContext(ctx).Table("erasure_requests").Select(erasureRowColumns).
		Joins("JOIN members ON members.id = erasure_requests.member_id").
		Where("erasure_requests.id = ?", id).Limit(1).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load erasure request %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("erasure request %d: %w", id, ErrNotFound)
	}
	return &out[0], nil
}

// DecideErasure records an admin's decision on an open request: confirm (the caller then
// erases the member and calls MarkErasureDone) or reject, which needs a reason. Deciding again
// as decided changes nothing and answers the request; the other decision on a decided request
// is ErrConflict.
func (s *Store) DecideErasure(ctx context.Context, id int64, actor string, confirm bool, reason string) (*ErasureRequest, error) {
	to, action := ErasureConfirmed, ActionErasureConfirmed
	reason = strings.TrimSpace(reason)
	if !confirm {
		to, action = ErasureRejected, ActionErasureRejected
		var v ValidationError
		switch {
		case reason == "":
			v.Add("reason", "required", "is required")
		case utf8.RuneCountInString(reason) > maxErasureReason:
			v.Add("reason", "too_long", fmt.Sprintf("is longer than %d characters", maxErasureReason), "Max", maxErasureReason)
		}
		if err := v.err(); err != nil {
			return nil, err
		}
	}
	out, err := s.changeErasure(ctx, id, func(tx *gorm.DB, r *ErasureRequest) error {
		switch {
		case r.Status == to:
			return nil
		case !r.Status.Open():
			return fmt.Errorf("erasure request %d is %s: %w", id, r.Status, ErrConflict)
		}
		now := s.now()
		res := tx.Model(&ErasureRequest{}).Where("id = ? AND status = ?", id, r.Status).
			Updates(map[string]any{"status": to, "decided_by": actor, "decided_at": now, "reason": reason})
		if res.Error != nil {
			return fmt.Errorf("decide erasure request %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("erasure request %d changed meanwhile: %w", id, ErrConflict)
		}
		r.Status, r.DecidedBy, r.DecidedAt, r.Reason = to, actor, &now, reason
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &r.MemberID, Action: action, Field: erasureRef(id), NewValue: reason})
	})
	if err != nil {
		return nil, fmt.Errorf("decide erasure request %d: %w", id, err)
	}
	return out, nil
}

// MarkErasureOverdue marks a pending request overdue: its deadline passed undecided. It stays
// open. A request in any other state is left as it is; changed says whether this call marked it.
func (s *Store) MarkErasureOverdue(ctx context.Context, id int64) (r *ErasureRequest, changed bool, err error) {
	r, err = s.changeErasure(ctx, id, func(tx *gorm.DB, r *ErasureRequest) error {
		if r.Status != ErasurePending {
			return nil
		}
		res := tx.Model(&ErasureRequest{}).Where("id = ? AND status = ?", id, ErasurePending).Update("status", ErasureOverdue)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		r.Status, changed = ErasureOverdue, true
		return s.audit(tx, AuditEntry{Actor: ActorSystem, MemberID: &r.MemberID, Action: ActionErasureOverdue, Field: erasureRef(id)})
	})
	if err != nil {
		return nil, false, fmt.Errorf("mark erasure request %d overdue: %w", id, err)
	}
	return r, changed, nil
}

// MarkErasureDone stamps a confirmed request with the time its erasure ran; once stamped it
// keeps the first time. A request not confirmed is ErrConflict.
func (s *Store) MarkErasureDone(ctx context.Context, id int64) (*ErasureRequest, error) {
	out, err := s.changeErasure(ctx, id, func(tx *gorm.DB, r *ErasureRequest) error {
		if r.Status != ErasureConfirmed {
			return fmt.Errorf("erasure request %d is %s: %w", id, r.Status, ErrConflict)
		}
		if r.ErasedAt != nil {
			return nil
		}
		now := s.now()
		r.ErasedAt = &now
		return tx.Model(&ErasureRequest{}).Where("id = ? AND erased_at IS NULL", id).Update("erased_at", now).Error
	})
	if err != nil {
		return nil, fmt.Errorf("mark erasure request %d done: %w", id, err)
	}
	return out, nil
}

// changeErasure loads request id in a transaction and lets change update it (and the row
// passed, which is returned).
func (s *Store) changeErasure(ctx context.Context, id int64, change func(tx *gorm.DB, r *ErasureRequest) error) (*ErasureRequest, error) {
	var out *ErasureRequest
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.getErasure(tx, id)
		if err != nil {
			return err
		}
		out = r
		return change(tx, r)
	})
	return out, err
}
