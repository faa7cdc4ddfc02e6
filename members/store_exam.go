package members

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Audit actions of exams.
const (
	ActionExamCreate = "exam_create"
	ActionExamAnswer = "exam_answer"
	ActionExamFee    = "exam_fee"
	ActionExamResult = "exam_result"
)

func examRef(id int64) string { return "exam:" + strconv.FormatInt(id, 10) }

// CreateExam plans a grading exam. The deadline for answers lies in the future and no later
// than the exam day's end.
func (s *Store) CreateExam(ctx context.Context, actor string, in ExamInput) (*Exam, error) {
	in.Name, in.Currency = strings.TrimSpace(in.Name), strings.ToUpper(strings.TrimSpace(in.Currency))
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	now := s.now()
	var v ValidationError
	switch {
	case in.Name == "":
		v.Add("name", "required", "is required")
	case len(in.Name) > 200:
		v.Add("name", "too_long", "is longer than 200 characters", "Max", 200)
	}
	switch {
	case in.ExamOn.IsZero():
		v.Add("exam_on", "required", "is required")
	case in.ExamOn.Before(s.today()):
		v.Add("exam_on", "in_past", "must not be in the past")
	}
	if in.FeeAmount < 0 {
		v.Add("rank_fee_amount", "negative", "must not be negative")
	}
	if len(in.Currency) != 3 {
		v.Add("currency", "not_a_currency", "is not a currency code")
	}
	switch {
	case in.Deadline.IsZero():
		v.Add("deadline", "required", "is required")
	case !in.Deadline.After(now):
		v.Add("deadline", "in_past", "must be in the future")
	case !in.ExamOn.IsZero() && DateOf(in.Deadline.In(s.opts.Location)).After(in.ExamOn):
		v.Add("deadline", "after_exam", "must not be after the exam day")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	e := &Exam{Name: in.Name, ExamOn: in.ExamOn, FeeAmount: in.FeeAmount, Currency: in.Currency, Deadline: in.Deadline.UTC(),
		Status: ExamPlanned, CreatedBy: actor, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("ID").Create(e).Error; err != nil {
			return fmt.Errorf("store exam: %w", err)
		}
		return s.audit(tx, AuditEntry{Actor: actor, Action: ActionExamCreate, Field: examRef(e.ID), NewValue: e.Name + " on " + e.ExamOn.String()})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// GetExam reads one exam.
func (s *Store) GetExam(ctx context.Context, id int64) (*Exam, error) {
	return s.getExam(s.db.WithContext(ctx), id)
}

func (s *Store) getExam(tx *gorm.DB, id int64) (*Exam, error) {
	var e Exam
	err := tx.Take(&e, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("exam %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load exam %d: %w", id, err)
	}
	return &e, nil
}

// SetExamInstance records the workflow instance of an exam's invitation round.
func (s *Store) SetExamInstance(ctx context.Context, id int64, instanceID string) error {
	err := s.db.WithContext(ctx).Model(&Exam{}).Where("id = ?", id).
		Updates(map[string]any{"instance_id": instanceID, "updated_at": s.now()}).Error
	if err != nil {
		return fmt.Errorf("set instance of exam %d: %w", id, err)
	}
	return nil
}

func (s *Store) setExamStatus(tx *gorm.DB, id int64, to ExamStatus, from ...ExamStatus) error {
	err := tx.Model(&Exam{}).Where("id = ? AND status IN ?", id, from).
		Updates(map[string]any{"status": to, "updated_at": s.now()}).Error
	if err != nil {
		return fmt.Errorf("set status of exam %d: %w", id, err)
	}
	return nil
}

func answerToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("answer token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// InviteEligible invites every member eligible on the exam day for their next rank. It is
// idempotent: a member invited already keeps their invitation (and its token), so a repeated
// activity invites nobody twice. It answers the exam's counts.
func (s *Store) InviteEligible(ctx context.Context, examID int64) (InvitationCounts, error) {
	e, err := s.GetExam(ctx, examID)
	if err != nil {
		return InvitationCounts{}, err
	}
	if e.Status == ExamPlanned || e.Status == ExamInviting {
		rows, err := s.Eligibility(ctx, e.ExamOn)
		if err != nil {
			return InvitationCounts{}, err
		}
		var invs []ExamInvitation
		for _, r := range rows {
			if !r.Eligible {
				continue
			}
			tok, err := answerToken()
			if err != nil {
				return InvitationCounts{}, err
			}
			invs = append(invs, ExamInvitation{ExamID: examID, MemberID: r.Member.ID, TargetRank: r.NextRank, Status: InvitationInvited, AnswerToken: tok})
		}
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if len(invs) > 0 {
				err := tx.Omit("ID").Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "exam_id"}, {Name: "member_id"}}, DoNothing: true}).
					CreateInBatches(invs, 200).Error
				if err != nil {
					return fmt.Errorf("store invitations of exam %d: %w", examID, err)
				}
			}
			return s.setExamStatus(tx, examID, ExamInviting, ExamPlanned)
		})
		if err != nil {
			return InvitationCounts{}, err
		}
	}
	return s.InvitationCounts(ctx, examID)
}

