package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// portalPage renders a portal screen in the shared layout (no admin navigation: the viewer is
// no user), under the portal's own header.
func (s *Server) portalPage(c echo.Context, status int, title string, body templ.Component) error {
	tc := s.ctx(c, title, "")
	signedIn := portalSession(c) != nil
	return render(c, status, templates.Page(tc, templates.PortalFrame(tc, signedIn, body)))
}

// portalRecords are the records a session reaches, for the list a parent sees.
func (s *Server) portalRecords(c echo.Context, sess *members.PortalSession) ([]templates.PortalRecord, error) {
	ids := make([]int64, len(sess.Reach))
	for i, r := range sess.Reach {
		ids[i] = r.MemberID
	}
	ms, err := s.members.MembersByID(c.Request().Context(), ids)
	if err != nil {
		return nil, fmt.Errorf("portal: records reached: %w", err)
	}
	out := make([]templates.PortalRecord, 0, len(sess.Reach))
	for _, r := range sess.Reach {
		// A record deleted since the sign-in is no longer listed.
		if m := ms[r.MemberID]; m != nil {
			out = append(out, templates.PortalRecord{ID: m.ID, Name: m.FullName(), Guardian: r.Guardian})
		}
	}
	return out, nil
}

// portalMember is one record as its member sees it: data, plan, fees, ranks, messages,
// consents, the contact changes waiting for a code, and the sessions signed in to it.
func (s *Server) portalMember(c echo.Context) error {
	v, err := s.portalView(c, nil)
	if err != nil {
		return err
	}
	return s.portalPage(c, http.StatusOK, v.Member.FullName(), templates.PortalMember(s.ctx(c, "", ""), v))
}

func (s *Server) portalView(c echo.Context, errs templates.FieldErrors) (templates.PortalMemberView, error) {
	ctx := c.Request().Context()
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	sess := portalSession(c)
	v := templates.PortalMemberView{Errors: errs, Zone: s.cfg.Club.Location(), SessionID: sess.ID,
		Guardian: portalActor(c) == members.PortalGuardianActor, Languages: s.languageChoices()}
	var err error
	if v.Member, err = s.portalRecordOf(c, id); err != nil {
		return v, err
	}
	if v.Fees, err = s.members.Fees(ctx, id); err != nil {
		return v, err
	}
	if v.Gradings, err = s.members.Gradings(ctx, id); err != nil {
		return v, err
	}
	if v.Notices, err = s.members.MemberNotices(ctx, id, 50); err != nil {
		return v, err
	}
	if v.Sessions, err = s.members.PortalSessions(ctx, id); err != nil {
		return v, err
	}
	runs, err := s.verifications.Running(ctx, id)
	if err != nil {
		return v, err
	}
	for _, r := range runs {
		if r.Purpose == members.PurposeChange {
			v.Pending = append(v.Pending, templates.PortalPending{Kind: string(r.Kind), Address: maskAddress(r.Kind, r.NewAddress), CodeOut: r.CodeOut()})
		}
	}
	switch r, err := s.members.OpenErasureRequest(ctx, id); {
	case err == nil:
		v.Erasure = r
	case !errors.Is(err, members.ErrNotFound):
		return v, err
	}
	if len(sess.Reach) > 1 {
		if v.Records, err = s.portalRecords(c, sess); err != nil {
			return v, err
		}
	}
	return v, nil
}

func maskAddress(kind members.VerificationKind, a string) string {
	if kind == members.VerifyPhone {
		return maskPhone(a)
	}
	return maskEmail(a)
}

// languageChoices are the languages a member may choose for their messages.
func (s *Server) languageChoices() []templates.LanguageLink {
	var out []templates.LanguageLink
	for _, lang := range s.i18n.Languages() {
		out = append(out, templates.LanguageLink{Lang: lang, Name: s.i18n.Name(lang)})
	}
	return out
}

// portalContact takes a new phone number and/or e-mail address. Each changed one starts a
// verification of the new value (a code by SMS, a link by e-mail); the record keeps the old
// value until the new one is confirmed. A change asked for again replaces the one waiting.
func (s *Server) portalContact(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	m, err := s.portalRecordOf(c, id)
	if err != nil {
		return err
	}
	type change struct {
		kind    members.VerificationKind
		field   string
		current string
	}
	errs := templates.FieldErrors{}
	var started []string
	for _, ch := range []change{{members.VerifyPhone, "phone", m.Phone}, {members.VerifyEmail, "email", m.Email}} {
		typed := strings.TrimSpace(c.FormValue(ch.field))
		if typed == "" {
			continue
		}
		value, err := s.members.NormalizeContact(ch.field, ch.kind, typed)
		if fe := fieldErrors(loc(c), err); fe != nil {
			errs[ch.field] = fe[ch.field]
			continue
		} else if err != nil {
			return err
		}
		if strings.EqualFold(value, ch.current) {
			continue
		}
		if err := s.replaceChange(c, id, ch.kind, value); err != nil {
			return err
		}
		started = append(started, ch.field)
	}
	if len(errs) > 0 {
		v, err := s.portalView(c, errs)
		if err != nil {
			return err
		}
		return s.portalPage(c, http.StatusUnprocessableEntity, v.Member.FullName(), templates.PortalMember(s.ctx(c, "", ""), v))
	}
	msg := t(c, "portal.contact.nothing")
	if len(started) > 0 {
		msg = t(c, "portal.contact.started")
	}
	return s.redirectWith(c, portalURL(id), "ok", msg)
}

