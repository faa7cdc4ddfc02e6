package members

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"gorm.io/gorm"

	"membership/members/sepa"
)

// Audit actions of direct debits.
const (
	ActionCollectionCreate = "collection_create"
	ActionFeeSubmitted     = "fee_submitted"
	ActionFeeReturned      = "fee_returned"
)

// CreateCollection plans a direct debit run that collects on collectOn. It refuses while the
// club's creditor data is missing, and for a day closer than the pre-notification period: the
// payers must hear of a debit that many days before.
func (s *Store) CreateCollection(ctx context.Context, actor string, collectOn Date) (*Collection, error) {
	set, err := s.CollectionSettings(ctx)
	if err != nil {
		return nil, err
	}
	switch earliest := s.today().AddDays(set.PrenotifyDays); {
	case !set.Complete():
		return nil, invalid("collect_on", "collection_settings_missing", "needs the club's creditor name, creditor identifier and IBAN in the settings first")
	case collectOn.IsZero():
		return nil, invalid("collect_on", "required", "is required")
	case collectOn.Before(earliest):
		return nil, invalid("collect_on", "before_prenotification", fmt.Sprintf("must be on or after %s: payers hear of a debit %d days ahead", earliest, set.PrenotifyDays),
			"Date", earliest.String(), "Days", set.PrenotifyDays)
	case collectOn.After(s.today().AddDays(366)):
		return nil, invalid("collect_on", "within_a_year", "must be within a year")
	}
	now := s.now()
	c := &Collection{CollectOn: collectOn, Status: CollectionPlanned, CreatedBy: actor, CreatedAt: now, UpdatedAt: now}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("ID").Create(c).Error; err != nil {
			return err
		}
		return s.audit(tx, AuditEntry{Actor: actor, Action: ActionCollectionCreate, Field: collectionRef(c.ID), NewValue: collectOn.String()})
	})
	if err != nil {
		return nil, fmt.Errorf("create collection on %s: %w", collectOn, err)
	}
	return c, nil
}

// SetCollectionInstance records the workflow instance that runs the collection.
func (s *Store) SetCollectionInstance(ctx context.Context, id int64, instanceID string) error {
	err := s.db.WithContext(ctx).Model(&Collection{}).Where("id = ?", id).
		Updates(map[string]any{"instance_id": instanceID, "updated_at": s.now()}).Error
	if err != nil {
		return fmt.Errorf("record instance of collection %d: %w", id, err)
	}
	return nil
}

// GetCollection reads one run (with its file).
func (s *Store) GetCollection(ctx context.Context, id int64) (*Collection, error) {
	return s.getCollection(s.db.WithContext(ctx), id)
}

func (s *Store) getCollection(tx *gorm.DB, id int64) (*Collection, error) {
	var c Collection
	err := tx.Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("collection %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load collection %d: %w", id, err)
	}
	return &c, nil
}

// selectItemsSQL chooses a run's fees: open, due by the collection day, in euro, on a member
// with an active mandate, never returned (a returned fee is chased by its reminder, not
// debited again unasked) and in no other run that may still collect it. The sequence type
// comes from the mandate: FRST until a debit on it went to the bank. ON CONFLICT makes a
// repeated selection add nothing.
const selectItemsSQL = `
INSERT INTO collection_items (collection_id, fee_id, member_id, mandate_id, sequence, amount, currency, end_to_end_id, status)
SELECT ?, f.id, f.member_id, md.id, CASE WHEN md.first_collected_on IS NULL THEN 'FRST' ELSE 'RCUR' END,
       f.amount, f.currency, 'C' || CAST(? AS TEXT) || '-F' || CAST(f.id AS TEXT), 'included'
FROM fees f
JOIN mandates md ON md.member_id = f.member_id AND md.status = 'active'
JOIN members m ON m.id = f.member_id
WHERE f.status = 'open' AND f.due_on <= ? AND f.amount > 0 AND f.currency = 'EUR' AND f.return_reason = ''
  AND m.erased_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM collection_items ci WHERE ci.fee_id = f.id AND ci.status IN ('included', 'submitted', 'paid'))
ON CONFLICT (collection_id, fee_id) DO NOTHING`

