package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/web/i18n"
	"membership/web/templates"
	wf "membership/workflows"
)

// joinActor names the person joining through the public form in the audit log.
const joinActor = "public:join"

// joinForm shows the public join form.
func (s *Server) joinForm(c echo.Context) error {
	f := templates.JoinForm{}
	plans, err := s.planNames(c.Request().Context())
	if err != nil {
		return err
	}
	f.Plans = plans
	return s.page(c, http.StatusOK, t(c, "join.title"), "", templates.Join(s.ctx(c, t(c, "join.title"), ""), f))
}

func (s *Server) planNames(ctx context.Context) ([]string, error) {
	plans, err := s.members.ListPlans(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(plans))
	for i, p := range plans {
		names[i] = p.Name
	}
	return names, nil
}

// join takes the join form: it records the member as pending, starts MemberOnboarding (the SMS
// code and the e-mail link go out side by side) and sends the person on to the page where they
// enter the code.
func (s *Server) join(c echo.Context) error {
	ctx := c.Request().Context()
	f, in := joinInput(c)
	plans, err := s.planNames(ctx)
	if err != nil {
		return err
	}
	f.Plans = plans
	if c.FormValue("website") != "" {
		// A bot filled the field people never see: answer as if all went well, do nothing.
		s.log.InfoContext(ctx, "join form honeypot filled", slog.String("ip", c.RealIP()))
		return s.joinRefused(c, f, http.StatusOK, "ok", t(c, "join.thanks"))
	}
	f.Errors = s.checkJoin(ctx, f, &in)
	if len(f.Errors) == 0 {
		// Only a join that sends counts against the address's limit.
		if err := s.verifications.AllowRequest(ctx, c.RealIP()); errors.Is(err, members.ErrTooManyRequests) {
			return s.joinRefused(c, f, http.StatusTooManyRequests, "error", t(c, "join.too_many_signups"))
		} else if status, why := s.notSaved(c, err); status != 0 {
			return s.joinRefused(c, f, status, "error", why)
		} else if err != nil {
			return err
		}
	}
	var m *members.Member
	if len(f.Errors) == 0 {
		m, err = s.members.Create(ctx, joinActor, in)
		var ve *members.ValidationError
		if errors.As(err, &ve) {
			f.Errors = fieldErrors(loc(c), ve)
		} else if status, why := s.notSaved(c, err); status != 0 {
			// A full disk or a long import: the form again with what the person typed.
			return s.joinRefused(c, f, status, "error", why)
		} else if err != nil {
			return err
		}
	}
	if len(f.Errors) > 0 {
		return s.page(c, http.StatusUnprocessableEntity, t(c, "join.title"), "", templates.Join(s.ctx(c, t(c, "join.title"), ""), f))
	}
	link, err := s.startJoin(ctx, m)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/join/"+s.verifications.JoinToken(link)+"/phone")
}

// joinRefused shows the form again with a message and nothing done.
func (s *Server) joinRefused(c echo.Context, f templates.JoinForm, status int, kind, msg string) error {
	tc := s.ctx(c, t(c, "join.title"), "")
	tc.Flashes = append(tc.Flashes, templates.Flash{Kind: kind, Text: msg})
	// Rendered with this ctx, not through s.page, whose fresh ctx would drop the message.
	return render(c, status, templates.Page(tc, templates.Join(tc, f)))
}

// joinInput reads the form as typed (for showing it again) and as a member.
func joinInput(c echo.Context) (templates.JoinForm, members.MemberInput) {
	v := func(name string) string { return strings.TrimSpace(c.FormValue(name)) }
	f := templates.JoinForm{
		FirstName: v("first_name"), LastName: v("last_name"), Email: v("email"), Phone: v("phone"),
		BirthDate: v("birth_date"), Plan: v("plan"), GuardianName: v("guardian_name"),
		GuardianPhone: v("guardian_phone"), GuardianEmail: v("guardian_email"),
		SMSConsent: c.FormValue("sms_consent") != "", EmailConsent: c.FormValue("email_consent") != "",
		Privacy: c.FormValue("privacy") != "",
	}
	in := members.MemberInput{
		FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, Phone: f.Phone, Plan: f.Plan,
		GuardianName: f.GuardianName, GuardianPhone: f.GuardianPhone, GuardianEmail: f.GuardianEmail,
		SMSConsent: f.SMSConsent, EmailConsent: f.EmailConsent, Status: members.StatusPending,
		// The language the person joined in is the one their messages come in.
		Language: loc(c).Lang(),
	}
	return f, in
}

