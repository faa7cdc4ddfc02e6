package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/i18n"
	"membership/web/templates"
)

// memberFields are the form's text fields, named as in the JSON API.
var memberFields = []string{"first_name", "last_name", "email", "phone", "birth_date", "street", "postal_code",
	"city", "country", "joined_on", "status", "plan", "rank", "membership_ends_on", "guardian_name",
	"guardian_phone", "guardian_email", "notes", "language", "sms_consent", "email_consent"}

// formValues keeps what the person typed, to show it again next to any error.
func formValues(c echo.Context) map[string]string {
	v := make(map[string]string, len(memberFields))
	for _, f := range memberFields {
		v[f] = strings.TrimSpace(c.FormValue(f))
	}
	return v
}

// formParams is the posted form as url.Values (for listQuery).
func formParams(c echo.Context) url.Values {
	params, err := c.FormParams()
	if err != nil {
		return url.Values{}
	}
	return params
}

// memberInputFromForm reads the form into an input; dates that cannot be read are reported
// next to their fields, in the reader's language, before anything reaches the store.
func memberInputFromForm(l *i18n.Localizer, v map[string]string) (members.MemberInput, templates.FieldErrors) {
	errs := templates.FieldErrors{}
	date := func(field string) members.Date {
		if v[field] == "" {
			return members.Date{}
		}
		d, err := members.ParseDate(v[field])
		if err != nil {
			errs[field] = l.T("members.form.date_format")
		}
		return d
	}
	in := members.MemberInput{
		FirstName: v["first_name"], LastName: v["last_name"], Email: v["email"], Phone: v["phone"],
		BirthDate: date("birth_date"), Street: v["street"], PostalCode: v["postal_code"], City: v["city"],
		Country: v["country"], JoinedOn: date("joined_on"), Status: members.Status(v["status"]), Plan: v["plan"],
		Rank: v["rank"], MembershipEndsOn: date("membership_ends_on"), GuardianName: v["guardian_name"],
		GuardianPhone: v["guardian_phone"], GuardianEmail: v["guardian_email"], Notes: v["notes"],
		Language: v["language"], SMSConsent: v["sms_consent"] == "true", EmailConsent: v["email_consent"] == "true",
	}
	if len(errs) == 0 {
		return in, nil
	}
	return in, errs
}

// patchOf turns a full form into a patch that sets every field.
func patchOf(in members.MemberInput) members.MemberPatch {
	return members.MemberPatch{
		FirstName: &in.FirstName, LastName: &in.LastName, Email: &in.Email, Phone: &in.Phone,
		BirthDate: &in.BirthDate, Street: &in.Street, PostalCode: &in.PostalCode, City: &in.City,
		Country: &in.Country, JoinedOn: &in.JoinedOn, Status: &in.Status, Plan: &in.Plan, Rank: &in.Rank,
		MembershipEndsOn: &in.MembershipEndsOn, GuardianName: &in.GuardianName,
		GuardianPhone: &in.GuardianPhone, GuardianEmail: &in.GuardianEmail, Notes: &in.Notes,
		Language: &in.Language, SMSConsent: &in.SMSConsent, EmailConsent: &in.EmailConsent,
	}
}

// memberFormValues fills the edit form from a stored member.
func memberFormValues(m *members.Member) map[string]string {
	b := func(x bool) string {
		if x {
			return "true"
		}
		return ""
	}
	d := func(x members.Date) string {
		if x.IsZero() {
			return ""
		}
		return x.String()
	}
	return map[string]string{
		"first_name": m.FirstName, "last_name": m.LastName, "email": m.Email, "phone": m.Phone,
		"birth_date": d(m.BirthDate), "street": m.Street, "postal_code": m.PostalCode, "city": m.City,
		"country": m.Country, "joined_on": d(m.JoinedOn), "status": string(m.Status), "plan": m.Plan,
		"rank": m.Rank, "membership_ends_on": d(m.MembershipEndsOn), "guardian_name": m.GuardianName,
		"guardian_phone": m.GuardianPhone, "guardian_email": m.GuardianEmail, "notes": m.Notes,
		"language": m.Language, "sms_consent": b(m.SMSConsent), "email_consent": b(m.EmailConsent),
	}
}

// today is the date in the club's time zone.
func (s *Server) today() members.Date {
	return members.DateOf(time.Now().In(s.cfg.Club.Location()))
}