// ExamInvitations lists an exam's invitations in id order after afterID, at most limit (0: all).
func (s *Store) ExamInvitations(ctx context.Context, examID, afterID int64, limit int) ([]ExamInvitation, error) {
	q := s.db.WithContext(ctx).Where("exam_id = ? AND id > ?", examID, afterID).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var out []ExamInvitation
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list invitations of exam %d: %w", examID, err)
	}
	return out, nil
}

// PendingInvitations lists the invitations of an exam still without an answer, in id order.
func (s *Store) PendingInvitations(ctx context.Context, examID int64) ([]ExamInvitation, error) {
	var out []ExamInvitation
	err := s.db.WithContext(ctx).Where("exam_id = ? AND status = ?", examID, InvitationInvited).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list pending invitations of exam %d: %w", examID, err)
	}
	return out, nil
}

// MarkInvitationsSent moves an exam from inviting to waiting once every invitation is out.
func (s *Store) MarkInvitationsSent(ctx context.Context, examID int64) error {
	return s.setExamStatus(s.db.WithContext(ctx), examID, ExamWaiting, ExamInviting)
}

// MarkReminded stamps the invitations that got their reminder.
func (s *Store) MarkReminded(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&ExamInvitation{}).Where("id IN ? AND reminded_at IS NULL", ids).Update("reminded_at", s.now()).Error
	if err != nil {
		return fmt.Errorf("mark reminded: %w", err)
	}
	return nil
}

// InvitationByToken finds the invitation of an answer link.
func (s *Store) InvitationByToken(ctx context.Context, token string) (*ExamInvitation, error) {
	var inv ExamInvitation
	err := s.db.WithContext(ctx).Where("answer_token = ?", token).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || token == "" {
		return nil, fmt.Errorf("invitation: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load invitation: %w", err)
	}
	return &inv, nil
}

// AnswerInvitation records the answer of an invitation link. The same answer twice is fine
// (a double click); a different one after answering, or any answer after the deadline or
// once the exam is closed, is ErrConflict.
func (s *Store) AnswerInvitation(ctx context.Context, token string, accept bool) (*ExamInvitation, error) {
	inv, err := s.InvitationByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	want := InvitationDeclined
	if accept {
		want = InvitationAccepted
	}
	if inv.Status == want {
		return inv, nil
	}
	if inv.Status != InvitationInvited {
		return nil, fmt.Errorf("invitation %d is %s already: %w", inv.ID, inv.Status, ErrConflict)
	}
	e, err := s.GetExam(ctx, inv.ExamID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(e.Deadline) || (e.Status != ExamInviting && e.Status != ExamWaiting) {
		return nil, fmt.Errorf("exam %d takes no answers: %w", e.ID, ErrConflict)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ExamInvitation{}).Where("id = ? AND status = ?", inv.ID, InvitationInvited).
			Updates(map[string]any{"status": want, "answered_at": now})
		if res.Error != nil {
			return fmt.Errorf("answer invitation %d: %w", inv.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("invitation %d answered meanwhile: %w", inv.ID, ErrConflict)
		}
		return s.audit(tx, AuditEntry{Actor: "member:" + strconv.FormatInt(inv.MemberID, 10), MemberID: &inv.MemberID,
			Action: ActionExamAnswer, Field: examRef(e.ID), NewValue: string(want) + " " + inv.TargetRank})
	})
	if err != nil {
		return nil, err
	}
	inv.Status, inv.AnsweredAt = want, &now
	return inv, nil
}

// MarkNoAnswer closes an exam's answers: the invitations still without one become
// no_answer, and the exam is closed. Doing it again changes nothing.
func (s *Store) MarkNoAnswer(ctx context.Context, examID int64) (int, error) {
	var n int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ExamInvitation{}).Where("exam_id = ? AND status = ?", examID, InvitationInvited).Update("status", InvitationNoAnswer)
		if res.Error != nil {
			return fmt.Errorf("close invitations of exam %d: %w", examID, res.Error)
		}
		n = res.RowsAffected
		return s.setExamStatus(tx, examID, ExamClosed, ExamPlanned, ExamInviting, ExamWaiting)
	})
	return int(n), err
}

