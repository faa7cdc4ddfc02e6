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
	tc := s.ctx(c, "Users", "users")
	return s.page(c, status, "Users", "users", templates.Users(tc, rows, form, newPassword))
}

func (s *Server) userAdd(c echo.Context) error {
	form := templates.UserForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role"), Errors: templates.FieldErrors{}}
	if !auth.ValidRole(form.Role) {
		form.Errors["role"] = "Choose admin or trainer."
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, "")
	}
	password, err := auth.RandomSecret(12)
	if err != nil {
		return err
	}
	if _, err := s.auth.AddUser(c.Request().Context(), form.Email, form.Name, form.Role, password); err != nil {
		if errors.Is(err, auth.ErrEmailTaken) {
			form.Errors["email"] = "Another user already has this e-mail."
		} else {
			form.Errors["email"] = "Enter a valid e-mail address."
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
			return s.redirectWith(c, "/settings/users", "error", "The last active admin cannot be disabled.")
		}
		return err
	}
	word := "enabled"
	if disabled {
		word = "disabled"
	}
	return s.redirectWith(c, "/settings/users", "ok", "User "+word+".")
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
	return s.page(c, http.StatusOK, "Password", "", templates.PasswordForm(s.ctx(c, "Password", ""), nil))
}

func (s *Server) passwordChange(c echo.Context) error {
	sess := c.Get(sessionKey).(*auth.Session)
	errs := templates.FieldErrors{}
	if !auth.CheckPassword(sess.User.PasswordHash, c.FormValue("current")) {
		errs["current"] = "This is not your current password."
	} else if err := s.auth.SetPassword(c.Request().Context(), sess.User.ID, c.FormValue("password"), sess.ID); err != nil {
		if !errors.Is(err, auth.ErrWeakPassword) {
			return err
		}
		errs["password"] = "Use at least 10 characters."
	}
	if len(errs) > 0 {
		return s.page(c, http.StatusUnprocessableEntity, "Password", "", templates.PasswordForm(s.ctx(c, "Password", ""), errs))
	}
	return s.redirectWith(c, "/", "ok", "Your password is changed; your other sessions have ended.")
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
