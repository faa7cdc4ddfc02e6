package activities

import (
	"context"
	"fmt"
	"strings"
	"time"

	"membership/web/i18n"
	"membership/workflows"
)

// requestApproval decides whether the campaign waits for a second admin's approval.
func (a *Campaigns) requestApproval(ctx context.Context, campaignID int64) (workflows.CampaignApproval, error) {
	r, err := a.Members.RequestApproval(ctx, campaignID)
	return workflows.CampaignApproval{Needed: r.Needed, Deadline: r.Deadline, State: r.State}, err
}

// tellApprovers e-mails every admin but the author that the campaign waits for their
// approval, once per campaign and admin.
func (a *Campaigns) tellApprovers(ctx context.Context, campaignID int64) (struct{}, error) {
	c, err := a.Members.GetCampaign(ctx, campaignID)
	if err != nil {
		return struct{}{}, err
	}
	deadline := time.Time{}
	if c.ApprovalDeadline != nil {
		deadline = c.ApprovalDeadline.In(a.location())
	}
	link := fmt.Sprintf("%s/campaigns/%d", strings.TrimRight(a.BaseURL, "/"), c.ID)
	return struct{}{}, a.Notices.TellAdminsBut(ctx, fmt.Sprintf("campaign:%d:approval", c.ID), c.CreatedBy, func(l *i18n.Localizer) (string, string) {
		return l.T("admin_mail.campaign_approval.subject", "Name", c.Name),
			l.T("admin_mail.campaign_approval.text", "Name", c.Name, "Author", c.CreatedBy, "Deadline", l.DateTime(deadline), "Link", link)
	})
}

// endUnapproved ends a rejected campaign, or one whose approval expired.
func (a *Campaigns) endUnapproved(ctx context.Context, campaignID int64) (struct{}, error) {
	_, err := a.Members.EndUnapproved(ctx, campaignID)
	return struct{}{}, err
}

// noteMissed records what the campaign did about its missed start.
func (a *Campaigns) noteMissed(ctx context.Context, in workflows.CampaignMissed) (struct{}, error) {
	return struct{}{}, a.Members.NoteMissed(ctx, in.CampaignID, in.Missed)
}

// location is the club's time zone, UTC when unset.
func (a *Campaigns) location() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}
