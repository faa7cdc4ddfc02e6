package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
)

// apiVerificationStart starts a phone or e-mail verification: 202 with the management payload
// of its instance ("phone-verification:member:7:2").
func (s *Server) apiVerificationStart(kind members.VerificationKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		run, err := s.startVerification(c.Request().Context(), principal(c).Actor(), id, kind)
		if err != nil {
			return err
		}
		return s.accepted(c, api.InstanceID(run.InstanceID), map[string]any{"member_id": id, "kind": kind})
	}
}

// apiPhoneCode enters a code into the member's phone verification: {"code": "123456"} answers
// 200 {result: verified|wrong|expired|locked, attempts_left} once the run has checked it (202
// with result "pending" if it did not within 10 s).
func (s *Server) apiPhoneCode(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var body struct {
		Code string `json:"code"`
	}
	if err := decodeStrict(c, &body); err != nil {
		return err
	}
	if code := normalizeCode(body.Code); code == "" || strings.Trim(code, "0123456789") != "" {
		return &members.ValidationError{Fields: []members.FieldError{{Field: "code", Message: "must be the digits from the SMS"}}}
	}
	ctx := c.Request().Context()
	phone, _, err := s.verifications.Latest(ctx, id)
	if err != nil {
		return err
	}
	if phone == nil {
		if _, err := s.members.Get(ctx, id); err != nil {
			return err
		}
		return echo.NewHTTPError(http.StatusNotFound, "The member has no phone verification; start one first.")
	}
	res, err := s.submitCode(ctx, phone.InstanceID, 0, body.Code)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Result == resultPending {
		status = http.StatusAccepted
	}
	return c.JSON(status, res)
}

// apiVerifications lists the member's verification runs, newest first.
func (s *Server) apiVerifications(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.members.Get(ctx, id); err != nil {
		return err
	}
	runs, err := s.verifications.List(ctx, id)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []members.Verification{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": runs})
}

// apiVerificationsCancel cancels the member's runs under way: 200 {cancelled: n}.
func (s *Server) apiVerificationsCancel(c echo.Context) error {
	_, n, err := s.cancelRequested(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"cancelled": n})
}
