package members

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Audit actions of campaigns; their rows name no member.
const (
	ActionCampaignCreate = "campaign_create"
	ActionCampaignCancel = "campaign_cancel"
)

// Limits of a campaign's texts.
const (
	maxCampaignName    = 200
	maxCampaignSubject = 200
	maxCampaignMessage = 5000
	maxCampaignAhead   = 366 * 24 * time.Hour
)

// campaignRef names a campaign in the audit log.
func campaignRef(id int64) string { return fmt.Sprintf("campaign:%d", id) }

// CreateCampaign validates in and stores a planned campaign (StartAt now when in gives none or
// a past time), with an audit row. Starting its workflow is the caller's next step.
func (s *Store) CreateCampaign(ctx context.Context, actor string, in CampaignInput) (*Campaign, error) {
	var c *Campaign
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.validateCampaign(tx, &in); err != nil {
			return err
		}
		now := s.now()
		c = &Campaign{
			Name: in.Name, Channels: in.Channels, Audience: in.Audience, Subject: in.Subject, Message: in.Message,
			StartAt: now, Status: CampaignPlanned, CreatedBy: actor, CreatedAt: now, UpdatedAt: now,
			MissedPolicy: in.MissedPolicy, SMSFallback: in.SMSFallback,
		}
		if in.StartAt != nil && in.StartAt.After(now) {
			c.StartAt = in.StartAt.UTC().Truncate(time.Microsecond)
		}
		return s.insertCampaign(tx, actor, c)
	})
	if err != nil {
		return nil, fmt.Errorf("create campaign: %w", err)
	}
	return c, nil
}

// CreateRetryCampaign plans a campaign of its own to the recipients whose notice of campaign
// parentID failed for good, with the parent's texts and channels, to start now. The parent
// must be finished, and something must have failed.
func (s *Store) CreateRetryCampaign(ctx context.Context, actor string, parentID int64) (*Campaign, error) {
	var c *Campaign
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := s.getCampaign(tx, parentID)
		if err != nil {
			return err
		}
		if !p.Status.Finished() {
			return fmt.Errorf("campaign %d is still %s: %w", p.ID, p.Status, ErrConflict)
		}
		if p.Counts.Failed == 0 {
			return fmt.Errorf("campaign %d has no failed notices: %w", p.ID, ErrConflict)
		}
		now := s.now()
		name := p.Name
		if !strings.HasSuffix(name, " (retry)") {
			name += " (retry)"
		}
		c = &Campaign{
			Name: name, Channels: p.Channels, Audience: p.Audience, Subject: p.Subject, Message: p.Message,
			StartAt: now, Status: CampaignPlanned, ParentID: &p.ID, CreatedBy: actor, CreatedAt: now, UpdatedAt: now,
			MissedPolicy: MissedSend, SMSFallback: p.SMSFallback,
		}
		return s.insertCampaign(tx, actor, c)
	})
	if err != nil {
		return nil, fmt.Errorf("retry failed notices of campaign %d: %w", parentID, err)
	}
	return c, nil
}

// insertCampaign writes a new campaign, names its workflow instance and audits it.
func (s *Store) insertCampaign(tx *gorm.DB, actor string, c *Campaign) error {
	if err := tx.Omit("ID").Create(c).Error; err != nil {
		return fmt.Errorf("insert campaign: %w", err)
	}
	c.InstanceID = CampaignInstanceID(c.ID)
	if err := tx.Model(&Campaign{}).Where("id = ?", c.ID).Update("instance_id", c.InstanceID).Error; err != nil {
		return fmt.Errorf("name instance of campaign %d: %w", c.ID, err)
	}
	return s.audit(tx, AuditEntry{Actor: actor, Action: ActionCampaignCreate, Field: campaignRef(c.ID), NewValue: c.Name})
}

// validateCampaign checks in and normalises it: trimmed texts, channels in a fixed order
// without repeats.
func (s *Store) validateCampaign(tx *gorm.DB, in *CampaignInput) error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Subject = strings.TrimSpace(in.Subject)
	in.Message = strings.TrimSpace(in.Message)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		v.Add("name", "required", "is required")
	case n > maxCampaignName:
		v.Add("name", "at_most", fmt.Sprintf("must be at most %d characters", maxCampaignName), "Max", maxCampaignName)
	}
	var channels []string
	for _, ch := range []string{CampaignEmail, CampaignSMS} {
		if slices.Contains(in.Channels, ch) {
			channels = append(channels, ch)
		}
	}
	for _, ch := range in.Channels {
		if ch != CampaignEmail && ch != CampaignSMS {
			v.Add("channels", "unknown_channel", "must list only email and sms")
			break
		}
	}
	if len(channels) == 0 && v.Message("channels") == "" {
		v.Add("channels", "no_channel", "must list email, sms or both")
	}
	in.Channels = channels
	switch in.MissedPolicy {
	case "":
		in.MissedPolicy = MissedSend
	case MissedSend, MissedSkip, MissedHold:
	default:
		v.Add("missed_policy", "invalid_missed_policy", "must be send, skip or hold")
	}
	if in.SMSFallback && !slices.Contains(channels, CampaignSMS) {
		in.SMSFallback = false // nothing to fall back from
	}
	// The e-mail a fallback sends needs a subject like any campaign e-mail.
	if slices.Contains(channels, CampaignEmail) || in.SMSFallback {
		switch {
		case in.Subject == "":
			v.Add("subject", "subject_required", "is required for e-mail")
		case utf8.RuneCountInString(in.Subject) > maxCampaignSubject:
			v.Add("subject", "at_most", fmt.Sprintf("must be at most %d characters", maxCampaignSubject), "Max", maxCampaignSubject)
		default:
			checkCampaignText(&v, "subject", in.Subject)
		}
	}
	switch {
	case in.Message == "":
		v.Add("message", "required", "is required")
	case utf8.RuneCountInString(in.Message) > maxCampaignMessage:
		v.Add("message", "at_most", fmt.Sprintf("must be at most %d characters", maxCampaignMessage), "Max", maxCampaignMessage)
	default:
		checkCampaignText(&v, "message", in.Message)
	}
	if in.StartAt != nil && in.StartAt.After(s.now().Add(maxCampaignAhead)) {
		v.Add("start_at", "within_a_year", "must be within a year")
	}
	if _, err := s.filter(tx, in.Audience.Query()); err != nil {
		var fv *ValidationError
		if !errors.As(err, &fv) {
			return err
		}
		for _, f := range fv.Fields {
			v.Add("audience."+f.Field, f.Code, f.Message, f.Args...)
		}
	}
	return v.err()
}

