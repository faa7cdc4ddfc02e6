package web

import (
	"context"
	"errors"
	"fmt"
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
		Phone:    verificationRow("phone", "Phone", m.Phone, m.PhoneVerifiedAt, phone, loc),
		Email:    verificationRow("email", "E-mail", m.Email, m.EmailVerifiedAt, email, loc),
	}, nil
}

// verificationRow describes one kind: the member's own stamp decides "verified"; the newest
// run tells what is under way or how the last try ended.
func verificationRow(kind, label, address string, verifiedAt *time.Time, run *members.Verification, loc *time.Location) templates.VerificationRow {
	r := templates.VerificationRow{Kind: kind, Label: label, Address: address, State: "none"}
	if run != nil {
		r.InstanceID = run.InstanceID
	}
	switch {
	case run != nil && run.Running():
		r.State = "running"
		if run.CodeOut() && run.ExpiresAt != nil {
			r.Detail = fmt.Sprintf("%d attempts left · valid until %s", run.AttemptsLeft, run.ExpiresAt.In(loc).Format("2006-01-02 15:04"))
		} else {
			r.Detail = "sending the code"
		}
	case verifiedAt != nil:
		r.State, r.Detail = "verified", verifiedAt.In(loc).Format("2006-01-02 15:04")
	case address == "":
		r.Detail = "nothing to verify"
	case run != nil && run.Status != members.VerificationVerified:
		r.State, r.Detail = run.Status, run.Reason
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
	if msg, ok := startRefusal(err); ok {
		return s.redirectWith(c, back, "error", msg)
	}
	if err != nil {
		return err
	}
	what := map[members.VerificationKind]string{members.VerifyPhone: "A code is on its way by SMS", members.VerifyEmail: "A confirmation link is on its way by e-mail"}[kind]
	return s.redirectWith(c, back, "ok", what+" (workflow "+run.InstanceID+").")
}

// startRefusal turns why a verification could not start into a message for the admin.
func startRefusal(err error) (string, bool) {
	var running *members.RunningError
	var invalid *members.ValidationError
	switch {
	case errors.As(err, &running):
		return "A " + string(running.Running.Kind) + " verification is already under way (" + running.Running.InstanceID + ").", true
	case errors.As(err, &invalid):
		return "Nothing to verify: " + invalid.Error(), true
	case errors.Is(err, members.ErrConflict):
		return "The member cannot be verified now: " + err.Error(), true
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
		return s.redirectWith(c, back, "error", "No verification was under way.")
	}
	return s.redirectWith(c, back, "ok", "The verification is cancelled.")
}

// verifyBulk starts verifications for the members a list selected: ids (repeated), kind phone,
// email or both (the default), and next, where to go back to.
func (s *Server) verifyBulk(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	kinds := []members.VerificationKind{members.VerifyPhone, members.VerifyEmail}
	switch form.Get("kind") {
	case "phone":
		kinds = kinds[:1]
	case "email":
		kinds = kinds[1:]
	case "", "both":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "kind must be phone, email or both.")
	}
	var ids []int64
	for _, v := range form["ids"] {
		for _, part := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				return echo.NewHTTPError(http.StatusBadRequest, "ids must be member ids.")
			}
			ids = append(ids, id)
		}
	}
	back := form.Get("next")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/members"
	}
	if len(ids) == 0 {
		return s.redirectWith(c, back, "error", "Select the members to verify first.")
	}
	ctx, actor := c.Request().Context(), principal(c).Actor()
	started, skipped := 0, 0
	for _, id := range ids {
		for _, kind := range kinds {
			_, err := s.startVerification(ctx, actor, id, kind)
			if _, refused := startRefusal(err); refused || errors.Is(err, members.ErrNotFound) {
				skipped++
				continue
			}
			if err != nil {
				return err
			}
			started++
		}
	}
	msg := fmt.Sprintf("Started %d verifications.", started)
	if skipped > 0 {
		msg += fmt.Sprintf(" %d skipped: already under way, nothing to verify, or no such member.", skipped)
	}
	return s.redirectWith(c, back, "ok", msg)
}
