package members

import (
	"strconv"
	"strings"
	"time"
)

// fill copies validated input into m together with what follows from it: the plan, the
// archive bookkeeping, the sort key, and dropping a verification whose phone number or e-mail
// address changed (a confirmation is of one address, not of the member).
func (s *Store) fill(m *Member, in *MemberInput, plan *Plan) {
	if m.Phone != in.Phone {
		m.PhoneVerifiedAt = nil
	}
	if !strings.EqualFold(m.Email, in.Email) {
		m.EmailVerifiedAt = nil
	}
	if in.Status != m.Status {
		switch {
		case in.Status == StatusArchived:
			m.PriorStatus, m.ArchivedOn = m.Status, s.today()
		case m.Status == StatusArchived:
			m.PriorStatus, m.ArchivedOn = "", Date{}
		}
	}
	m.FirstName, m.LastName, m.Email, m.Phone = in.FirstName, in.LastName, in.Email, in.Phone
	m.BirthDate, m.JoinedOn, m.Status, m.Rank = in.BirthDate, in.JoinedOn, in.Status, in.Rank
	m.Street, m.PostalCode, m.City, m.Country = in.Street, in.PostalCode, in.City, in.Country
	m.MembershipEndsOn, m.Notes, m.Language = in.MembershipEndsOn, in.Notes, in.Language
	m.GuardianName, m.GuardianPhone, m.GuardianEmail = in.GuardianName, in.GuardianPhone, in.GuardianEmail
	m.SMSConsent, m.SMSConsentAt = in.SMSConsent, in.SMSConsentAt
	m.EmailConsent, m.EmailConsentAt = in.EmailConsent, in.EmailConsentAt
	m.PlanID, m.Plan = nil, ""
	if plan != nil {
		m.PlanID, m.Plan = &plan.ID, plan.Name
	}
	m.NameKey = nameKey(m.FirstName, m.LastName)
}

// memberField is a stored field of a member as the audit log names it (the JSON name) and as
// the table stores it.
type memberField struct {
	name   string
	column string
	value  func(m *Member) any
	text   func(m *Member) string // for the audit log; the plan is logged by name
}

func memberFields() []memberField {
	str := func(name string, get func(m *Member) string) memberField {
		return memberField{name: name, column: name, value: func(m *Member) any { return get(m) }, text: get}
	}
	date := func(name string, get func(m *Member) Date) memberField {
		return memberField{name: name, column: name, value: func(m *Member) any { return get(m) },
			text: func(m *Member) string { return get(m).String() }}
	}
	stamp := func(name string, get func(m *Member) *time.Time) memberField {
		return memberField{name: name, column: name, value: func(m *Member) any { return get(m) },
			text: func(m *Member) string { return timeText(get(m)) }}
	}
	flag := func(name string, get func(m *Member) bool) memberField {
		return memberField{name: name, column: name, value: func(m *Member) any { return get(m) },
			text: func(m *Member) string { return strconv.FormatBool(get(m)) }}
	}
	return []memberField{
		str("first_name", func(m *Member) string { return m.FirstName }),
		str("last_name", func(m *Member) string { return m.LastName }),
		str("email", func(m *Member) string { return m.Email }),
		str("phone", func(m *Member) string { return m.Phone }),
		date("birth_date", func(m *Member) Date { return m.BirthDate }),
		str("street", func(m *Member) string { return m.Street }),
		str("postal_code", func(m *Member) string { return m.PostalCode }),
		str("city", func(m *Member) string { return m.City }),
		str("country", func(m *Member) string { return m.Country }),
		date("joined_on", func(m *Member) Date { return m.JoinedOn }),
		str("status", func(m *Member) string { return string(m.Status) }),
		date("archived_on", func(m *Member) Date { return m.ArchivedOn }),
		{name: "plan", column: "plan_id", value: func(m *Member) any { return m.PlanID }, text: func(m *Member) string { return m.Plan }},
		str("rank", func(m *Member) string { return m.Rank }),
		date("membership_ends_on", func(m *Member) Date { return m.MembershipEndsOn }),
		str("guardian_name", func(m *Member) string { return m.GuardianName }),
		str("guardian_phone", func(m *Member) string { return m.GuardianPhone }),
		str("guardian_email", func(m *Member) string { return m.GuardianEmail }),
		str("notes", func(m *Member) string { return m.Notes }),
		str("language", func(m *Member) string { return m.Language }),
		flag("sms_consent", func(m *Member) bool { return m.SMSConsent }),
		stamp("sms_consent_at", func(m *Member) *time.Time { return m.SMSConsentAt }),
		flag("email_consent", func(m *Member) bool { return m.EmailConsent }),
		stamp("email_consent_at", func(m *Member) *time.Time { return m.EmailConsentAt }),
		stamp("phone_verified_at", func(m *Member) *time.Time { return m.PhoneVerifiedAt }),
		stamp("email_verified_at", func(m *Member) *time.Time { return m.EmailVerifiedAt }),
	}
}

// change is one field that differs between the stored and the new member.
type change struct {
	field    memberField
	old, new string
}

// diff lists the fields that differ between before and after, in the order of memberFields.
func diff(before, after *Member) []change {
	var out []change
	for _, f := range memberFields() {
		if o, n := f.text(before), f.text(after); o != n {
			out = append(out, change{field: f, old: o, new: n})
		}
	}
	return out
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