// GetCampaign reads one campaign.
func (s *Store) GetCampaign(ctx context.Context, id int64) (*Campaign, error) {
	return s.getCampaign(s.db.WithContext(ctx), id)
}

func (s *Store) getCampaign(tx *gorm.DB, id int64) (*Campaign, error) {
	var c Campaign
	err := tx.Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("campaign %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load campaign %d: %w", id, err)
	}
	return &c, nil
}

// ListCampaigns pages through the campaigns, newest first.
func (s *Store) ListCampaigns(ctx context.Context, page, perPage int) ([]Campaign, int64, error) {
	page, perPage = pageBounds(page, perPage)
	tx := s.db.WithContext(ctx).Model(&Campaign{})
	var total int64
	if err := tx.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count campaigns: %w", err)
	}
	out := []Campaign{}
	err := tx.Order("created_at DESC, id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list campaigns: %w", err)
	}
	return out, total, nil
}

// CampaignRetries lists the follow-up campaigns to the failed recipients of campaign id,
// oldest first.
func (s *Store) CampaignRetries(ctx context.Context, id int64) ([]Campaign, error) {
	var out []Campaign
	if err := s.db.WithContext(ctx).Where("parent_id = ?", id).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list retries of campaign %d: %w", id, err)
	}
	return out, nil
}

// CancelCampaign marks a planned or running campaign cancelled, with an audit row; stopping
// its workflow is the caller's next step. A finished campaign is ErrConflict.
func (s *Store) CancelCampaign(ctx context.Context, actor string, id int64) (*Campaign, error) {
	var c *Campaign
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if c, err = s.getCampaign(tx, id); err != nil {
			return err
		}
		if c.Status.Finished() {
			return fmt.Errorf("campaign %d is %s: %w", id, c.Status, ErrConflict)
		}
		if err := s.settleCampaign(tx, id, CampaignCancelled, ""); err != nil {
			return err
		}
		if c, err = s.getCampaign(tx, id); err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{Actor: actor, Action: ActionCampaignCancel, Field: campaignRef(id), NewValue: c.Name})
	})
	if err != nil {
		return nil, fmt.Errorf("cancel campaign %d: %w", id, err)
	}
	return c, nil
}

// NoteCampaignWaiting records that a running campaign's sends wait for a provider until
// until, because of reason; a zero until clears it (the sends went through again).
func (s *Store) NoteCampaignWaiting(ctx context.Context, id int64, until time.Time, reason string) error {
	var at *time.Time
	if !until.IsZero() {
		at = &until
		if r := []rune(reason); len(r) > 500 {
			reason = string(r[:500])
		}
	} else {
		reason = ""
	}
	err := s.db.WithContext(ctx).Model(&Campaign{}).Where("id = ? AND status = ?", id, CampaignRunning).
		Updates(map[string]any{"waiting_until": at, "waiting_reason": reason}).Error
	if err != nil {
		return fmt.Errorf("note campaign %d waiting: %w", id, err)
	}
	return nil
}

// FinishCampaign records how a campaign's workflow ended: completed, or failed with errText.
// A campaign already finished (cancelled meanwhile) keeps its status; its counts are
// refreshed either way.
func (s *Store) FinishCampaign(ctx context.Context, id int64, status CampaignStatus, errText string) (*Campaign, error) {
	var c *Campaign
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.settleCampaign(tx, id, status, errText); err != nil {
			return err
		}
		var err error
		c, err = s.getCampaign(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish campaign %d: %w", id, err)
	}
	return c, nil
}

// settleCampaign refreshes the counts and moves an unfinished campaign to a final status.
func (s *Store) settleCampaign(tx *gorm.DB, id int64, status CampaignStatus, errText string) error {
	if !status.Finished() {
		return fmt.Errorf("settle campaign %d: %q is not a final status", id, status)
	}
	if err := s.refreshCampaignCounts(tx, id); err != nil {
		return err
	}
	now := s.now()
	err := tx.Model(&Campaign{}).Where("id = ? AND status IN ?", id, []CampaignStatus{CampaignPlanned, CampaignRunning}).
		Updates(map[string]any{"status": status, "error": errText, "finished_at": now, "updated_at": now,
			"waiting_until": nil, "waiting_reason": ""}).Error
	if err != nil {
		return fmt.Errorf("settle campaign %d as %s: %w", id, status, err)
	}
	return nil
}
