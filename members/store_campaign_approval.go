package members

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Audit actions of a campaign's approval and its missed start.
const (
	ActionCampaignApprove = "campaign_approve"
	ActionCampaignReject  = "campaign_reject"
	ActionCampaignRelease = "campaign_release"
)

// Keys and defaults of the campaign settings in club_settings.
const (
	settingApprovalMinAudience = "campaign.approval_min_audience"
	settingApprovalHours       = "campaign.approval_hours"
	// DefaultApprovalHours is how long a campaign waits for its approval before it expires.
	DefaultApprovalHours = 48
)

// CampaignSettings say which campaigns need a second admin's approval: those whose audience
// holds at least ApprovalMinAudience members (0: none, 1: every campaign), within
// ApprovalHours of being planned.
type CampaignSettings struct {
	ApprovalMinAudience int `json:"approval_min_audience"`
	ApprovalHours       int `json:"approval_hours"`
}

// CampaignSettings reads the club's campaign settings, defaults where none is stored.
func (s *Store) CampaignSettings(ctx context.Context) (CampaignSettings, error) {
	var rows []clubSetting
	if err := s.db.WithContext(ctx).Where("key LIKE ?", "campaign.%").Find(&rows).Error; err != nil {
		return CampaignSettings{}, fmt.Errorf("read campaign settings: %w", err)
	}
	out := CampaignSettings{ApprovalHours: DefaultApprovalHours}
	for _, r := range rows {
		switch r.Key {
		case settingApprovalMinAudience:
			out.ApprovalMinAudience = atoiOr(r.Value, 0)
		case settingApprovalHours:
			out.ApprovalHours = atoiOr(r.Value, DefaultApprovalHours)
		}
	}
	return out, nil
}

// SaveCampaignSettings validates and stores the campaign settings, each change audited.
func (s *Store) SaveCampaignSettings(ctx context.Context, actor string, in CampaignSettings) (CampaignSettings, error) {
	var v ValidationError
	if in.ApprovalMinAudience < 0 || in.ApprovalMinAudience > 1_000_000 {
		v.Add("approval_min_audience", "out_of_range", "must be between 0 and 1000000", "Min", 0, "Max", 1_000_000)
	}
	if in.ApprovalHours < 1 || in.ApprovalHours > 24*14 {
		v.Add("approval_hours", "out_of_range", "must be between 1 and 336", "Min", 1, "Max", 24*14)
	}
	if err := v.err(); err != nil {
		return in, err
	}
	old, err := s.CampaignSettings(ctx)
	if err != nil {
		return in, err
	}
	err = s.saveSettings(ctx, actor, []settingChange{
		{settingApprovalMinAudience, strconv.Itoa(old.ApprovalMinAudience), strconv.Itoa(in.ApprovalMinAudience), false},
		{settingApprovalHours, strconv.Itoa(old.ApprovalHours), strconv.Itoa(in.ApprovalHours), false},
	})
	if err != nil {
		return in, fmt.Errorf("save campaign settings: %w", err)
	}
	return in, nil
}

// ApprovalRequest is what RequestApproval decided: whether the campaign waits for an approval
// and until when, and its audience size then.
type ApprovalRequest struct {
	Needed   bool      `json:"needed"`
	Deadline time.Time `json:"deadline"`
	Audience int       `json:"audience"`
	// State is the approval as it stands: awaiting, or already approved or rejected (a run
	// restarted from the monitor), "" when none is needed.
	State string `json:"state"`
}

// RequestApproval decides once whether a planned campaign needs approval — its audience counted
// now against the settings — and if so marks it awaiting, with its deadline. Asked again it
// answers what it decided.
func (s *Store) RequestApproval(ctx context.Context, id int64) (ApprovalRequest, error) {
	var out ApprovalRequest
	c, err := s.GetCampaign(ctx, id)
	if err != nil {
		return out, err
	}
	if c.Approval != "" {
		return ApprovalRequest{Needed: true, State: c.Approval, Deadline: deref(c.ApprovalDeadline)}, nil
	}
	set, err := s.CampaignSettings(ctx)
	if err != nil || set.ApprovalMinAudience == 0 || c.Status != CampaignPlanned {
		return out, err
	}
	_, size, err := s.List(ctx, ListQuery{Filter: Filter(c.Audience), PerPage: 1})
	if err != nil {
		return out, err
	}
	out.Audience = int(size)
	if int(size) < set.ApprovalMinAudience {
		return out, nil
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		deadline := s.now().Add(time.Duration(set.ApprovalHours) * time.Hour)
		out = ApprovalRequest{Needed: true, Deadline: deadline, Audience: int(size), State: ApprovalAwaiting}
		return tx.Model(&Campaign{}).Where("id = ? AND approval = ''", id).
			Updates(map[string]any{"approval": ApprovalAwaiting, "approval_deadline": deadline, "updated_at": s.now()}).Error
	})
	if err != nil {
		return ApprovalRequest{}, fmt.Errorf("request approval of campaign %d: %w", id, err)
	}
	return out, nil
}

