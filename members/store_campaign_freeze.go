package members

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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
		w := recipientWriter{tx: tx, campaignID: c.ID, batchSize: batchSize}
		// On an early return the error that caused it is the one to report, and the
		// transaction's rollback closes the statement anyway; the normal path checks close.
		defer func() { _ = w.close() }()
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
		if err := w.close(); err != nil {
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

// insertRecipientsSQL starts the INSERT of frozen recipients, followed by one row of
// recipientParams placeholders per recipient; the other columns take their defaults (no
// notice, no fallback, no update yet): the values GORM's Create of a CampaignRecipient wrote.
const (
	insertRecipientsSQL = "INSERT INTO campaign_recipients (campaign_id, member_id, channel, batch, status, reason) VALUES "
	recipientParams     = 6
)

// recipientsInsert is the INSERT of n recipient rows, with PostgreSQL's numbered placeholders
// when dollar is set, else with "?".
func recipientsInsert(n int, dollar bool) string {
	var b strings.Builder
	b.WriteString(insertRecipientsSQL)
	db.WriteValues(&b, n, recipientParams, dollar)
	return b.String()
}

// recipientWriter numbers recipients into batches and inserts them in chunks of recipientChunk
// with a multi-row INSERT written by hand (db/raw.go): GORM's Create spent its time in
// reflection and prepared each chunk as a statement of its own.
type recipientWriter struct {
	tx         *gorm.DB
	campaignID int64
	batchSize  int
	sendable   int
	rows       int
	args       []any
	// full is the INSERT of a full chunk, prepared once on the transaction for the whole
	// freeze: mattn/go-sqlite3 would compile the 3,000-parameter statement again for every
	// chunk (a tenth of the freeze's time).
	full *sql.Stmt
}

// add queues one row: skipped in batch 0 when reason is set, else in the next batch's turn.
func (w *recipientWriter) add(memberID int64, channel, reason string) error {
	status, batch := RecipientPending, 0
	if reason != "" {
		status = RecipientSkipped
	} else {
		batch = w.sendable/w.batchSize + 1
		w.sendable++
	}
	if w.args == nil {
		w.args = make([]any, 0, recipientChunk*recipientParams)
	}
	w.args = append(w.args, w.campaignID, memberID, channel, batch, status, reason)
	w.rows++
	if w.rows >= recipientChunk {
		return w.flush()
	}
	return nil
}

// flush writes the queued rows: a full chunk through the prepared statement, the last, partial
// one as a statement of its own.
func (w *recipientWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	if err := w.exec(); err != nil {
		return fmt.Errorf("write recipients of campaign %d: %w", w.campaignID, db.Translated(w.tx, err))
	}
	w.rows, w.args = 0, w.args[:0]
	return nil
}

// exec runs the INSERT of the queued rows on the transaction's connection.
func (w *recipientWriter) exec() error {
	ctx, conn, dollar := w.tx.Statement.Context, w.tx.Statement.ConnPool, db.Dollar(w.tx)
	if w.rows < recipientChunk {
		_, err := conn.ExecContext(ctx, recipientsInsert(w.rows, dollar), w.args...)
		return err
	}
	if w.full == nil {
		stmt, err := conn.PrepareContext(ctx, recipientsInsert(recipientChunk, dollar))
		if err != nil {
			return err
		}
		w.full = stmt
	}
	_, err := w.full.ExecContext(ctx, w.args...)
	return err
}

// close releases the prepared statement; the transaction would at its end.
func (w *recipientWriter) close() error {
	if w.full == nil {
		return nil
	}
	err := w.full.Close()
	w.full = nil
	if err != nil {
		return fmt.Errorf("close the recipients' insert: %w", err)
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
