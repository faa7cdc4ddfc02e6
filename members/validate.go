package members

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Validate checks a member as Create stores it (Update checks the patched member the same way),
// reporting every invalid field at once, and normalises in in place: trimmed text, phone numbers
// in E.164, the plan's own name, status and joined_on defaulted. memberID is the member being
// changed, 0 for a new one, so that its own e-mail address does not count as taken. The result
// is a *ValidationError for invalid input, another error when the database fails.
func (s *Store) Validate(ctx context.Context, in *MemberInput, memberID int64) error {
	_, err := s.validate(s.db.WithContext(ctx), in, memberID)
	return err
}

// validate is Validate inside a transaction; it returns the member's plan (nil for none).
func (s *Store) validate(tx *gorm.DB, in *MemberInput, memberID int64) (*Plan, error) {
	v := s.checkFields(in)
	plan, err := s.checkPlan(tx, in, &v)
	if err != nil {
		return nil, err
	}
	if in.Email != "" && v.Message("email") == "" && in.Status != StatusArchived {
		holder, err := s.emailHolder(tx, in.Email, memberID)
		if err != nil {
			return nil, err
		}
		if holder != 0 {
			v.Add("email", "email_taken", fmt.Sprintf("already used by member #%d", holder), "Member", holder)
		}
	}
	return plan, v.err()
}

// checkFields applies the rules that need no database.
func (s *Store) checkFields(in *MemberInput) ValidationError {
	var v ValidationError
	today := s.today()
	for _, f := range []struct {
		name string
		val  *string
		max  int
		req  bool
	}{
		{"first_name", &in.FirstName, 100, true},
		{"last_name", &in.LastName, 100, true},
		{"email", &in.Email, 254, false},
		{"street", &in.Street, 200, false},
		{"postal_code", &in.PostalCode, 20, false},
		{"city", &in.City, 100, false},
		{"country", &in.Country, 100, false},
		{"guardian_name", &in.GuardianName, 200, false},
		{"guardian_email", &in.GuardianEmail, 254, false},
		{"notes", &in.Notes, 10000, false},
	} {
		*f.val = strings.TrimSpace(*f.val)
		switch {
		case f.req && *f.val == "":
			v.Add(f.name, "required", "is required")
		case len(*f.val) > f.max:
			v.Add(f.name, "too_long", fmt.Sprintf("is longer than %d characters", f.max), "Max", f.max)
		}
	}
	checkEmail(&v, "email", in.Email)
	checkEmail(&v, "guardian_email", in.GuardianEmail)
	s.checkPhone(&v, "phone", &in.Phone)
	s.checkPhone(&v, "guardian_phone", &in.GuardianPhone)

	if in.Status == "" {
		in.Status = StatusActive
	}
	if !in.Status.Valid() {
		v.Add("status", "invalid_status", "must be one of pending, active, paused, archived")
	}
	if in.Rank = strings.TrimSpace(in.Rank); in.Rank != "" && RankOrder(in.Rank) < 0 {
		first, last := Ranks()[0], Ranks()[len(Ranks())-1]
		v.Add("rank", "unknown_rank", fmt.Sprintf("is not a known rank (%s … %s)", first, last), "First", first, "Last", last)
	}
	if in.Language = strings.ToLower(strings.TrimSpace(in.Language)); in.Language != "" && !slices.Contains(s.opts.Languages, in.Language) {
		langs := strings.Join(s.opts.Languages, ", ")
		v.Add("language", "unknown_language", fmt.Sprintf("must be one of %s, or empty for the club's default", langs), "Languages", langs)
	}
	if in.JoinedOn.IsZero() {
		in.JoinedOn = today
	}
	s.checkDates(&v, in, today)
	s.checkConsent(&v, "sms_consent_at", in.SMSConsent, &in.SMSConsentAt)
	s.checkConsent(&v, "email_consent_at", in.EmailConsent, &in.EmailConsentAt)
	return v
}

func (s *Store) checkDates(v *ValidationError, in *MemberInput, today Date) {
	switch {
	case in.BirthDate.IsZero():
	case in.BirthDate.After(today):
		v.Add("birth_date", "in_future", "must not be in the future")
	case in.BirthDate.Year < 1900:
		v.Add("birth_date", "before_1900", "must be in 1900 or later")
	case in.BirthDate.YearsUntil(today) < 18:
		// A minor's club needs someone of age to reach: a name and a way to contact them.
		if in.GuardianName == "" {
			v.Add("guardian_name", "guardian_required", "is required for a member under 18")
		}
		if in.GuardianPhone == "" && in.GuardianEmail == "" {
			v.Add("guardian_phone", "guardian_contact_required", "a guardian's phone number or e-mail address is required for a member under 18")
		}
	}
	if !in.BirthDate.IsZero() && v.Message("birth_date") == "" && in.JoinedOn.Before(in.BirthDate) {
		v.Add("joined_on", "before_birth_date", "must not be before the birth date")
	}
	if !in.MembershipEndsOn.IsZero() && in.MembershipEndsOn.Before(in.JoinedOn) {
		v.Add("membership_ends_on", "before_joined_on", "must not be before joined_on")
	}
}

// checkConsent stamps a consent given without a time with now, and refuses a time without a
// consent or in the future: the time is the evidence of when the member agreed.
func (s *Store) checkConsent(v *ValidationError, field string, given bool, at **time.Time) {
	switch {
	case *at == nil && given:
		now := s.now()
		*at = &now
	case *at != nil && !given:
		v.Add(field, "consent_not_given", "is set but the consent is not given")
	case *at != nil && (*at).After(s.now().Add(time.Minute)):
		v.Add(field, "in_future", "must not be in the future")
	}
}

// checkPhone normalises a non-empty phone number to E.164 in place.
func (s *Store) checkPhone(v *ValidationError, field string, phone *string) {
	if *phone = strings.TrimSpace(*phone); *phone == "" {
		return
	}
	e164, err := NormalizePhone(*phone, s.opts.Region, s.opts.AllowedRegions)
	if err != nil {
		v.addProblem(field, err)
		return
	}
	*phone = e164
}

// checkEmail accepts a bare address with a dotted domain: net/mail alone also takes
// "Name <a@b>" and "a@localhost", which no club member can be reached at.
func checkEmail(v *ValidationError, field, email string) {
	if email == "" || v.Message(field) != "" {
		return
	}
	a, err := mail.ParseAddress(email)
	_, domain, _ := strings.Cut(email, "@")
	if err != nil || a.Address != email || !strings.Contains(strings.Trim(domain, "."), ".") {
		v.Add(field, "invalid_email", "is not a valid e-mail address")
	}
}

// checkPlan resolves in.Plan (a name or an id) and writes the plan's own name back.
func (s *Store) checkPlan(tx *gorm.DB, in *MemberInput, v *ValidationError) (*Plan, error) {
	if in.Plan = strings.TrimSpace(in.Plan); in.Plan == "" {
		return nil, nil
	}
	p, err := s.findPlan(tx, in.Plan)
	if errors.Is(err, ErrNotFound) {
		v.Add("plan", "unknown_plan", fmt.Sprintf("there is no plan %q", in.Plan), "Plan", in.Plan)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	in.Plan = p.Name
	return p, nil
}