// DecideApproval records an admin's approval or rejection of an awaiting campaign. The author
// may not decide (ErrOwnApproval); a campaign not awaiting approval is ErrConflict, except the
// same decision by the same admin again, which changes nothing.
func (s *Store) DecideApproval(ctx context.Context, actor string, id int64, approve bool, note string) (*Campaign, error) {
	state, action := ApprovalRejected, ActionCampaignReject
	if approve {
		state, action = ApprovalApproved, ActionCampaignApprove
	}
	var out *Campaign
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCampaign(tx, id)
		if err != nil {
			return err
		}
		out = c
		switch {
		case c.CreatedBy == actor:
			return ErrOwnApproval
		case c.Approval == state && c.ApprovedBy == actor:
			return nil
		case c.Approval != ApprovalAwaiting || c.Status != CampaignPlanned:
			return fmt.Errorf("campaign %d is not awaiting approval (%s): %w", id, c.Approval, ErrConflict)
		}
		now := s.now()
		c.Approval, c.ApprovedBy, c.ApprovedAt, c.ApprovalNote = state, actor, &now, note
		res := tx.Model(&Campaign{}).Where("id = ? AND approval = ?", id, ApprovalAwaiting).Updates(map[string]any{
			"approval": state, "approved_by": actor, "approved_at": now, "approval_note": note, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		return s.audit(tx, AuditEntry{Actor: actor, Action: action, Field: campaignRef(id), NewValue: note})
	})
	if err != nil {
		return nil, fmt.Errorf("decide approval of campaign %d: %w", id, err)
	}
	return out, nil
}

// EndUnapproved ends a campaign that was rejected or whose approval expired: cancelled, with
// the reason; an awaiting approval becomes expired.
func (s *Store) EndUnapproved(ctx context.Context, id int64) (*Campaign, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCampaign(tx, id)
		if err != nil || c.Status.Finished() {
			return err
		}
		state := c.Approval
		if state == ApprovalAwaiting {
			state = ApprovalExpired
		}
		now := s.now()
		return tx.Model(&Campaign{}).Where("id = ?", id).Updates(map[string]any{
			"approval": state, "status": CampaignCancelled, "error": "not approved: " + state, "finished_at": now, "updated_at": now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("end unapproved campaign %d: %w", id, err)
	}
	return s.GetCampaign(ctx, id)
}

// NoteMissed records what a campaign did about a start missed while the server was down:
// sent late, skipped (the campaign ends cancelled) or held for an admin's decision.
func (s *Store) NoteMissed(ctx context.Context, id int64, missed string) error {
	cols := map[string]any{"missed": missed, "updated_at": s.now()}
	if missed == MissedSkipped {
		cols["status"], cols["error"], cols["finished_at"] = CampaignCancelled, "skipped: the planned start was missed", s.now()
	}
	err := s.db.WithContext(ctx).Model(&Campaign{}).Where("id = ? AND status = ?", id, CampaignPlanned).Updates(cols).Error
	if err != nil {
		return fmt.Errorf("note missed start of campaign %d: %w", id, err)
	}
	return nil
}

// ReleaseHeld records an admin's decision on a held campaign: send it now or skip it. A
// campaign not held is ErrConflict.
func (s *Store) ReleaseHeld(ctx context.Context, actor string, id int64, send bool) (*Campaign, error) {
	var out *Campaign
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCampaign(tx, id)
		if err != nil {
			return err
		}
		if c.Missed != MissedHeld || c.Status != CampaignPlanned {
			return fmt.Errorf("campaign %d is not held: %w", id, ErrConflict)
		}
		decision := MissedSentLate
		if !send {
			decision = MissedSkipped
		}
		out = c
		return s.audit(tx, AuditEntry{Actor: actor, Action: ActionCampaignRelease, Field: campaignRef(id), NewValue: decision})
	})
	if err != nil {
		return nil, fmt.Errorf("release campaign %d: %w", id, err)
	}
	return out, nil
}

// SetQuietUntil records (or, with nil, clears) the end of the quiet hours a campaign's SMS
// wait for.
func (s *Store) SetQuietUntil(ctx context.Context, id int64, until *time.Time) error {
	err := s.db.WithContext(ctx).Model(&Campaign{}).Where("id = ?", id).Updates(map[string]any{"quiet_until": until, "updated_at": s.now()}).Error
	if err != nil {
		return fmt.Errorf("note quiet hours of campaign %d: %w", id, err)
	}
	return nil
}
