package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"membership/web/auth"
	"membership/web/templates"
)

func (s *Server) tokensList(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, nil, "")
}

func (s *Server) renderTokens(c echo.Context, status int, errs templates.FieldErrors, newToken string) error {
	ts, err := s.auth.Tokens(c.Request().Context())
	if err != nil {
		return err
	}
	rows := make([]templates.TokenRow, len(ts))
	for i, t := range ts {
		rows[i] = templates.TokenRow{ID: t.ID, Name: t.Name, Role: t.Role, Prefix: t.Prefix, Created: s.clubTime(&t.CreatedAt), Revoked: t.RevokedAt != nil}
		if t.LastUsedAt != nil {
			used := s.clubTime(t.LastUsedAt)
			rows[i].LastUsed = &used
		}
	}
	title := t(c, "settings.tokens.title")
	return s.page(c, status, title, "tokens", templates.Tokens(s.ctx(c, title, "tokens"), rows, errs, newToken))
}

func (s *Server) tokenCreate(c echo.Context) error {
	name, role := strings.TrimSpace(c.FormValue("name")), c.FormValue("role")
	errs := templates.FieldErrors{}
	if name == "" {
		errs["name"] = t(c, "settings.tokens.error.name")
	}
	if !auth.ValidRole(role) {
		errs["role"] = t(c, "settings.tokens.error.role")
	}
	if len(errs) > 0 {
		return s.renderTokens(c, http.StatusUnprocessableEntity, errs, "")
	}
	uid := principal(c).UserID
	token, _, err := s.auth.CreateToken(c.Request().Context(), name, role, &uid)
	if err != nil {
		return err
	}
	return s.renderTokens(c, http.StatusOK, nil, token)
}

func (s *Server) tokenRevoke(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.auth.RevokeToken(c.Request().Context(), id); err != nil {
		return err
	}
	return s.redirectWith(c, "/settings/tokens", "ok", t(c, "settings.tokens.flash.revoked"))
}

// whoami tells an API client which principal its token stands for.
func (s *Server) whoami(c echo.Context) error {
	p := principal(c)
	return c.JSON(http.StatusOK, map[string]any{"name": p.Name, "role": p.Role, "token_id": p.TokenID})
}