// checkJoin validates the form as the members store would, plus what joining needs: a phone
// number and an e-mail address to confirm, a birth date, and the consent to keep the data.
func (s *Server) checkJoin(ctx context.Context, f templates.JoinForm, in *members.MemberInput) templates.FieldErrors {
	errs := templates.FieldErrors{}
	l := i18n.From(ctx)
	var err error
	if in.BirthDate, err = members.ParseDate(f.BirthDate); err != nil {
		errs["birth_date"] = l.T("join.error.birth_date")
	}
	var ve *members.ValidationError
	if err := s.members.Validate(ctx, in, 0); errors.As(err, &ve) {
		for k, msg := range fieldErrors(l, ve) {
			if errs[k] == "" {
				errs[k] = msg
			}
		}
	} else if err != nil {
		errs["first_name"] = l.T("join.error.unchecked")
	}
	required := map[string]string{"email": f.Email, "phone": f.Phone, "birth_date": f.BirthDate}
	for _, name := range []string{"email", "phone", "birth_date"} {
		if required[name] == "" {
			errs[name] = l.T("validation.required")
		}
	}
	if !f.Privacy {
		errs["privacy"] = l.T("join.error.privacy")
	}
	return errs
}

// startJoin records a verification run for each of the member's addresses not yet verified and
// starts MemberOnboarding over them, replacing an onboarding of the member that has finished.
// It answers the link of the join pages.
func (s *Server) startJoin(ctx context.Context, m *members.Member) (members.JoinLink, error) {
	link := members.JoinLink{MemberID: m.ID}
	in := wf.OnboardingInput{MemberID: m.ID}
	phone, email, err := s.verifications.Latest(ctx, m.ID)
	if err != nil {
		return link, err
	}
	for _, k := range []struct {
		kind     members.VerificationKind
		verified bool
		latest   *members.Verification
		seq      *int
		instance *string
	}{
		{members.VerifyPhone, m.PhoneVerifiedAt != nil, phone, &link.PhoneSeq, &in.PhoneInstance},
		{members.VerifyEmail, m.EmailVerifiedAt != nil, email, &link.EmailSeq, &in.EmailInstance},
	} {
		if k.verified {
			if k.latest != nil {
				*k.seq = k.latest.Seq
			}
			continue
		}
		run, err := s.verifications.Begin(ctx, joinActor, m.ID, k.kind)
		if err != nil {
			return link, err
		}
		*k.seq, *k.instance = run.Seq, run.InstanceID
	}
	id := api.InstanceID(wf.OnboardingInstanceID(m.ID))
	_, err = s.hub.Client().ScheduleNewOrchestration(ctx, wf.MemberOnboardingName, api.WithInstanceID(id), api.WithInput(in),
		api.WithOrchestrationIdReusePolicy(&api.OrchestrationIdReusePolicy{
			Action:          api.REUSE_ID_ACTION_TERMINATE,
			OperationStatus: []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_TERMINATED},
		}))
	if err != nil {
		for _, run := range []string{in.PhoneInstance, in.EmailInstance} {
			if run == "" {
				continue
			}
			if endErr := s.verifications.End(ctx, joinActor, run, members.VerificationFailed, "the join could not start"); endErr != nil {
				err = errors.Join(err, fmt.Errorf("close run %s: %w", run, endErr))
			}
		}
		return link, fmt.Errorf("start %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "join started", slog.String("instance_id", string(id)), slog.Int64("member_id", m.ID))
	return link, nil
}

// joinPage opens the token of a join page and loads its member.
func (s *Server) joinPage(c echo.Context) (members.JoinLink, *members.Member, error) {
	token, _ := url.PathUnescape(c.Param("token"))
	link, err := s.verifications.OpenJoinToken(token)
	if err != nil {
		return link, nil, echo.NewHTTPError(http.StatusNotFound, t(c, "join.link_invalid"))
	}
	m, err := s.members.Get(c.Request().Context(), link.MemberID)
	if errors.Is(err, members.ErrNotFound) || (err == nil && m.Status == members.StatusArchived) {
		return link, nil, echo.NewHTTPError(http.StatusNotFound, t(c, "join.application_gone"))
	}
	return link, m, err
}
