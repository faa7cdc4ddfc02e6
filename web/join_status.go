package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
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
	v, err := s.joinStatusView(c.Request().Context(), link, m)
	if err != nil {
		return err
	}
	v.Token = c.Param("token")
	if msg != "" {
		v.Kind, v.Message = kind, msg
	}
	return s.page(c, http.StatusOK, "Confirm your membership", "", templates.JoinStatus(s.ctx(c, "Confirm your membership", ""), v))
}

func (s *Server) joinStatusView(ctx context.Context, link members.JoinLink, m *members.Member) (templates.JoinStatusView, error) {
	v := templates.JoinStatusView{FirstName: m.FirstName, Active: m.Status == members.StatusActive}
	loc := s.cfg.Club.Location()
	for _, k := range []struct {
		instance   string
		verifiedAt *time.Time
		address    string
		step       *templates.JoinStep
	}{
		{link.PhoneInstance(), m.PhoneVerifiedAt, maskPhone(m.Phone), &v.Phone},
		{link.EmailInstance(), m.EmailVerifiedAt, maskEmail(m.Email), &v.Email},
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
			k.step.ValidUntil = run.ExpiresAt.In(loc).Format("2 Jan 15:04")
			if notice := s.runNotice(ctx, run); notice != "" && v.Message == "" {
				v.Kind, v.Message = "error", notice
			}
		case run.Running():
			k.step.State = "sending"
		default:
			k.step.State = run.Status
		}
	}
	return v, nil
}

// runNotice explains why a run did not meet the last request for a new code, from its custom
// status.
func (s *Server) runNotice(ctx context.Context, run *members.Verification) string {
	md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, api.InstanceID(run.InstanceID))
	if err != nil || md.SerializedCustomStatus == "" {
		return ""
	}
	var st wf.VerificationStatus
	if json.Unmarshal([]byte(md.SerializedCustomStatus), &st) != nil {
		return ""
	}
	switch st.Notice {
	case members.RefusedLimit:
		return "No more codes can go to this number for now; please try again after " + st.ResendAfter.In(s.cfg.Club.Location()).Format("15:04") + ". The last code still works."
	case "send_failed":
		return "The new code could not be sent; the last one still works."
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
		return s.renderJoinStatus(c, link, m, "error", "Enter the digits of the code from the SMS.")
	}
	res, err := s.submitCode(c.Request().Context(), link.PhoneInstance(), 0, code)
	if errors.Is(err, errNoCode) {
		return s.renderJoinStatus(c, link, m, "error", "The code is still on its way. Wait for the SMS, then enter it.")
	}
	if err != nil {
		return err
	}
	kind, msg := codeMessage(res)
	if m, err = s.members.Get(c.Request().Context(), m.ID); err != nil {
		return err
	}
	return s.renderJoinStatus(c, link, m, kind, msg)
}

// codeMessage tells the person what became of the code they entered.
func codeMessage(r CodeResult) (kind, msg string) {
	switch r.Result {
	case members.CodeVerified:
		return "ok", "Your phone number is confirmed."
	case members.CodeWrong:
		return "error", fmt.Sprintf("That code is not right. %s left.", templates.Attempts(r.AttemptsLeft))
	case members.CodeLocked:
		return "error", "That code is not right, and no attempts are left. Ask for a new code."
	case members.CodeExpired:
		return "error", "The code has expired. Ask for a new one."
	}
	return "ok", "We are still checking your code. Reload this page in a moment."
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
		return echo.NewHTTPError(http.StatusBadRequest, "kind must be phone or email.")
	}
	if m.Status != members.StatusPending {
		return s.redirectWith(c, back, "ok", "Your membership is confirmed already.")
	}
	if err := s.verifications.AllowRequest(ctx, c.RealIP()); errors.Is(err, members.ErrTooManyRequests) {
		return s.redirectWith(c, back, "error", "Too many requests from your network in the last hour. Please try again later.")
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
			wait := time.Until(limit.RetryAt).Round(time.Second)
			return s.redirectWith(c, back, "error", fmt.Sprintf("You can ask for a new one in %s.", wait))
		case err != nil:
			return err
		}
		return s.redirectWith(c, back, "ok", "A new one is on its way.")
	}
	next, err := s.restartJoin(ctx, m)
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/join/"+s.verifications.JoinToken(next)+"/phone", "ok", "A new code and link are on their way.")
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