// CreateExamFees creates the exam fee of every accepted invitation that has none yet and
// answers how many it created. fees.plan_id is NOT NULL: rather than rebuild the fees table
// (SQLite cannot drop a NOT NULL in place, and every fee query joins plans), an exam fee is
// booked on the member's plan, or the club's first plan for a member without one; a club
// without any plan gets no exam fee row. Its period is the exam day. (member_id,
// period_start) is unique in fees, so an exam on the very day a member's plan period starts
// would collide: that member is skipped and logged, the others get their fee.
func (s *Store) CreateExamFees(ctx context.Context, examID int64) (int, error) {
	e, err := s.GetExam(ctx, examID)
	if err != nil {
		return 0, err
	}
	if e.FeeAmount == 0 {
		return 0, nil
	}
	var invs []ExamInvitation
	if err := s.db.WithContext(ctx).Where("exam_id = ? AND status = ? AND fee_id IS NULL", examID, InvitationAccepted).Order("id").Find(&invs).Error; err != nil {
		return 0, fmt.Errorf("list accepted invitations of exam %d: %w", examID, err)
	}
	var fallback []int64
	if err := s.db.WithContext(ctx).Model(&Plan{}).Order("id").Limit(1).Pluck("id", &fallback).Error; err != nil {
		return 0, fmt.Errorf("find a plan: %w", err)
	}
	created := 0
	for _, inv := range invs {
		m, err := s.Get(ctx, inv.MemberID)
		if err != nil {
			return created, err
		}
		var planID int64
		switch {
		case m.PlanID != nil:
			planID = *m.PlanID
		case len(fallback) == 1:
			planID = fallback[0]
		default:
			s.log.Warn("exam fee skipped: the club has no plan", "exam", examID, "member_id", inv.MemberID)
			continue
		}
		now := s.now()
		fee := &Fee{MemberID: inv.MemberID, PlanID: planID, PeriodStart: e.ExamOn, PeriodEnd: e.ExamOn, DueOn: e.ExamOn,
			Amount: e.FeeAmount, Currency: e.Currency, Status: FeeOpen, CreatedAt: now, UpdatedAt: now}
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Omit("ID").Create(fee).Error; err != nil {
				return err
			}
			res := tx.Model(&ExamInvitation{}).Where("id = ? AND fee_id IS NULL", inv.ID).Update("fee_id", fee.ID)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrConflict // another run booked it meanwhile: roll this one back
			}
			return s.audit(tx, AuditEntry{Actor: "system", MemberID: &inv.MemberID, Action: ActionExamFee, Field: examRef(examID),
				NewValue: strconv.FormatInt(e.FeeAmount, 10) + " " + e.Currency})
		})
		switch {
		case errors.Is(err, gorm.ErrDuplicatedKey), errors.Is(err, ErrConflict):
			s.log.Warn("exam fee skipped: a fee exists for that day", "exam", examID, "member_id", inv.MemberID)
		case err != nil:
			return created, fmt.Errorf("create exam fee of member %d: %w", inv.MemberID, err)
		default:
			created++
		}
	}
	return created, nil
}

// InvitationCounts counts an exam's invitations by answer.
func (s *Store) InvitationCounts(ctx context.Context, examID int64) (InvitationCounts, error) {
	var rows []struct {
		Status InvitationStatus
		N      int
	}
	err := s.db.WithContext(ctx).Model(&ExamInvitation{}).Select("status, COUNT(*) AS n").Where("exam_id = ?", examID).Group("status").Scan(&rows).Error
	if err != nil {
		return InvitationCounts{}, fmt.Errorf("count invitations of exam %d: %w", examID, err)
	}
	var c InvitationCounts
	for _, r := range rows {
		c.Invited += r.N
		switch r.Status {
		case InvitationAccepted:
			c.Accepted = r.N
		case InvitationDeclined:
			c.Declined = r.N
		case InvitationNoAnswer:
			c.NoAnswer = r.N
		case InvitationInvited:
			c.Pending = r.N
		}
	}
	return c, nil
}

// RecordResult enters the result of a member who took the exam (their invitation accepted).
// Passed records the grading to the target rank on the exam day through AddGrading — rank
// history, the member's rank and the timeline — and both results are audited. Entering the
// same result again changes nothing; a different one is ErrConflict.
func (s *Store) RecordResult(ctx context.Context, actor string, examID, memberID int64, passed bool) (*ExamInvitation, error) {
	e, err := s.GetExam(ctx, examID)
	if err != nil {
		return nil, err
	}
	var inv ExamInvitation
	err = s.db.WithContext(ctx).Where("exam_id = ? AND member_id = ?", examID, memberID).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("invitation of member %d to exam %d: %w", memberID, examID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load invitation: %w", err)
	}
	result := ResultFailed
	if passed {
		result = ResultPassed
	}
	switch {
	case inv.Result == result:
		return &inv, nil
	case inv.Result != "":
		return nil, fmt.Errorf("result of member %d is %s already: %w", memberID, inv.Result, ErrConflict)
	case inv.Status != InvitationAccepted:
		return nil, invalid("member_id", "not_accepted", "did not accept the invitation")
	}
	if passed {
		if _, err := s.AddGrading(ctx, actor, memberID, inv.TargetRank, e.ExamOn, e.Name); err != nil {
			return nil, err
		}
	}
	now := s.now()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&ExamInvitation{}).Where("id = ?", inv.ID).Updates(map[string]any{"result": result, "result_at": now}).Error; err != nil {
			return fmt.Errorf("store result: %w", err)
		}
		return s.audit(tx, AuditEntry{Actor: actor, MemberID: &memberID, Action: ActionExamResult, Field: examRef(examID),
			NewValue: result + " " + inv.TargetRank})
	})
	if err != nil {
		return nil, err
	}
	inv.Result, inv.ResultAt = result, &now
	return &inv, nil
}
