package members

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimNotice inserts n under its key unless a notice with that key exists, and returns the
// stored one: the new row, or the existing row as it stands. Status defaults to queued.
func (s *Store) ClaimNotice(ctx context.Context, n Notice) (*Notice, error) {
	now := s.now()
	n.ID, n.CreatedAt, n.UpdatedAt = 0, now, now
	if n.Status == "" {
		n.Status = NoticeQueued
	}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoNothing: true}).Create(&n)
	if res.Error != nil {
		return nil, fmt.Errorf("claim notice %s: %w", n.Key, res.Error)
	}
	if res.RowsAffected == 1 {
		return &n, nil
	}
	return s.NoticeByKey(ctx, n.Key)
}

// NoticeByKey reads the notice with key.
func (s *Store) NoticeByKey(ctx context.Context, key string) (*Notice, error) {
	var n Notice
	err := s.db.WithContext(ctx).Where("key = ?", key).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("notice %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load notice %s: %w", key, err)
	}
	return &n, nil
}

// MarkNoticeSending records that notice id, rendered as subject and body, is being handed to
// provider, and counts the attempt. A notice already done is left alone: ErrConflict.
func (s *Store) MarkNoticeSending(ctx context.Context, id int64, provider, subject, body string) error {
	return s.updateNotice(ctx, id, "mark sending", []NoticeStatus{NoticeQueued, NoticeSending}, map[string]any{
		"status": NoticeSending, "provider": provider, "subject": subject, "body": body,
		"attempts": gorm.Expr("attempts + 1"),
	})
}

// MarkNoticeSent records the provider's message id of an accepted notice.
func (s *Store) MarkNoticeSent(ctx context.Context, id int64, providerMessageID string) error {
	now := s.now()
	return s.updateNotice(ctx, id, "mark sent", []NoticeStatus{NoticeQueued, NoticeSending}, map[string]any{
		"status": NoticeSent, "provider_message_id": providerMessageID, "sent_at": now,
		"error_code": "", "error_message": "",
	})
}

// MarkNoticeFailed records that the provider refused notice id for good.
func (s *Store) MarkNoticeFailed(ctx context.Context, id int64, code, message string) error {
	return s.updateNotice(ctx, id, "mark failed", []NoticeStatus{NoticeQueued, NoticeSending}, map[string]any{
		"status": NoticeFailed, "error_code": code, "error_message": message,
	})
}

// MarkNoticeSkipped records that notice id is not sent, and why (no consent, no contact).
func (s *Store) MarkNoticeSkipped(ctx context.Context, id int64, reason string) error {
	return s.updateNotice(ctx, id, "mark skipped", []NoticeStatus{NoticeQueued, NoticeSending}, map[string]any{
		"status": NoticeSkipped, "error_message": reason,
	})
}

// RecordNoticeError records a send of notice id that failed in a way a retry may mend; the
// notice goes back to queued.
func (s *Store) RecordNoticeError(ctx context.Context, id int64, code, message string) error {
	return s.updateNotice(ctx, id, "record error", []NoticeStatus{NoticeQueued, NoticeSending}, map[string]any{
		"status": NoticeQueued, "error_code": code, "error_message": message,
	})
}

// updateNotice sets cols on notice id while it is in one of the from statuses.
func (s *Store) updateNotice(ctx context.Context, id int64, what string, from []NoticeStatus, cols map[string]any) error {
	cols["updated_at"] = s.now()
	res := s.db.WithContext(ctx).Model(&Notice{}).Where("id = ? AND status IN ?", id, from).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("%s notice %d: %w", what, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s notice %d: not found or already done: %w", what, id, ErrConflict)
	}
	return nil
}

// NoticeDelivery is a provider's report on a message it accepted.
type NoticeDelivery struct {
	Provider          string
	ProviderMessageID string
	// Status is NoticeDelivered, NoticeUndeliverable or NoticeFailed.
	Status       NoticeStatus
	ErrorCode    string
	ErrorMessage string
	At           time.Time
}

// deliveryFrom lists the statuses a report may move a notice from. Reports arrive out of
// order and more than once: delivered never overwrites a failure, and nothing moves a notice
// back; a late bounce may still turn delivered into undeliverable.
func deliveryFrom(to NoticeStatus) []NoticeStatus {
	if to == NoticeDelivered {
		return []NoticeStatus{NoticeSending, NoticeSent}
	}
	return []NoticeStatus{NoticeSending, NoticeSent, NoticeDelivered}
}

