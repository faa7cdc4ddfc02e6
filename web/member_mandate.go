package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// mandateFields are the mandate form's fields, named as in the JSON API.
var mandateFields = []string{"iban", "bic", "holder", "reference", "signed_on"}

// mandateView is the member page's mandate section: the member's mandates and the form, as
// typed when form is given, else filled from the active mandate.
func (s *Server) mandateView(ctx context.Context, m *members.Member, form *templates.MandateForm) (templates.MandateView, error) {
	ms, err := s.members.Mandates(ctx, m.ID)
	if err != nil {
		return templates.MandateView{}, err
	}
	v := templates.MandateView{MemberID: m.ID, MemberName: m.FullName()}
	for i := range ms {
		if ms[i].Status == members.MandateActive && v.Active == nil {
			v.Active = &ms[i]
		} else {
			v.Revoked = append(v.Revoked, ms[i])
		}
	}
	switch {
	case form != nil:
		v.Form = *form
	case v.Active != nil:
		a := v.Active
		v.Form = templates.MandateForm{Values: map[string]string{"iban": a.IBAN, "bic": a.BIC, "holder": a.Holder,
			"reference": a.Reference, "signed_on": a.SignedOn.String()}}
	default:
		v.Form = templates.MandateForm{Values: map[string]string{}}
	}
	return v, nil
}

// mandateSave sets or amends the member's mandate; errors come back next to the fields, on
// the member's page, with the input kept.
func (s *Server) mandateSave(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	values := make(map[string]string, len(mandateFields))
	for _, f := range mandateFields {
		values[f] = strings.TrimSpace(c.FormValue(f))
	}
	form := &templates.MandateForm{Values: values, Errors: templates.FieldErrors{}}
	signed, err := members.ParseDate(values["signed_on"])
	switch {
	case values["signed_on"] == "":
		form.Errors["signed_on"] = t(c, "validation.required")
	case err != nil:
		form.Errors["signed_on"] = t(c, "collections.error.date")
	}
	if len(form.Errors) > 0 {
		return s.memberPage(c, http.StatusUnprocessableEntity, form)
	}
	in := members.MandateInput{IBAN: values["iban"], BIC: values["bic"], Holder: values["holder"], Reference: values["reference"], SignedOn: signed}
	_, err = s.members.SetMandate(c.Request().Context(), principal(c).Actor(), id, in)
	if form.Errors = fieldErrors(loc(c), err); form.Errors != nil {
		return s.memberPage(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, memberPagePath(id), "ok", t(c, "collections.mandate.flash.saved"))
}

func (s *Server) mandateRevoke(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.members.RevokeMandate(c.Request().Context(), principal(c).Actor(), id); err != nil {
		if errors.Is(err, members.ErrNotFound) {
			return s.redirectWith(c, memberPagePath(id), "error", t(c, "collections.mandate.flash.none"))
		}
		return err
	}
	return s.redirectWith(c, memberPagePath(id), "ok", t(c, "collections.mandate.flash.revoked"))
}

func memberPagePath(id int64) string { return "/members/" + strconv.FormatInt(id, 10) }
