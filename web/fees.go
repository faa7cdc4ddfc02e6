package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"membership/members"
)

// feePayment is the body of POST /api/v1/fees/{id}/paid.
type feePayment struct {
	PaidOn members.Date `json:"paid_on"`
	Method string       `json:"method"`
}

// apiFeePaid marks a fee paid and tells its reminder workflow; it answers the fee.
func (s *Server) apiFeePaid(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in feePayment
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.markFeePaid(ctx, principal(c).Actor(), id, in.PaidOn, in.Method); err != nil {
		return err
	}
	fee, err := s.members.GetFee(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fee)
}
