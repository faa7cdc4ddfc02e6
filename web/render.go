package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"membership/web/templates"
)

const flashCookie = "membership_flash"

// render writes a templ component with a status code.
func render(c echo.Context, status int, t templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return t.Render(c.Request().Context(), c.Response())
}

// page renders body inside the shared layout.
func (s *Server) page(c echo.Context, status int, title, active string, body templ.Component) error {
	return render(c, status, templates.Page(s.ctx(c, title, active), body))
}

// ctx gathers what the layout needs: the viewer, the CSRF token, pending flash messages.
func (s *Server) ctx(c echo.Context, title, active string) templates.Ctx {
	p := principal(c)
	tc := templates.Ctx{
		Title:    title,
		ClubName: s.cfg.Club.Name,
		User:     p.Name,
		Role:     p.Role,
		Active:   active,
		Outbox:   s.cfg.Notify.SMS.Provider == "outbox" || s.cfg.Notify.Email.Provider == "outbox",
	}
	tc.Lang = loc(c).Lang()
	if p.Name == "" {
		tc.Languages = s.languageSwitch(c)
	}
	tc.CSRF, _ = c.Get(csrfKey).(string)
	if ck, err := c.Cookie(flashCookie); err == nil && ck.Value != "" {
		if v, err := url.QueryUnescape(ck.Value); err == nil {
			kind, text, _ := strings.Cut(v, "|")
			tc.Flashes = append(tc.Flashes, templates.Flash{Kind: kind, Text: text})
		}
		s.clearCookie(c, flashCookie)
	}
	return tc
}

// flash leaves a message for the next page the browser loads (after a redirect).
func (s *Server) flash(c echo.Context, kind, text string) {
	s.setCookie(c, flashCookie, url.QueryEscape(kind+"|"+text), 60)
}

// redirectWith sets a flash message and sends the browser on with 303 See Other.
func (s *Server) redirectWith(c echo.Context, to, kind, text string) error {
	s.flash(c, kind, text)
	return c.Redirect(http.StatusSeeOther, to)
}
