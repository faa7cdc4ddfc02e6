package members

import (
	"bufio"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// RecipientQuery pages through a campaign's recipients; Status "" means all.
type RecipientQuery struct {
	Status  string
	Page    int
	PerPage int
}

// recipientColumns reads a recipient with the member's name.
const recipientColumns = "campaign_recipients.campaign_id, campaign_recipients.member_id, campaign_recipients.channel, " +
	"campaign_recipients.batch, campaign_recipients.status, campaign_recipients.reason, campaign_recipients.notice_id, " +
	"campaign_recipients.fallback, campaign_recipients.fallback_status, " +
	"members.first_name, members.last_name, COALESCE(notices.status, '') AS delivery"

// recipients reads a campaign's recipients with the member's name and where the notice stands
// now: the provider's webhooks move it from sent to delivered or undeliverable.
func (s *Store) recipients(tx *gorm.DB, campaignID int64, status string) *gorm.DB {
	tx = tx.Model(&CampaignRecipient{}).Select(recipientColumns).
		Joins("JOIN members ON members.id = campaign_recipients.member_id").
		Joins("LEFT JOIN notices ON notices.id = campaign_recipients.notice_id").
		Where("campaign_recipients.campaign_id = ?", campaignID)
	if status != "" {
		tx = tx.Where("campaign_recipients.status = ?", status)
	}
	return tx
}

// CampaignRecipients pages through a campaign's recipients in member order, with the
// members' names: the report's list of failed notices and their reasons.
func (s *Store) CampaignRecipients(ctx context.Context, campaignID int64, q RecipientQuery) ([]CampaignRecipient, int64, error) {
	page, perPage := pageBounds(q.Page, q.PerPage)
	tx := s.db.WithContext(ctx)
	var total int64
	if err := s.recipients(tx, campaignID, q.Status).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count recipients of campaign %d: %w", campaignID, err)
	}
	out := []CampaignRecipient{}
	err := s.recipients(tx, campaignID, q.Status).Order("campaign_recipients.member_id, campaign_recipients.channel").
		Offset((page - 1) * perPage).Limit(perPage).Find(&out).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list recipients of campaign %d: %w", campaignID, err)
	}
	return out, total, nil
}

// IterateCampaignRecipients calls fn for each of a campaign's recipients in member order,
// reading them in chunks (the CSV report of 100,000 recipients holds one chunk in memory).
func (s *Store) IterateCampaignRecipients(ctx context.Context, campaignID int64, fn func(*CampaignRecipient) error) error {
	tx := s.db.WithContext(ctx)
	chunk := make([]CampaignRecipient, 0, iterateChunk)
	var afterMember int64
	var afterChannel string
	for {
		chunk = chunk[:0]
		err := s.recipients(tx, campaignID, "").
			Where("(campaign_recipients.member_id > ? OR (campaign_recipients.member_id = ? AND campaign_recipients.channel > ?))", afterMember, afterMember, afterChannel).
			Order("campaign_recipients.member_id, campaign_recipients.channel").Limit(iterateChunk).Find(&chunk).Error
		if err != nil {
			return fmt.Errorf("read recipients of campaign %d: %w", campaignID, err)
		}
		for i := range chunk {
			if err := fn(&chunk[i]); err != nil {
				return err
			}
		}
		if len(chunk) < iterateChunk {
			return nil
		}
		last := chunk[len(chunk)-1]
		afterMember, afterChannel = last.MemberID, last.Channel
	}
}

// CampaignPreview is what a campaign would do if it started now.
type CampaignPreview struct {
	// AudienceSize is how many members the audience selects.
	AudienceSize int
	// Channels has one entry per channel of the campaign, in its order.
	Channels []ChannelPreview
	// Samples are the first few members the campaign reaches, to render its texts for.
	Samples []Member
}

// ChannelPreview counts one channel's recipients: those it reaches, and those skipped by reason.
type ChannelPreview struct {
	Channel   string
	Reachable int
	Skipped   []SkipCount
}

// SkipCount is how many members one reason skips.
type SkipCount struct {
	Reason string
	Count  int
}

// PreviewCampaign validates in like CreateCampaign (and normalises it), then counts its
// audience per channel and picks up to samples members it reaches.
func (s *Store) PreviewCampaign(ctx context.Context, in *CampaignInput, samples int) (*CampaignPreview, error) {
	if err := s.validateCampaign(s.db.WithContext(ctx), in); err != nil {
		return nil, err
	}
	p := &CampaignPreview{Channels: make([]ChannelPreview, len(in.Channels))}
	skips := make([]map[string]int, len(in.Channels))
	for i, ch := range in.Channels {
		p.Channels[i].Channel, skips[i] = ch, map[string]int{}
	}
	err := s.Iterate(ctx, in.Audience.Query(), func(m *Member) error {
		p.AudienceSize++
		reachable := false
		for i, ch := range in.Channels {
			if reason := Unreachable(m, ch); reason != "" {
				skips[i][reason]++
				continue
			}
			p.Channels[i].Reachable++
			reachable = true
		}
		if reachable && len(p.Samples) < samples {
			p.Samples = append(p.Samples, *m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("preview campaign: %w", err)
	}
	for i := range p.Channels {
		for reason, n := range skips[i] {
			p.Channels[i].Skipped = append(p.Channels[i].Skipped, SkipCount{Reason: reason, Count: n})
		}
		slices.SortFunc(p.Channels[i].Skipped, func(a, b SkipCount) int {
			return cmp.Or(b.Count-a.Count, strings.Compare(a.Reason, b.Reason))
		})
	}
	return p, nil
}

// WriteCampaignReportCSV writes campaign id's recipients as CSV — member, name, channel,
// outcome, reason, notice — streaming, with cells a spreadsheet would evaluate defused as in
// the member export.
func (s *Store) WriteCampaignReportCSV(ctx context.Context, w io.Writer, id int64) error {
	if _, err := s.GetCampaign(ctx, id); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	// delivery is the notice's state from the provider's webhooks (delivered, undeliverable …);
	// fallback names the channel that served a member whose SMS could not go.
	header := []string{"member_id", "first_name", "last_name", "channel", "status", "reason", "notice_id", "delivery", "fallback", "fallback_status"}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write CSV header: %w", err)
	}
	err := s.IterateCampaignRecipients(ctx, id, func(r *CampaignRecipient) error {
		notice := ""
		if r.NoticeID != nil {
			notice = strconv.FormatInt(*r.NoticeID, 10)
		}
		return cw.Write([]string{strconv.FormatInt(r.MemberID, 10), neutralise(r.FirstName, false), neutralise(r.LastName, false),
			r.Channel, r.Status, neutralise(r.Reason, false), notice, r.Delivery, r.Fallback, r.FallbackStatus})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return bw.Flush()
}
