package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/auth"
	"membership/web/templates"
)

func (s *Server) usersList(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, templates.UserForm{Role: auth.RoleTrainer}, "")
}

func (s *Server) renderUsers(c echo.Context, status int, form templates.UserForm, newPassword string) error {
	us, err := s.auth.Users(c.Request().Context())
	if err != nil {
		return err
	}
	rows := make([]templates.UserRow, len(us))
	for i, u := range us {
		rows[i] = templates.UserRow{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled(), Created: u.CreatedAt}
	}
	title := t(c, "settings.users.title")
	return s.page(c, status, title, "users", templates.Users(s.ctx(c, title, "users"), rows, form, newPassword))
}

func (s *Server) userAdd(c echo.Context) error {
	form := templates.UserForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"), Errors: templates.FieldErrors{}}
	if !auth.ValidRole(form.Role) {
		form.Errors["role"] = t(c, "settings.users.error.role")
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, "")
	}
	password, err := auth.RandomSecret(12)
	if err != nil {
		return err
	}
	if _, err := s.auth.AddUser(c.Request().Context(), form.Email, form.Name, form.Role, password); err != nil {
		if errors.Is(err, auth.ErrEmailTaken) {
			form.Errors["email"] = t(c, "settings.users.error.email_taken")
		} else {
			form.Errors["email"] = t(c, "settings.users.error.email_invalid")
		}
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, "")
	}
	return s.renderUsers(c, http.StatusOK, templates.UserForm{Role: auth.RoleTrainer}, password)
}

func (s *Server) userDisable(c echo.Context) error { return s.userSetDisabled(c, true) }
func (s *Server) userEnable(c echo.Context) error  { return s.userSetDisabled(c, false) }

func (s *Server) userSetDisabled(c echo.Context, disabled bool) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.auth.SetDisabled(c.Request().Context(), id, disabled); err != nil {
		if errors.Is(err, auth.ErrLastActiveAdmin) {
			return s.redirectWith(c, "/settings/users", "error", t(c, "settings.users.flash.last_admin"))
		}
		return err
	}
	if disabled {
		return s.redirectWith(c, "/settings/users", "ok", t(c, "settings.users.flash.disabled"))
	}
	return s.redirectWith(c, "/settings/users", "ok", t(c, "settings.users.flash.enabled"))
}

func (s *Server) userResetPassword(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	password, err := auth.RandomSecret(12)
	if err != nil {
		return err
	}
	if err := s.auth.SetPassword(c.Request().Context(), id, password, ""); err != nil {
		return err
	}
	return s.renderUsers(c, http.StatusOK, templates.UserForm{Role: auth.RoleTrainer}, password)
}

func (s *Server) passwordForm(c echo.Context) error {
	return s.accountPage(c, http.StatusOK, nil)
}

// accountPage renders the account page: the password form and the language setting.
func (s *Server) accountPage(c echo.Context, status int, errs templates.FieldErrors) error {
	sess := c.Get(sessionKey).(*auth.Session)
	lang := templates.AccountLanguage{Current: sess.User.Language, Default: s.i18n.Name(s.cfg.Club.Language)}
	for _, l := range s.i18n.Languages() {
		lang.Choices = append(lang.Choices, templates.LanguageChoice{Lang: l, Name: s.i18n.Name(l)})
	}
	title := t(c, "settings.account.title")
	return s.page(c, status, title, "", templates.PasswordForm(s.ctx(c, title, ""), errs, lang))
}

func (s *Server) passwordChange(c echo.Context) error {
	sess := c.Get(sessionKey).(*auth.Session)
	errs := templates.FieldErrors{}
	if !auth.CheckPassword(sess.User.PasswordHash, c.FormValue("current")) {
		errs["current"] = t(c, "settings.password.error.current")
	} else if err := s.auth.SetPassword(c.Request().Context(), sess.User.ID, c.FormValue("password"), sess.ID); err != nil {
		if !errors.Is(err, auth.ErrWeakPassword) {
			return err
		}
		errs["password"] = t(c, "settings.password.error.weak")
	}
	if len(errs) > 0 {
		return s.accountPage(c, http.StatusUnprocessableEntity, errs)
	}
	return s.redirectWith(c, "/", "ok", t(c, "settings.password.flash.changed"))
}

// languageSet saves the language the user reads the pages in ("" follows the club's default)
// and says so in that language, which this very answer already speaks.
func (s *Server) languageSet(c echo.Context) error {
	lang := c.FormValue("language")
	if lang != "" && !s.i18n.Has(lang) {
		return s.accountPage(c, http.StatusUnprocessableEntity, templates.FieldErrors{"language": t(c, "settings.language.error.unknown")})
	}
	sess := c.Get(sessionKey).(*auth.Session)
	if err := s.auth.SetLanguage(c.Request().Context(), sess.User.ID, lang); err != nil {
		return err
	}
	if lang == "" {
		lang = s.visitorLanguage(c)
	}
	s.speak(c, lang)
	return s.redirectWith(c, "/settings/password", "ok", t(c, "settings.language.flash.changed"))
}

// idParam reads the numeric :id path parameter.
func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "No such record.")
	}
	return id, nil
}

// memberParam loads the member the path's :id names.
func (s *Server) memberParam(c echo.Context) (*members.Member, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	return s.members.Get(c.Request().Context(), id)
}
