package members

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"membership/members/sepa"
)

// clubSetting is one row of club_settings: a value an admin keeps in the UI rather than in
// config.yaml, because it is the club's data (its bank account) and not the server's.
type clubSetting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedBy string
	UpdatedAt time.Time
}

func (clubSetting) TableName() string { return "club_settings" }

// Keys of the collection settings in club_settings.
const (
	settingCreditorName  = "sepa.creditor_name"
	settingCreditorID    = "sepa.creditor_id"
	settingCreditorIBAN  = "sepa.iban"
	settingCreditorBIC   = "sepa.bic"
	settingPrenotifyDays = "sepa.prenotify_days"
	settingReturnDays    = "sepa.return_days"
)

// Defaults of the collection settings. Fourteen days' pre-notification is what the SEPA rules
// ask unless the mandate agreed on less; most returns (R-transactions) reach the creditor
// within a few bank days, so a fee counts as paid when none came within ten days.
const (
	DefaultPrenotifyDays = 14
	DefaultReturnDays    = 10
)

// CollectionSettings are the club's SEPA direct debit data: who collects (creditor name and
// identifier, the Gläubiger-ID), into which account, how many days ahead the payers hear of a
// debit and how long the club waits for returns before a fee counts as paid.
type CollectionSettings struct {
	CreditorName  string `json:"creditor_name"`
	CreditorID    string `json:"creditor_id"`
	IBAN          string `json:"iban"`
	BIC           string `json:"bic"`
	PrenotifyDays int    `json:"prenotify_days"`
	ReturnDays    int    `json:"return_days"`
}

// Complete reports whether a collection can run with these settings.
func (c CollectionSettings) Complete() bool {
	return c.CreditorName != "" && c.CreditorID != "" && c.IBAN != ""
}

// Creditor is the settings as the SEPA file names the club.
func (c CollectionSettings) Creditor() sepa.Creditor {
	return sepa.Creditor{Name: c.CreditorName, ID: c.CreditorID, IBAN: c.IBAN, BIC: c.BIC}
}

// CollectionSettings reads the club's collection settings, defaults where none is stored.
func (s *Store) CollectionSettings(ctx context.Context) (CollectionSettings, error) {
	var rows []clubSetting
	if err := s.db.WithContext(ctx).Where("key LIKE ?", "sepa.%").Find(&rows).Error; err != nil {
		return CollectionSettings{}, fmt.Errorf("read collection settings: %w", err)
	}
	out := CollectionSettings{PrenotifyDays: DefaultPrenotifyDays, ReturnDays: DefaultReturnDays}
	for _, r := range rows {
		switch r.Key {
		case settingCreditorName:
			out.CreditorName = r.Value
		case settingCreditorID:
			out.CreditorID = r.Value
		case settingCreditorIBAN:
			out.IBAN = r.Value
		case settingCreditorBIC:
			out.BIC = r.Value
		case settingPrenotifyDays:
			out.PrenotifyDays = atoiOr(r.Value, DefaultPrenotifyDays)
		case settingReturnDays:
			out.ReturnDays = atoiOr(r.Value, DefaultReturnDays)
		}
	}
	return out, nil
}

// SaveCollectionSettings validates and stores the settings; each changed value gets an audit
// row (the IBAN masked).
func (s *Store) SaveCollectionSettings(ctx context.Context, actor string, in CollectionSettings) (CollectionSettings, error) {
	in, err := validCollectionSettings(in)
	if err != nil {
		return in, err
	}
	old, err := s.CollectionSettings(ctx)
	if err != nil {
		return in, err
	}
	err = s.saveSettings(ctx, actor, []settingChange{
		{settingCreditorName, old.CreditorName, in.CreditorName, false},
		{settingCreditorID, old.CreditorID, in.CreditorID, false},
		{settingCreditorIBAN, old.IBAN, in.IBAN, true},
		{settingCreditorBIC, old.BIC, in.BIC, false},
		{settingPrenotifyDays, strconv.Itoa(old.PrenotifyDays), strconv.Itoa(in.PrenotifyDays), false},
		{settingReturnDays, strconv.Itoa(old.ReturnDays), strconv.Itoa(in.ReturnDays), false},
	})
	if err != nil {
		return in, fmt.Errorf("save collection settings: %w", err)
	}
	return in, nil
}

// settingChange is one club setting's stored and new value; masked ones (an IBAN) are
// audited masked.
type settingChange struct {
	key, old, new string
	masked        bool
}

// saveSettings stores the changed values in one transaction, each with an audit row.
func (s *Store) saveSettings(ctx context.Context, actor string, changes []settingChange) error {
	now := s.now()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, c := range changes {
			if c.old == c.new {
				continue
			}
			row := clubSetting{Key: c.key, Value: c.new, UpdatedBy: actor, UpdatedAt: now}
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
				return fmt.Errorf("store %s: %w", c.key, err)
			}
			oldV, newV := c.old, c.new
			if c.masked {
				oldV, newV = maskIBAN(oldV), maskIBAN(newV)
			}
			if err := s.audit(tx, AuditEntry{Actor: actor, Action: ActionSettings, Field: c.key, OldValue: oldV, NewValue: newV}); err != nil {
				return err
			}
		}
		return nil
	})
}

// validCollectionSettings normalizes the settings or says which field is wrong. Empty creditor
// fields are allowed (a club that does not collect by direct debit); a collection refuses to
// start until they are complete.
func validCollectionSettings(in CollectionSettings) (CollectionSettings, error) {
	var v ValidationError
	in.CreditorName = strings.TrimSpace(in.CreditorName)
	if utf8.RuneCountInString(in.CreditorName) > 70 {
		v.Add("creditor_name", "too_long", "is longer than 70 characters", "Max", 70)
	}
	if in.CreditorID != "" {
		id, err := sepa.ValidateCreditorID(in.CreditorID)
		if err != nil {
			v.Add("creditor_id", "invalid_creditor_id", "is not a valid SEPA creditor identifier")
		}
		in.CreditorID = id
	}
	if in.IBAN != "" {
		iban, err := sepa.ValidateIBAN(in.IBAN)
		if err != nil {
			v.Add("iban", "invalid_iban", "is not a valid IBAN")
		}
		in.IBAN = iban
	}
	if in.BIC != "" {
		bic, err := sepa.ValidateBIC(in.BIC)
		if err != nil {
			v.Add("bic", "invalid_bic", "is not a valid BIC")
		}
		in.BIC = bic
	}
	if in.PrenotifyDays < 1 || in.PrenotifyDays > 60 {
		v.Add("prenotify_days", "out_of_range", "must be between 1 and 60", "Min", 1, "Max", 60)
	}
	if in.ReturnDays < 1 || in.ReturnDays > 60 {
		v.Add("return_days", "out_of_range", "must be between 1 and 60", "Min", 1, "Max", 60)
	}
	return in, v.err()
}

// maskIBAN is sepa.MaskIBAN that leaves "" as it is (no IBAN before).
func maskIBAN(iban string) string {
	if iban == "" {
		return ""
	}
	return sepa.MaskIBAN(iban)
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}