// replaceChange cancels what confirms the kind now (an earlier change, an admin's verification)
// and starts the change to value.
func (s *Server) replaceChange(c echo.Context, id int64, kind members.VerificationKind, value string) error {
	ctx := c.Request().Context()
	actor := portalActor(c)
	runs, err := s.verifications.Running(ctx, id)
	if err != nil {
		return err
	}
	for i := range runs {
		r := &runs[i]
		if r.Kind != kind {
			continue
		}
		if err := s.verifications.End(ctx, actor, r.InstanceID, members.VerificationCancelled, "replaced by a change in the portal"); err != nil {
			return err
		}
		if err := s.cancelRun(ctx, r); err != nil {
			return err
		}
	}
	_, err = s.startRun(ctx, actor, id, kind, members.PurposeChange, value)
	return err
}

// portalContactCode takes the SMS code that confirms a new phone number.
func (s *Server) portalContactCode(c echo.Context) error {
	ctx := c.Request().Context()
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	runs, err := s.verifications.Running(ctx, id)
	if err != nil {
		return err
	}
	var run *members.Verification
	for i := range runs {
		if runs[i].Purpose == members.PurposeChange && runs[i].Kind == members.VerifyPhone {
			run = &runs[i]
		}
	}
	if run == nil {
		return s.redirectWith(c, portalURL(id), "error", t(c, "portal.contact.no_change"))
	}
	code := normalizeCode(c.FormValue("code"))
	if code == "" || strings.Trim(code, "0123456789") != "" {
		return s.redirectWith(c, portalURL(id), "error", t(c, "portal.code.digits"))
	}
	res, err := s.submitCode(ctx, run.InstanceID, 0, code)
	if errors.Is(err, errNoCode) {
		return s.redirectWith(c, portalURL(id), "error", t(c, "portal.code.pending"))
	}
	if err != nil {
		return err
	}
	kind, msg := codeMessage(loc(c), res)
	if res.Result == members.CodeVerified {
		msg = t(c, "portal.contact.phone_changed")
	}
	return s.redirectWith(c, portalURL(id), kind, msg)
}

// portalConsent gives or withdraws SMS and e-mail consent (both boxes are on one form).
func (s *Server) portalConsent(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	sms, email := c.FormValue("sms_consent") != "", c.FormValue("email_consent") != ""
	_, err := s.members.Update(c.Request().Context(), portalActor(c), id, members.MemberPatch{SMSConsent: &sms, EmailConsent: &email}, nil)
	if err != nil {
		return err
	}
	return s.redirectWith(c, portalURL(id), "ok", t(c, "portal.consent.saved"))
}

// portalLanguage sets the language the member's messages (and the portal) are in.
func (s *Server) portalLanguage(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	lang := c.FormValue("language")
	if _, err := s.members.Update(c.Request().Context(), portalActor(c), id, members.MemberPatch{Language: &lang}, nil); err != nil {
		return err
	}
	if portalSession(c).MemberID == id {
		s.speak(c, lang)
	}
	return s.redirectWith(c, portalURL(id), "ok", t(c, "portal.language.saved"))
}

// portalErasureForm asks the member to confirm that they want their data erased, and says
// what follows: an admin decides, within the deadline.
func (s *Server) portalErasureForm(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	m, err := s.portalRecordOf(c, id)
	if err != nil {
		return err
	}
	return s.portalPage(c, http.StatusOK, t(c, "portal.erasure.title"), templates.PortalErasure(s.ctx(c, "", ""), portalURL(id), m.FullName(), ""))
}

// portalErasure asks for the erasure: an ErasureRequest workflow in which an admin confirms or
// rejects it by its deadline. Asking again while one is open changes nothing.
func (s *Server) portalErasure(c echo.Context) error {
	ctx := c.Request().Context()
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	if c.FormValue("confirm") == "" {
		m, err := s.portalRecordOf(c, id)
		if err != nil {
			return err
		}
		return s.portalPage(c, http.StatusUnprocessableEntity, t(c, "portal.erasure.title"),
			templates.PortalErasure(s.ctx(c, "", ""), portalURL(id), m.FullName(), t(c, "portal.erasure.tick")))
	}
	r, err := s.AskErasure(ctx, portalActor(c), id)
	if err != nil {
		return err
	}
	return s.redirectWith(c, portalURL(id), "ok", t(c, "portal.erasure.asked", "Date", loc(c).Date(r.Deadline.In(s.cfg.Club.Location()))))
}
