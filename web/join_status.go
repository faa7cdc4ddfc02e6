package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/web/i18n"
	"membership/web/templates"
	wf "membership/workflows"
)

// joinStatus is the page after the join form: enter the SMS code, see what is still to confirm.
func (s *Server) joinStatus(c echo.Context) error {
	link, m, err := s.joinPage(c)
	if err != nil {
		return err
	}
	return s.renderJoinStatus(c, link, m, "", "")
}

func (s *Server) renderJoinStatus(c echo.Context, link members.JoinLink, m *members.Member, kind, msg string) error {
	v, err := s.joinStatusView(c, link, m)
	if err != nil {
		return err
	}
	v.Token = c.Param("token")
	if msg != "" {
		v.Kind, v.Message = kind, msg
	}
	return s.page(c, http.StatusOK, t(c, "join.status.title"), "", templates.JoinStatus(s.ctx(c, t(c, "join.status.title"), ""), v))
}

func (s *Server) joinStatusView(c echo.Context, link members.JoinLink, m *members.Member) (templates.JoinStatusView, error) {
	ctx := c.Request().Context()
	v := templates.JoinStatusView{FirstName: m.FirstName, Active: m.Status == members.StatusActive}
	zone := s.cfg.Club.Location()
	for _, k := range []struct {
		instance   string
		verifiedAt *time.Time
		address    string
		step       *templates.JoinStep
		waitKey    string // what the page says while the provider is down
	}{
		{link.PhoneInstance(), m.PhoneVerifiedAt, maskPhone(m.Phone), &v.Phone, "join.msg.provider_wait_sms"},
		{link.EmailInstance(), m.EmailVerifiedAt, maskEmail(m.Email), &v.Email, "join.msg.provider_wait_email"},
	} {
		k.step.Address = k.address
		if k.verifiedAt != nil {
			k.step.State = "verified"
			continue
		}
		run, err := s.verifications.Get(ctx, k.instance)
		if err != nil {
			return v, err
		}
		switch {
		case run.Running() && run.CodeOut():
			k.step.State, k.step.AttemptsLeft = "waiting", run.AttemptsLeft
			k.step.ValidUntil = run.ExpiresAt.In(zone)
			if notice := s.runNotice(c, run); notice != "" && v.Message == "" {
				v.Kind, v.Message = "error", notice
			}
		case run.Running():
			k.step.State = "sending"
			if st, ok := s.runStatus(c, run); ok && st.State == "waiting_for_provider" && v.Message == "" {
				v.Kind, v.Message = "error", t(c, k.waitKey, "Time", loc(c).Time(st.RetryAt.In(zone)))
			}
		default:
			k.step.State = run.Status
		}
	}
	return v, nil
}

// runStatus reads a run's custom status; false when it has none (yet) or cannot be read, which
// the page treats as nothing to add.
func (s *Server) runStatus(c echo.Context, run *members.Verification) (wf.VerificationStatus, bool) {
	var st wf.VerificationStatus
	md, err := s.hub.Client().FetchOrchestrationMetadata(c.Request().Context(), api.InstanceID(run.InstanceID))
	if err != nil || md.SerializedCustomStatus == "" {
		return st, false
	}
	return st, json.Unmarshal([]byte(md.SerializedCustomStatus), &st) == nil
}

// runNotice explains why a run did not meet the last request for a new code, from its custom
// status.
func (s *Server) runNotice(c echo.Context, run *members.Verification) string {
	st, ok := s.runStatus(c, run)
	if !ok {
		return ""
	}
	switch st.Notice {
	case members.RefusedLimit:
		return t(c, "join.msg.limit", "Time", loc(c).Time(st.ResendAfter.In(s.cfg.Club.Location())))
	case "send_failed":
		return t(c, "join.msg.send_failed")
	}
	return ""
}

