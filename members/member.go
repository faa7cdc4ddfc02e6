// Package members is the club's domain: members, their plans, fees and ranks, the audit log of
// every change and the timeline built from it, with their storage through GORM on SQLite or
// PostgreSQL. It knows nothing of HTTP or workflows.
package members

import "time"

// Status is where a member stands with the club.
type Status string

// The statuses. Only archived members may share an e-mail address with a live member.
const (
	StatusPending  Status = "pending" // joined through the public form, not yet confirmed
	StatusActive   Status = "active"
	StatusPaused   Status = "paused" // keeps the membership, pays no fees
	StatusArchived Status = "archived"
)

// Statuses lists the statuses in the order a form offers them.
func Statuses() []Status {
	return []Status{StatusPending, StatusActive, StatusPaused, StatusArchived}
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusActive, StatusPaused, StatusArchived:
		return true
	}
	return false
}

// Member is one person's record. Plan is the plan's name, read with the member; PlanID is what
// is stored. Version grows by one on every change and guards against lost updates.
type Member struct {
	ID               int64      `json:"id"`
	FirstName        string     `json:"first_name"`
	LastName         string     `json:"last_name"`
	Email            string     `json:"email"`
	Phone            string     `json:"phone"`
	BirthDate        Date       `json:"birth_date"`
	Street           string     `json:"street"`
	PostalCode       string     `json:"postal_code"`
	City             string     `json:"city"`
	Country          string     `json:"country"`
	JoinedOn         Date       `json:"joined_on"`
	Status           Status     `json:"status"`
	PriorStatus      Status     `json:"-"`
	ArchivedOn       Date       `json:"archived_on"`
	PlanID           *int64     `json:"plan_id"`
	Plan             string     `json:"plan" gorm:"->;column:plan_name"`
	Rank             string     `json:"rank"`
	MembershipEndsOn Date       `json:"membership_ends_on"`
	GuardianName     string     `json:"guardian_name"`
	GuardianPhone    string     `json:"guardian_phone"`
	GuardianEmail    string     `json:"guardian_email"`
	Notes            string     `json:"notes"`
	Language         string     `json:"language"` // empty: the club's default language
	SMSConsent       bool       `json:"sms_consent" gorm:"column:sms_consent"`
	SMSConsentAt     *time.Time `json:"sms_consent_at" gorm:"column:sms_consent_at"`
	EmailConsent     bool       `json:"email_consent"`
	EmailConsentAt   *time.Time `json:"email_consent_at"`
	PhoneVerifiedAt  *time.Time `json:"phone_verified_at"`
	EmailVerifiedAt  *time.Time `json:"email_verified_at"`
	ErasedAt         *time.Time `json:"erased_at"`
	NameKey          string     `json:"-"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	Version          int        `json:"version"`
}

// FullName is "First Last".
func (m *Member) FullName() string { return m.FirstName + " " + m.LastName }

// Age is the member's age in full years on day, or -1 without a birth date.
func (m *Member) Age(day Date) int {
	if m.BirthDate.IsZero() {
		return -1
	}
	return m.BirthDate.YearsUntil(day)
}

// Verified reports whether both the phone number and the e-mail address are confirmed.
func (m *Member) Verified() bool { return m.PhoneVerifiedAt != nil && m.EmailVerifiedAt != nil }

// MemberInput is what a form, the API or a CSV row gives to create a member. Plan names a plan
// by name or by id ("Erwachsene", "3"); empty means none. Status defaults to active, JoinedOn
// to today. Language is one of Options.Languages, empty for the club's default. A consent given without a time is recorded as given now; an earlier time (a signed
// paper form) may be passed.
type MemberInput struct {
	FirstName        string     `json:"first_name"`
	LastName         string     `json:"last_name"`
	Email            string     `json:"email"`
	Phone            string     `json:"phone"`
	BirthDate        Date       `json:"birth_date"`
	Street           string     `json:"street"`
	PostalCode       string     `json:"postal_code"`
	City             string     `json:"city"`
	Country          string     `json:"country"`
	JoinedOn         Date       `json:"joined_on"`
	Status           Status     `json:"status"`
	Plan             string     `json:"plan"`
	Rank             string     `json:"rank"`
	MembershipEndsOn Date       `json:"membership_ends_on"`
	GuardianName     string     `json:"guardian_name"`
	GuardianPhone    string     `json:"guardian_phone"`
	GuardianEmail    string     `json:"guardian_email"`
	Notes            string     `json:"notes"`
	Language         string     `json:"language"`
	SMSConsent       bool       `json:"sms_consent"`
	SMSConsentAt     *time.Time `json:"sms_consent_at"`
	EmailConsent     bool       `json:"email_consent"`
	EmailConsentAt   *time.Time `json:"email_consent_at"`
}

// MemberPatch changes some fields of a member: a nil field stays as it is, a pointer to the
// zero value clears it. Archiving goes through Status like any other change. In JSON an absent
// field and null both leave the field alone (encoding/json sets no pointer for null); "" clears
// a text field or a date.
type MemberPatch struct {
	FirstName        *string `json:"first_name"`
	LastName         *string `json:"last_name"`
	Email            *string `json:"email"`
	Phone            *string `json:"phone"`
	BirthDate        *Date   `json:"birth_date"`
	Street           *string `json:"street"`
	PostalCode       *string `json:"postal_code"`
	City             *string `json:"city"`
	Country          *string `json:"country"`
	JoinedOn         *Date   `json:"joined_on"`
	Status           *Status `json:"status"`
	Plan             *string `json:"plan"`
	Rank             *string `json:"rank"`
	MembershipEndsOn *Date   `json:"membership_ends_on"`
	GuardianName     *string `json:"guardian_name"`
	GuardianPhone    *string `json:"guardian_phone"`
	GuardianEmail    *string `json:"guardian_email"`
	Notes            *string `json:"notes"`
	Language         *string `json:"language"`
	SMSConsent       *bool   `json:"sms_consent"`
	EmailConsent     *bool   `json:"email_consent"`
}

// inputOf is the input that would recreate m, the base a patch is applied to.
func inputOf(m *Member) MemberInput {
	return MemberInput{
		FirstName: m.FirstName, LastName: m.LastName, Email: m.Email, Phone: m.Phone,
		BirthDate: m.BirthDate, Street: m.Street, PostalCode: m.PostalCode, City: m.City,
		Country: m.Country, JoinedOn: m.JoinedOn, Status: m.Status, Plan: m.Plan, Rank: m.Rank,
		MembershipEndsOn: m.MembershipEndsOn, GuardianName: m.GuardianName,
		GuardianPhone: m.GuardianPhone, GuardianEmail: m.GuardianEmail, Notes: m.Notes,
		Language: m.Language, SMSConsent: m.SMSConsent, SMSConsentAt: m.SMSConsentAt,
		EmailConsent: m.EmailConsent, EmailConsentAt: m.EmailConsentAt,
	}
}

// patched is m's input with patch applied: what an update of m validates.
func patched(m *Member, patch MemberPatch) MemberInput {
	in := inputOf(m)
	patch.applyTo(&in)
	return in
}

// applyTo overwrites in's fields with the patch's non-nil ones. A consent that changes drops
// its old time, so the change is stamped now.
func (p *MemberPatch) applyTo(in *MemberInput) {
	set(&in.FirstName, p.FirstName)
	set(&in.LastName, p.LastName)
	set(&in.Email, p.Email)
	set(&in.Phone, p.Phone)
	set(&in.BirthDate, p.BirthDate)
	set(&in.Street, p.Street)
	set(&in.PostalCode, p.PostalCode)
	set(&in.City, p.City)
	set(&in.Country, p.Country)
	set(&in.JoinedOn, p.JoinedOn)
	set(&in.Status, p.Status)
	set(&in.Plan, p.Plan)
	set(&in.Rank, p.Rank)
	set(&in.MembershipEndsOn, p.MembershipEndsOn)
	set(&in.GuardianName, p.GuardianName)
	set(&in.GuardianPhone, p.GuardianPhone)
	set(&in.GuardianEmail, p.GuardianEmail)
	set(&in.Notes, p.Notes)
	set(&in.Language, p.Language)
	if p.SMSConsent != nil && *p.SMSConsent != in.SMSConsent {
		in.SMSConsent, in.SMSConsentAt = *p.SMSConsent, nil
	}
	if p.EmailConsent != nil && *p.EmailConsent != in.EmailConsent {
		in.EmailConsent, in.EmailConsentAt = *p.EmailConsent, nil
	}
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
