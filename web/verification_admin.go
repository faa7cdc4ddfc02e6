package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// verificationView gathers the member's verification state for the fragment (the member page
// embeds it as MemberView.Verification).
func (s *Server) verificationView(ctx context.Context, m *members.Member) (templates.VerificationView, error) {
	phone, email, err := s.verifications.Latest(ctx, m.ID)
	if err != nil {
		return templates.VerificationView{}, err
	}
	loc := s.cfg.Club.Location()
	return templates.VerificationView{
		MemberID: m.ID,
		Phone:    verificationRow("phone", m.Phone, m.PhoneVerifiedAt, phone, loc),
		Email:    verificationRow("email", m.Email, m.EmailVerifiedAt, email, loc),
	}, nil
}

// verificationRow describes one kind: the member's own stamp decides "verified"; the newest
// run tells what is under way or how the last try ended. The template says it in the
// reader's language.
func verificationRow(kind, address string, verifiedAt *time.Time, run *members.Verification, loc *time.Location) templates.VerificationRow {
	r := templates.VerificationRow{Kind: kind, Address: address, State: "none"}
	if run != nil {
		r.InstanceID = run.InstanceID
	}
	switch {
	case run != nil && run.Running():
		r.State = "running"
		if run.CodeOut() && run.ExpiresAt != nil {
			r.AttemptsLeft, r.ValidUntil = run.AttemptsLeft, run.ExpiresAt.In(loc)
		}
	case verifiedAt != nil:
		r.State, r.VerifiedAt = "verified", verifiedAt.In(loc)
	case run != nil && run.Status != members.VerificationVerified && address != "":
		r.State, r.Reason = run.Status, run.Reason
	}
	return r
}

// verificationFragment answers the fragment alone, for htmx to refresh it.
func (s *Server) verificationFragment(c echo.Context) error {
	m, err := s.memberParam(c)
	if err != nil {
		return err
	}
	v, err := s.verificationView(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.VerificationStatus(s.ctx(c, "", ""), v))
}

func (s *Server) verifyPhoneStart(c echo.Context) error { return s.verifyStart(c, members.VerifyPhone) }

func (s *Server) verifyEmailStart(c echo.Context) error { return s.verifyStart(c, members.VerifyEmail) }

// verifyStart starts a verification from the member page and goes back to it.
func (s *Server) verifyStart(c echo.Context, kind members.VerificationKind) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	back := "/members/" + strconv.FormatInt(id, 10)
	run, err := s.startVerification(c.Request().Context(), principal(c).Actor(), id, kind)
	if msg, ok := startRefusal(c, err); ok {
		return s.redirectWith(c, back, "error", msg)
	}
	if err != nil {
		return err
	}
	msg := t(c, "verification_admin.flash.email_sent", "ID", run.InstanceID)
	if kind == members.VerifyPhone {
		msg = t(c, "verification_admin.flash.sms_sent", "ID", run.InstanceID)
	}
	return s.redirectWith(c, back, "ok", msg)
}

// startRefusal turns why a verification could not start into a message for the admin, in the
// admin's language.
func startRefusal(c echo.Context, err error) (string, bool) {
	var running *members.RunningError
	var invalid *members.ValidationError
	switch {
	case errors.As(err, &running) && running.Running.Kind == members.VerifyPhone:
		return t(c, "verification_admin.refused.phone_running", "ID", running.Running.InstanceID), true
	case errors.As(err, &running):
		return t(c, "verification_admin.refused.email_running", "ID", running.Running.InstanceID), true
	case errors.As(err, &invalid):
		var reasons []string
		for _, fe := range invalid.Fields {
			reasons = append(reasons, fieldMessage(loc(c), fe))
		}
		return t(c, "verification_admin.refused.invalid", "Reason", strings.Join(reasons, "; ")), true
	case errors.Is(err, members.ErrConflict):
		return t(c, "verification_admin.refused.conflict"), true
	}
	return "", false
}

// verificationsCancel cancels what runs for the member.
func (s *Server) verificationsCancel(c echo.Context) error {
	id, n, err := s.cancelRequested(c)
	if err != nil {
		return err
	}
	back := "/members/" + strconv.FormatInt(id, 10)
	if n == 0 {
		return s.redirectWith(c, back, "error", t(c, "verification_admin.flash.none_running"))
	}
	return s.redirectWith(c, back, "ok", t(c, "verification_admin.flash.cancelled"))
}

// verifyBulk starts verifications for the members a list selected: ids (repeated), kind phone,
// email or both (the default), and next, where to go back to.
func (s *Server) verifyBulk(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "verification_admin.error.form"))
	}
	kinds := []members.VerificationKind{members.VerifyPhone, members.VerifyEmail}
	switch form.Get("kind") {
	case "phone":
		kinds = kinds[:1]
	case "email":
		kinds = kinds[1:]
	case "", "both":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "verification_admin.error.kind"))
	}
	var ids []int64
	for _, v := range form["ids"] {
		for _, part := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				return echo.NewHTTPError(http.StatusBadRequest, t(c, "verification_admin.error.ids"))
			}
			ids = append(ids, id)
		}
	}
	back := form.Get("next")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/members"
	}
	if len(ids) == 0 {
		return s.redirectWith(c, back, "error", t(c, "verification_admin.flash.select_first"))
	}
	ctx, actor := c.Request().Context(), principal(c).Actor()
	started, skipped := 0, 0
	for _, id := range ids {
		for _, kind := range kinds {
			_, err := s.startVerification(ctx, actor, id, kind)
			if _, refused := startRefusal(c, err); refused || errors.Is(err, members.ErrNotFound) {
				skipped++
				continue
			}
			if err != nil {
				return err
			}
			started++
		}
	}
	msg := loc(c).N("verification_admin.flash.started", started)
	if skipped > 0 {
		msg += " " + loc(c).N("verification_admin.flash.skipped", skipped)
	}
	return s.redirectWith(c, back, "ok", msg)
}
