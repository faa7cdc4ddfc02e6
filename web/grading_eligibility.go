package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// gradingEligible lists every active member's standing for their next grading, today: eligible,
// or why not. ?eligible=1 shows only those who may take it. Admins edit the rules below.
func (s *Server) gradingEligible(c echo.Context) error {
	return s.gradingEligiblePage(c, http.StatusOK, "", nil)
}

func (s *Server) gradingEligiblePage(c echo.Context, status int, badRank string, errs templates.FieldErrors) error {
	ctx := c.Request().Context()
	today := members.DateOf(time.Now().In(s.cfg.Club.Location()))
	rows, err := s.members.Eligibility(ctx, today)
	if err != nil {
		return err
	}
	rules, err := s.members.GradingRules(ctx)
	if err != nil {
		return err
	}
	v := templates.EligibilityView{OnlyEligible: c.QueryParam("eligible") == "1", Rules: rules, BadRank: badRank, Errors: errs}
	for _, r := range rows {
		if r.Eligible {
			v.EligibleCount++
		}
		if !v.OnlyEligible || r.Eligible {
			v.Rows = append(v.Rows, r)
		}
	}
	title := t(c, "eligibility.title")
	return s.page(c, status, title, "attendance", templates.Eligibility(s.ctx(c, title, "attendance"), v))
}

// gradingRuleSave stores the rule for one rank from its row of the rules table; refused, the
// page comes back with the reason next to that row's field.
func (s *Server) gradingRuleSave(c echo.Context) error {
	rank := c.FormValue("rank")
	num := func(name string) int {
		n, err := strconv.Atoi(c.FormValue(name))
		if err != nil {
			return -1 // out of range: the domain says so next to the field
		}
		return n
	}
	_, err := s.members.SetGradingRule(c.Request().Context(), principal(c).Actor(),
		members.GradingRule{Rank: rank, MinMonths: num("min_months"), MinTrainings: num("min_trainings"), MinAge: num("min_age")})
	if errs := fieldErrors(loc(c), err); errs != nil {
		return s.gradingEligiblePage(c, http.StatusUnprocessableEntity, rank, errs)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/gradings/eligible?"+url.Values{"rules": {"1"}}.Encode(), "ok", t(c, "eligibility.flash.rule_saved", "Rank", rank))
}