// joinPhoneCode takes the SMS code the person typed.
func (s *Server) joinPhoneCode(c echo.Context) error {
	link, m, err := s.joinPage(c)
	if err != nil {
		return err
	}
	code := normalizeCode(c.FormValue("code"))
	if code == "" || strings.Trim(code, "0123456789") != "" {
		return s.renderJoinStatus(c, link, m, "error", t(c, "join.msg.enter_digits"))
	}
	res, err := s.submitCode(c.Request().Context(), link.PhoneInstance(), 0, code)
	if errors.Is(err, errNoCode) {
		return s.renderJoinStatus(c, link, m, "error", t(c, "join.msg.on_its_way"))
	}
	if err != nil {
		return err
	}
	kind, msg := codeMessage(loc(c), res)
	if m, err = s.members.Get(c.Request().Context(), m.ID); err != nil {
		return err
	}
	return s.renderJoinStatus(c, link, m, kind, msg)
}

// codeMessage tells the person what became of the code they entered.
func codeMessage(l *i18n.Localizer, r CodeResult) (kind, msg string) {
	switch r.Result {
	case members.CodeVerified:
		return "ok", l.T("join.msg.verified")
	case members.CodeWrong:
		return "error", l.N("join.msg.wrong", r.AttemptsLeft)
	case members.CodeLocked:
		return "error", l.T("join.msg.locked")
	case members.CodeExpired:
		return "error", l.T("join.msg.expired")
	}
	return "ok", l.T("join.msg.checking")
}

// joinResend asks for a new code (kind phone) or link (kind email): the run under way sends
// one; a run that ended starts the join's confirmations again.
func (s *Server) joinResend(c echo.Context) error {
	link, m, err := s.joinPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	back := "/join/" + c.Param("token") + "/phone"
	kind := members.VerificationKind(c.FormValue("kind"))
	instance := link.PhoneInstance()
	if kind == members.VerifyEmail {
		instance = link.EmailInstance()
	} else if kind != members.VerifyPhone {
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "join.msg.bad_kind"))
	}
	if m.Status != members.StatusPending {
		return s.redirectWith(c, back, "ok", t(c, "join.msg.confirmed_already"))
	}
	if err := s.verifications.AllowRequest(ctx, c.RealIP()); errors.Is(err, members.ErrTooManyRequests) {
		return s.redirectWith(c, back, "error", t(c, "join.msg.too_many_requests"))
	} else if err != nil {
		return err
	}
	run, err := s.verifications.Get(ctx, instance)
	if err != nil {
		return err
	}
	if run.Running() {
		var limit *members.LimitError
		switch err := s.requestResend(ctx, run); {
		case errors.As(err, &limit):
			wait := int(math.Ceil(time.Until(limit.RetryAt).Seconds()))
			return s.redirectWith(c, back, "error", loc(c).N("join.msg.wait", max(wait, 1)))
		case err != nil:
			return err
		}
		return s.redirectWith(c, back, "ok", t(c, "join.msg.new_one"))
	}
	next, err := s.restartJoin(ctx, m)
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/join/"+s.verifications.JoinToken(next)+"/phone", "ok", t(c, "join.msg.new_both"))
}

// restartJoin starts a join's confirmations again once one of them ended without success: what
// still runs is cancelled (its code would outlive the new one), and a new MemberOnboarding
// confirms whatever is not verified yet.
func (s *Server) restartJoin(ctx context.Context, m *members.Member) (members.JoinLink, error) {
	id := api.InstanceID(wf.OnboardingInstanceID(m.ID))
	md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, id)
	if err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
		return members.JoinLink{}, err
	}
	if err == nil && !md.IsComplete() {
		if _, err := s.cancelVerifications(ctx, joinActor, m.ID); err != nil {
			return members.JoinLink{}, err
		}
		if err := s.awaitDone(ctx, id); err != nil {
			return members.JoinLink{}, err
		}
	}
	if m, err = s.members.Get(ctx, m.ID); err != nil {
		return members.JoinLink{}, err
	}
	return s.startJoin(ctx, m)
}

// awaitDone waits a few seconds for an instance to finish.
func (s *Server) awaitDone(ctx context.Context, id api.InstanceID) error {
	ctx, cancel := context.WithTimeout(ctx, codeWait)
	defer cancel()
	for {
		md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, id)
		if err == nil && md.IsComplete() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not finish: %w", id, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// maskPhone shows only the last two digits of a number.
func maskPhone(e164 string) string {
	if len(e164) < 4 {
		return e164
	}
	return strings.Repeat("•", len(e164)-3) + e164[len(e164)-2:]
}

// maskEmail shows the first letter and the domain of an address.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return addr
	}
	return local[:1] + "•••@" + domain
}