// SelectCollectionFees chooses a planned run's fees once and moves it on to notifying; for a
// run past that it only answers the counts.
func (s *Store) SelectCollectionFees(ctx context.Context, id int64) (CollectionCounts, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCollection(tx, id)
		if err != nil || c.Status != CollectionPlanned {
			return err
		}
		if err := tx.Exec(selectItemsSQL, id, strconv.FormatInt(id, 10), c.CollectOn).Error; err != nil {
			return fmt.Errorf("choose fees: %w", err)
		}
		return s.setCollectionStatus(tx, id, CollectionPlanned, CollectionNotifying)
	})
	if err != nil {
		return CollectionCounts{}, fmt.Errorf("select fees of collection %d: %w", id, err)
	}
	return s.CollectionCounts(ctx, id)
}

func (s *Store) setCollectionStatus(tx *gorm.DB, id int64, from, to CollectionStatus) error {
	res := tx.Model(&Collection{}).Where("id = ? AND status = ?", id, from).Updates(map[string]any{"status": to, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("collection %d %s → %s: %w", id, from, to, res.Error)
	}
	return nil
}

// CollectionItemsToNotify lists up to limit of a run's debits after afterID whose payer has
// not been sent the pre-notification yet, in id order, with the mandate (IBAN masked).
func (s *Store) CollectionItemsToNotify(ctx context.Context, id, afterID int64, limit int) ([]CollectionRow, error) {
	return s.collectionRows(s.db.WithContext(ctx).
		Where("ci.collection_id = ? AND ci.id > ? AND ci.status = ? AND ci.notice = ''", id, afterID, ItemIncluded).
		Order("ci.id").Limit(limit))
}

// SetItemNotices records what became of a batch of pre-notifications ("sent", "failed",
// "skipped" by item id), one UPDATE per outcome in one transaction.
func (s *Store) SetItemNotices(ctx context.Context, notices map[int64]string) error {
	if len(notices) == 0 {
		return nil
	}
	byOutcome := map[string][]int64{}
	for id, notice := range notices {
		byOutcome[notice] = append(byOutcome[notice], id)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for notice, ids := range byOutcome {
			if err := tx.Model(&CollectionItem{}).Where("id IN ?", ids).Update("notice", notice).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d pre-notifications: %w", len(notices), err)
	}
	return nil
}

// debitRow is what the bank file needs of one item.
type debitRow struct {
	CollectionItem
	Reference   string
	IBAN        string
	BIC         string
	Holder      string
	SignedOn    Date
	FirstName   string
	LastName    string
	PeriodStart Date
	PeriodEnd   Date
}

// BuildCollectionFile writes a run's pain.008 file and submits its fees: items, fees and the
// mandates' first use are marked in one transaction with the file, so a crash leaves either
// all or nothing. Fees paid by hand or mandates revoked since the selection drop out first.
// Built once: a run that has its file only answers the counts. A run left with no fee is
// settled at once, without a file.
func (s *Store) BuildCollectionFile(ctx context.Context, id int64) (CollectionCounts, error) {
	set, err := s.CollectionSettings(ctx)
	if err != nil {
		return CollectionCounts{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCollection(tx, id)
		if err != nil || c.Status != CollectionNotifying {
			return err
		}
		err = tx.Exec(`DELETE FROM collection_items WHERE collection_id = ? AND status = 'included'
  AND (fee_id IN (SELECT id FROM fees WHERE status <> 'open')
       OR mandate_id IN (SELECT id FROM mandates WHERE status <> 'active'))`, id).Error
		if err != nil {
			return fmt.Errorf("drop paid fees and revoked mandates: %w", err)
		}
		var rows []debitRow
		err = tx.Table("collection_items ci").
			Select("ci.*, md.reference, md.iban, md.bic, md.holder, md.signed_on, m.first_name, m.last_name, f.period_start, f.period_end").
			Joins("JOIN mandates md ON md.id = ci.mandate_id").Joins("JOIN members m ON m.id = ci.member_id").
			Joins("JOIN fees f ON f.id = ci.fee_id").
			Where("ci.collection_id = ? AND ci.status = 'included'", id).Order("ci.id").Find(&rows).Error
		if err != nil {
			return fmt.Errorf("read debits: %w", err)
		}
		now := s.now()
		if len(rows) == 0 {
			return s.setCollectionStatus(tx, id, CollectionNotifying, CollectionSettled)
		}
		doc := s.collectionDocument(c, set, rows, now)
		var buf bytes.Buffer
		if err := sepa.WritePain008(&buf, doc); err != nil {
			return fmt.Errorf("write pain.008: %w", err)
		}
		res := tx.Model(&Collection{}).Where("id = ? AND status = ?", id, CollectionNotifying).Updates(map[string]any{
			"file": buf.Bytes(), "file_at": now, "message_id": doc.MessageID, "status": CollectionFileReady, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("store file: %w", res.Error)
		}
		actor := WorkflowActor(c.InstanceID)
		steps := []struct {
			what string
			sql  string
			args []any
		}{
			{"audit", `INSERT INTO audit_log (at, actor, member_id, action, field, old_value, new_value)
SELECT ?, ?, ci.member_id, ?, 'fee:' || CAST(ci.fee_id AS TEXT), 'open', ?
FROM collection_items ci WHERE ci.collection_id = ? AND ci.status = 'included'`,
				[]any{now, actor, ActionFeeSubmitted, "submitted " + c.CollectOn.String(), id}},
			{"fees", `UPDATE fees SET status = 'submitted', updated_at = ?
WHERE status = 'open' AND id IN (SELECT fee_id FROM collection_items WHERE collection_id = ? AND status = 'included')`, []any{now, id}},
			{"mandates", `UPDATE mandates SET first_collected_on = ?, updated_at = ?
WHERE first_collected_on IS NULL AND id IN (SELECT mandate_id FROM collection_items WHERE collection_id = ? AND status = 'included')`,
				[]any{c.CollectOn, now, id}},
			{"items", `UPDATE collection_items SET status = 'submitted' WHERE collection_id = ? AND status = 'included'`, []any{id}},
		}
		for _, st := range steps {
			if err := tx.Exec(st.sql, st.args...).Error; err != nil {
				return fmt.Errorf("submit %s: %w", st.what, err)
			}
		}
		s.log.InfoContext(ctx, "direct debit file built", slog.Int64("collection", id), slog.Int("debits", len(doc.Debits)))
		return nil
	})
	if err != nil {
		return CollectionCounts{}, fmt.Errorf("build file of collection %d: %w", id, err)
	}
	return s.CollectionCounts(ctx, id)
}

// collectionDocument is the bank file's content for a run's debits.
func (s *Store) collectionDocument(c *Collection, set CollectionSettings, rows []debitRow, now time.Time) sepa.Document {
	doc := sepa.Document{
		MessageID:  fmt.Sprintf("MSHIP-%d-%s", c.ID, now.Format("20060102150405")),
		Created:    now.In(s.opts.Location),
		Collection: c.CollectOn.Time(time.UTC),
		Creditor:   set.Creditor(),
		Debits:     make([]sepa.Debit, len(rows)),
	}
	for i, r := range rows {
		doc.Debits[i] = sepa.Debit{
			EndToEndID: r.EndToEndID, Amount: r.Amount, MandateRef: r.Reference, MandateSigned: r.SignedOn.Time(time.UTC),
			DebtorName: r.Holder, DebtorIBAN: r.IBAN, DebtorBIC: r.BIC, Sequence: sepa.SequenceType(r.Sequence),
			Remittance: fmt.Sprintf("%s %s %s - %s %s", set.CreditorName, r.FirstName+" "+r.LastName, r.PeriodStart, r.PeriodEnd, r.Reference),
		}
	}
	return doc
}

// SettleCollection ends a run's return period: its submitted fees without a return are paid
// (on the collection day, by direct debit).
func (s *Store) SettleCollection(ctx context.Context, id int64) (CollectionCounts, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCollection(tx, id)
		if err != nil || c.Status != CollectionFileReady {
			return err
		}
		now := s.now()
		actor := WorkflowActor(c.InstanceID)
		steps := []struct {
			what string
			sql  string
			args []any
		}{
			{"audit", `INSERT INTO audit_log (at, actor, member_id, action, field, old_value, new_value)
SELECT ?, ?, ci.member_id, ?, 'fee:' || CAST(ci.fee_id AS TEXT), 'submitted', ?
FROM collection_items ci JOIN fees f ON f.id = ci.fee_id
WHERE ci.collection_id = ? AND ci.status = 'submitted' AND f.status = 'submitted'`,
				[]any{now, actor, ActionFeePaid, "paid on " + c.CollectOn.String() + " by direct_debit", id}},
			{"fees", `UPDATE fees SET status = 'paid', paid_on = ?, method = 'direct_debit', updated_at = ?
WHERE status = 'submitted' AND id IN (SELECT fee_id FROM collection_items WHERE collection_id = ? AND status = 'submitted')`,
				[]any{c.CollectOn, now, id}},
			{"items", `UPDATE collection_items SET status = 'paid' WHERE collection_id = ? AND status = 'submitted'`, []any{id}},
		}
		for _, st := range steps {
			if err := tx.Exec(st.sql, st.args...).Error; err != nil {
				return fmt.Errorf("settle %s: %w", st.what, err)
			}
		}
		return s.setCollectionStatus(tx, id, CollectionFileReady, CollectionSettled)
	})
	if err != nil {
		return CollectionCounts{}, fmt.Errorf("settle collection %d: %w", id, err)
	}
	return s.CollectionCounts(ctx, id)
}

// FailCollection records why a run stopped; its included fees are freed for a later run.
func (s *Store) FailCollection(ctx context.Context, id int64, cause string) error {
	return s.endCollection(ctx, id, CollectionFailed, cause)
}

// CancelCollection stops a run before its file is built; its fees are freed for a later run.
// A run with a file is ErrConflict: the bank may have it.
func (s *Store) CancelCollection(ctx context.Context, id int64) (*Collection, error) {
	if err := s.endCollection(ctx, id, CollectionCancelled, ""); err != nil {
		return nil, err
	}
	return s.GetCollection(ctx, id)
}

func (s *Store) endCollection(ctx context.Context, id int64, to CollectionStatus, cause string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.getCollection(tx, id)
		if err != nil {
			return err
		}
		if c.Status == CollectionFileReady && to == CollectionFailed {
			// The bank may have the file: its fees stay submitted; the run only notes why it
			// stopped waiting for returns.
			return tx.Model(&Collection{}).Where("id = ?", id).Updates(map[string]any{"error": cause, "updated_at": s.now()}).Error
		}
		if c.Status != CollectionPlanned && c.Status != CollectionNotifying {
			return fmt.Errorf("collection %d is %s: %w", id, c.Status, ErrConflict)
		}
		if err := tx.Where("collection_id = ? AND status = 'included'", id).Delete(&CollectionItem{}).Error; err != nil {
			return fmt.Errorf("free fees: %w", err)
		}
		return tx.Model(&Collection{}).Where("id = ?", id).Updates(map[string]any{"status": to, "error": cause, "updated_at": s.now()}).Error
	})
	if err != nil {
		return fmt.Errorf("end collection %d as %s: %w", id, to, err)
	}
	return nil
}