// RecordDelivery applies a delivery report to the notice the provider's message id names and
// reports how many notices it changed (0 for an unknown id, a repeated or an outdated report).
func (s *Store) RecordDelivery(ctx context.Context, d NoticeDelivery) (int64, error) {
	switch d.Status {
	case NoticeDelivered, NoticeUndeliverable, NoticeFailed:
	default:
		return 0, fmt.Errorf("record delivery: status %q is not a delivery report", d.Status)
	}
	if d.ProviderMessageID == "" {
		return 0, nil
	}
	cols := map[string]any{"status": d.Status, "updated_at": s.now()}
	if d.Status == NoticeDelivered {
		at := d.At
		if at.IsZero() {
			at = s.now()
		}
		cols["delivered_at"] = at.UTC().Truncate(time.Microsecond)
	} else {
		cols["error_code"], cols["error_message"] = d.ErrorCode, d.ErrorMessage
	}
	res := s.db.WithContext(ctx).Model(&Notice{}).
		Where("provider_message_id = ? AND provider = ? AND status IN ?", d.ProviderMessageID, d.Provider, deliveryFrom(d.Status)).
		Updates(cols)
	if res.Error != nil {
		return 0, fmt.Errorf("record %s delivery of %s: %w", d.Provider, d.ProviderMessageID, res.Error)
	}
	return res.RowsAffected, nil
}

// MemberNotices lists a member's notices, newest first, at most limit (50 by default, 500 at
// most).
func (s *Store) MemberNotices(ctx context.Context, memberID int64, limit int) ([]Notice, error) {
	_, limit = pageBounds(1, limit)
	var out []Notice
	err := s.db.WithContext(ctx).Where("member_id = ?", memberID).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list notices of member %d: %w", memberID, err)
	}
	return out, nil
}

// NoticeTimeline is a TimelineSource of the member's notices: pass s.NoticeTimeline (wrapped
// in TimelineFunc) to Timeline as an extra source.
func (s *Store) NoticeTimeline(ctx context.Context, memberID int64, limit int) ([]TimelineEntry, error) {
	ns, err := s.MemberNotices(ctx, memberID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, len(ns))
	for i, n := range ns {
		out[i] = noticeEntry(n)
	}
	return out, nil
}

// noticeEntry describes a notice on the timeline: "SMS sent: phone_code", with the subject
// or the reason it failed.
func noticeEntry(n Notice) TimelineEntry {
	channel := map[string]string{"sms": "SMS", "email": "E-mail"}[n.Channel]
	e := TimelineEntry{At: n.CreatedAt, Kind: "notice", Actor: ActorSystem, Ref: "notice:" + strconv.FormatInt(n.ID, 10),
		Title: channel + " " + string(n.Status) + ": " + n.Template}
	var detail []string
	if n.Subject != "" {
		detail = append(detail, n.Subject)
	}
	if n.ErrorMessage != "" {
		detail = append(detail, strings.TrimSpace(n.ErrorCode+" "+n.ErrorMessage))
	}
	e.Detail = strings.Join(detail, " – ")
	return e
}

// CampaignNoticeCounts counts a campaign's notices by status.
func (s *Store) CampaignNoticeCounts(ctx context.Context, campaignID int64) (NoticeCounts, error) {
	var rows []struct {
		Status NoticeStatus
		N      int64
	}
	err := s.db.WithContext(ctx).Model(&Notice{}).Select("status, count(*) AS n").
		Where("campaign_id = ?", campaignID).Group("status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count notices of campaign %d: %w", campaignID, err)
	}
	out := NoticeCounts{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// FailedCampaignNotices lists a campaign's failed and undeliverable notices, oldest first,
// with their error codes and messages: the audience of a "retry failed" campaign.
func (s *Store) FailedCampaignNotices(ctx context.Context, campaignID int64) ([]Notice, error) {
	var out []Notice
	err := s.db.WithContext(ctx).Where("campaign_id = ? AND status IN ?", campaignID, []NoticeStatus{NoticeFailed, NoticeUndeliverable}).
		Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list failed notices of campaign %d: %w", campaignID, err)
	}
	return out, nil
}

// WithdrawSMSConsent withdraws the SMS consent of every live member whose phone number is
// phone (E.164), with an audit row each under ActionSMSOptOut, and returns their ids. Members
// without consent are left as they are.
func (s *Store) WithdrawSMSConsent(ctx context.Context, actor, phone string) ([]int64, error) {
	if phone == "" {
		return nil, nil
	}
	var ids []int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var found []int64
		if err := tx.Model(&Member{}).Where("phone = ? AND sms_consent AND erased_at IS NULL", phone).Order("id").Pluck("id", &found).Error; err != nil {
			return fmt.Errorf("find members by phone: %w", err)
		}
		for _, id := range found {
			m, err := s.get(tx, id)
			if err != nil {
				return err
			}
			next := *m
			now := s.now()
			next.SMSConsent, next.SMSConsentAt = false, &now
			if _, err := s.save(tx, actor, ActionSMSOptOut, m, &next); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw sms consent: %w", err)
	}
	return ids, nil
}

// NoticeTally is how many notices one provider holds in one status.
type NoticeTally struct {
	Provider string
	Status   NoticeStatus
	N        int64
}

// NoticeTallies counts all notices by provider and status, for /metrics. Notices never handed
// to a provider (skipped ones) count under provider "".
func (s *Store) NoticeTallies(ctx context.Context) ([]NoticeTally, error) {
	var out []NoticeTally
	err := s.db.WithContext(ctx).Model(&Notice{}).Select("provider, status, count(*) AS n").
		Group("provider, status").Order("provider, status").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("count notices: %w", err)
	}
	return out, nil
}
