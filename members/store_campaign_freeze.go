package members

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"

	"membership/db"
)

// recipientChunk is how many recipient rows one INSERT writes: 6 parameters each stay far below
// both databases' limits on bound parameters (SQLite 32,766, PostgreSQL 65,535).
const recipientChunk = 500

// FreezeCampaignAudience writes campaign id's recipients once — one row per member and
// channel, skipped at once where consent or contact is missing, the others numbered into
// batches of batchSize — and marks it running. Called again, it writes nothing and answers what
// the first call froze. A retry campaign's audience is its parent's failed recipients. A
// cancelled campaign is ErrConflict.
func (s *Store) FreezeCampaignAudience(ctx context.Context, id int64, batchSize int) (CampaignFreeze, error) {
	if batchSize < 1 {
		return CampaignFreeze{}, fmt.Errorf("freeze audience of campaign %d: batch size %d", id, batchSize)
	}
	var out CampaignFreeze
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCampaign(tx, id)
		if err != nil {
			return err
		}
		if c.StartedAt == nil {
			if c.Status != CampaignPlanned {
				return fmt.Errorf("campaign %d is %s: %w", id, c.Status, ErrConflict)
			}
			if err := s.writeRecipients(ctx, tx, c, batchSize); err != nil {
				return err
			}
			if c, err = s.getCampaign(tx, id); err != nil {
				return err
			}
		}
		out, err = s.frozen(tx, c)
		return err
	})
	if err != nil {
		return CampaignFreeze{}, fmt.Errorf("freeze audience of campaign %d: %w", id, err)
	}
	return out, nil
}

// writeRecipients writes the recipient rows and the campaign's audience size, counts and start.
func (s *Store) writeRecipients(ctx context.Context, tx *gorm.DB, c *Campaign, batchSize int) error {
	var size int
	if c.ParentID != nil {
		res := tx.Exec(copyFailedRecipientsSQL, c.ID, batchSize, s.now(), *c.ParentID)
		if res.Error != nil {
			return fmt.Errorf("copy failed recipients of campaign %d: %w", *c.ParentID, res.Error)
		}
		var n int64
		if err := tx.Model(&CampaignRecipient{}).Where("campaign_id = ?", c.ID).Distinct("member_id").Count(&n).Error; err != nil {
			return fmt.Errorf("count recipients: %w", err)
		}
		size = int(n)
	} else {
		w := newRecipientWriter(tx, c.ID, batchSize)
		err := s.iterateAudience(tx.WithContext(ctx), c.Audience.Query(), func(m *Member) error {
			size++
			for _, ch := range c.Channels {
				why := Unreachable(m, ch)
				if ch == CampaignSMS && c.SMSFallback && why != "" && m.ErasedAt == nil {
					// Not skipped at once: the batch's send skips the SMS and sends the e-mail.
					why = ""
				}
				if err := w.add(m.ID, ch, why); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	if err := s.refreshCampaignCounts(tx, c.ID); err != nil {
		return err
	}
	now := s.now()
	err := tx.Model(&Campaign{}).Where("id = ?", c.ID).Updates(map[string]any{
		"status": CampaignRunning, "started_at": now, "audience_size": size, "updated_at": now,
	}).Error
	if err != nil {
		return fmt.Errorf("mark campaign %d running: %w", c.ID, err)
	}
	return nil
}

// copyFailedRecipientsSQL gives a retry campaign its parent's failed recipients, numbered into
// batches in member order.
const copyFailedRecipientsSQL = `
INSERT INTO campaign_recipients (campaign_id, member_id, channel, batch, status, reason, updated_at)
SELECT ?, member_id, channel, (ROW_NUMBER() OVER (ORDER BY member_id, channel) - 1) / ? + 1, 'pending', '', ?
FROM campaign_recipients WHERE campaign_id = ? AND status = 'failed'`

// audienceColumns are the columns the freeze reads of each member of the audience: the id and
// what Unreachable looks at. Reading all 34 of Iterate's (timestamps parsed, the plan joined)
// for these six was a large share of the freeze's time.
const audienceColumns = `members.id, members.erased_at, members.email, members.email_consent,
	members.phone, members.sms_consent`

// iterateAudience calls fn for every member q selects, in id order and in chunks as Iterate
// does, with only audienceColumns filled in: fn must read nothing else of the *Member, whose
// memory is reused for a later chunk. tx is the freeze's transaction: the audience is read
// where it is written. The Member is filled rather than the columns tested here, so that
// Unreachable stays the one place that says who a campaign reaches.
func (s *Store) iterateAudience(tx *gorm.DB, q ListQuery, fn func(*Member) error) error {
	filtered, err := s.filter(tx, q)
	if err != nil {
		return err
	}
	return s.eachChunk(filtered, audienceMembers, fn)
}

// audienceMembers reads audienceColumns.
var audienceMembers = memberRead{columns: audienceColumns, scan: func(rows *sql.Rows, m *Member) error {
	return rows.Scan(&m.ID, &m.ErasedAt, &m.Email, &m.EmailConsent, &m.Phone, &m.SMSConsent)
}}

// insertRecipientsSQL starts the INSERT of frozen recipients, followed by one row of six
// values per recipient; the other columns take their defaults (no notice, no fallback, no
// update yet): the values GORM's Create of a CampaignRecipient wrote.
const insertRecipientsSQL = "INSERT INTO campaign_recipients (campaign_id, member_id, channel, batch, status, reason) VALUES "

// recipientWriter numbers recipients into batches and inserts them in chunks of recipientChunk
// with a multi-row INSERT written by hand (db.Rows): GORM's Create spent its time in
// reflection and prepared each chunk as a statement of its own.
type recipientWriter struct {
	tx         *gorm.DB
	campaignID int64
	batchSize  int
	sendable   int
	rows       *db.Rows
}

func newRecipientWriter(tx *gorm.DB, campaignID int64, batchSize int) *recipientWriter {
	return &recipientWriter{tx: tx, campaignID: campaignID, batchSize: batchSize,
		rows: db.NewRows(tx, insertRecipientsSQL, "", recipientChunk)}
}

// add queues one row, skipped in batch 0 when reason is set, else in the next batch's turn,
// and writes the chunk it fills.
func (w *recipientWriter) add(memberID int64, channel, reason string) error {
	status, batch := RecipientPending, 0
	if reason != "" {
		status = RecipientSkipped
	} else {
		batch = w.sendable/w.batchSize + 1
		w.sendable++
	}
	return w.write(w.rows.Add(w.campaignID, memberID, channel, batch, status, reason))
}

// flush writes the rows queued since the last full chunk.
func (w *recipientWriter) flush() error { return w.write(w.rows.Rest()) }

func (w *recipientWriter) write(st *db.Statement) error {
	if st == nil {
		return nil
	}
	if _, err := st.Exec(w.tx); err != nil {
		return fmt.Errorf("write recipients of campaign %d: %w", w.campaignID, err)
	}
	return nil
}

// frozen describes a frozen audience from the campaign row and its recipients.
func (s *Store) frozen(tx *gorm.DB, c *Campaign) (CampaignFreeze, error) {
	var batches int
	err := tx.Model(&CampaignRecipient{}).Where("campaign_id = ?", c.ID).Select("COALESCE(MAX(batch), 0)").Scan(&batches).Error
	if err != nil {
		return CampaignFreeze{}, fmt.Errorf("count batches of campaign %d: %w", c.ID, err)
	}
	return CampaignFreeze{AudienceSize: c.AudienceSize, Counts: c.Counts, Batches: batches}, nil
}