// CollectionCounts sums a run's items.
func (s *Store) CollectionCounts(ctx context.Context, id int64) (CollectionCounts, error) {
	all, err := s.collectionCounts(s.db.WithContext(ctx), []int64{id})
	return all[id], err
}

func (s *Store) collectionCounts(tx *gorm.DB, ids []int64) (map[int64]CollectionCounts, error) {
	var rows []struct {
		CollectionID int64
		CollectionCounts
	}
	err := tx.Model(&CollectionItem{}).Select(`collection_id, COUNT(*) AS fees, COALESCE(SUM(amount), 0) AS total,
  SUM(CASE WHEN sequence = 'FRST' THEN 1 ELSE 0 END) AS first,
  SUM(CASE WHEN sequence = 'RCUR' THEN 1 ELSE 0 END) AS recurring,
  SUM(CASE WHEN notice = 'sent' THEN 1 ELSE 0 END) AS notified,
  SUM(CASE WHEN notice = 'failed' THEN 1 ELSE 0 END) AS failed,
  SUM(CASE WHEN notice = 'skipped' THEN 1 ELSE 0 END) AS skipped,
  SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END) AS submitted,
  SUM(CASE WHEN status = 'returned' THEN 1 ELSE 0 END) AS returned,
  SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS paid`).
		Where("collection_id IN ?", ids).Group("collection_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count collection items: %w", err)
	}
	out := make(map[int64]CollectionCounts, len(rows))
	for _, r := range rows {
		out[r.CollectionID] = r.CollectionCounts
	}
	return out, nil
}

// Collections lists the runs, newest collection day first, with their counts.
func (s *Store) Collections(ctx context.Context, limit int) ([]CollectionSummary, error) {
	var cs []Collection
	tx := s.db.WithContext(ctx)
	if err := tx.Omit("file").Order("collect_on DESC, id DESC").Limit(limit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	counts, err := s.collectionCounts(tx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]CollectionSummary, len(cs))
	for i, c := range cs {
		out[i] = CollectionSummary{Collection: c, CollectionCounts: counts[c.ID]}
	}
	return out, nil
}

// CollectionSummary reads one run with its counts.
func (s *Store) CollectionSummary(ctx context.Context, id int64) (*CollectionSummary, error) {
	c, err := s.GetCollection(ctx, id)
	if err != nil {
		return nil, err
	}
	n, err := s.CollectionCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	return &CollectionSummary{Collection: *c, CollectionCounts: n}, nil
}

// CollectionRows pages through a run's debits with their members' names, IBANs masked.
func (s *Store) CollectionRows(ctx context.Context, id int64, page, perPage int) ([]CollectionRow, error) {
	page, perPage = pageBounds(page, perPage)
	return s.collectionRows(s.db.WithContext(ctx).Where("ci.collection_id = ?", id).
		Order("ci.id").Offset((page - 1) * perPage).Limit(perPage))
}

// collectionRows reads the items q selects (from collection_items ci) with their member's
// name and mandate.
func (s *Store) collectionRows(q *gorm.DB) ([]CollectionRow, error) {
	var rows []struct {
		CollectionItem
		FirstName, LastName, Reference, IBAN string
	}
	err := q.Table("collection_items ci").
		Select("ci.*, m.first_name, m.last_name, md.reference, md.iban").
		Joins("JOIN members m ON m.id = ci.member_id").Joins("JOIN mandates md ON md.id = ci.mandate_id").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list debits: %w", err)
	}
	out := make([]CollectionRow, len(rows))
	for i, r := range rows {
		out[i] = CollectionRow{CollectionItem: r.CollectionItem, MemberName: r.FirstName + " " + r.LastName,
			Reference: r.Reference, IBAN: maskIBAN(r.IBAN)}
	}
	return out, nil
}

// collectionRef names a run in the audit log.
func collectionRef(id int64) string { return "collection:" + strconv.FormatInt(id, 10) }
