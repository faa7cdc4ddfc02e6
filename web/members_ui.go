package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// memberUIRoutes: the member pages. Trainers look; admins change.
func (s *Server) memberUIRoutes(g routeGroups) {
	g.user.GET("/members", s.membersList)
	g.admin.GET("/members/new", s.memberNew)
	g.admin.POST("/members", s.memberCreate)
	g.admin.POST("/members/bulk", s.membersBulk)
	g.user.GET("/members/:id", s.memberShow)
	g.admin.GET("/members/:id/edit", s.memberEdit)
	g.admin.POST("/members/:id", s.memberUpdate)
	g.admin.POST("/members/:id/archive", s.memberArchive)
	g.admin.POST("/members/:id/restore", s.memberRestore)
	g.admin.POST("/members/:id/gradings", s.memberGrading)
	g.admin.POST("/members/:id/fees/:fee/paid", s.memberFeePaid)
	g.admin.GET("/audit", s.auditLog)
}

func (s *Server) membersList(c echo.Context) error {
	params := c.QueryParams()
	q, err := listQuery(loc(c), params)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	items, total, err := s.members.List(ctx, q)
	if err != nil {
		return err
	}
	plans, err := s.members.ListPlans(ctx)
	if err != nil {
		return err
	}
	f := templates.MemberFilters{Q: q.Q, Status: q.Status, Plan: q.Plan, Rank: q.Rank, Sort: q.Sort,
		FeeOverdue: params.Get("fee_overdue"), Verified: params.Get("verified"), EndsWithinDays: params.Get("ends_within_days")}
	filters := url.Values{}
	for k, vs := range params {
		if k != "page" && len(vs) > 0 && vs[0] != "" {
			filters[k] = vs
		}
	}
	v := templates.MembersListView{Items: items, Total: total, Page: q.Page, PerPage: q.PerPage, Filters: f, Plans: plans,
		PageBase: "/members?" + filters.Encode(), Query: filters.Encode()}
	title := t(c, "members.list.title")
	return s.page(c, http.StatusOK, title, "members", templates.MembersList(s.ctx(c, title, "members"), v))
}

func (s *Server) memberShow(c echo.Context) error {
	return s.memberPage(c, http.StatusOK, nil)
}

// memberPage renders the member page; form is the mandate form as typed with its errors, nil
// for the page as stored.
func (s *Server) memberPage(c echo.Context, status int, form *templates.MandateForm) error {
	m, err := s.memberParam(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), m.ID
	fees, err := s.members.Fees(ctx, id)
	if err != nil {
		return err
	}
	gradings, err := s.members.Gradings(ctx, id)
	if err != nil {
		return err
	}
	timeline, err := s.timeline(c, id, 100)
	if err != nil {
		return err
	}
	flows, err := s.memberWorkflows(ctx, id)
	if err != nil {
		return err
	}
	tc := s.ctx(c, m.FullName(), "members")
	v := templates.MemberView{Member: *m, Fees: fees, Gradings: gradings, Timeline: timeline, Today: s.today().String(),
		Zone: s.cfg.Club.Location(), Workflows: templates.MemberWorkflows(flows)}
	if m.Language != "" {
		v.Language = s.i18n.Name(m.Language)
	}
	today := time.Now().In(s.cfg.Club.Location())
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -11, 0)
	byMonth, total, err := s.members.AttendanceByMonth(ctx, m.ID, members.DateOf(first))
	if err != nil {
		return err
	}
	v.Attendance = templates.MemberAttendance(templates.MemberAttendanceView{Total: total, Months: templates.AttendanceMonths(today, byMonth)})
	if s.verifications != nil {
		verification, err := s.verificationView(ctx, m)
		if err != nil {
			return err
		}
		v.Verification = templates.VerificationStatus(tc, verification)
	}
	if tc.IsAdmin() {
		mandate, err := s.mandateView(ctx, m, form)
		if err != nil {
			return err
		}
		v.Mandate = templates.MandateSection(tc, mandate)
		sessions, err := s.members.PortalSessions(ctx, m.ID)
		if err != nil {
			return err
		}
		v.Portal = templates.MemberPortal(tc, m.ID, len(sessions))
	}
	return s.page(c, status, m.FullName(), "members", templates.MemberShow(tc, v))
}

func (s *Server) memberNew(c echo.Context) error {
	return s.renderMemberForm(c, http.StatusOK, templates.MemberFormView{Values: map[string]string{"status": string(members.StatusActive)}})
}

func (s *Server) memberCreate(c echo.Context) error {
	values := formValues(c)
	in, errs := memberInputFromForm(loc(c), values)
	if len(errs) == 0 {
		m, err := s.members.Create(c.Request().Context(), principal(c).Actor(), in)
		if err == nil {
			return s.redirectWith(c, "/members/"+strconv.FormatInt(m.ID, 10), "ok", t(c, "members.flash.added", "Name", m.FullName()))
		}
		if status, why := s.notSaved(c, err); status != 0 {
			return s.renderMemberForm(c, status, templates.MemberFormView{Values: values, Conflict: why})
		}
		if errs = fieldErrors(loc(c), err); errs == nil {
			return err
		}
	}
	return s.renderMemberForm(c, http.StatusUnprocessableEntity, templates.MemberFormView{Values: values, Errors: errs})
}

func (s *Server) memberEdit(c echo.Context) error {
	m, err := s.memberParam(c)
	if err != nil {
		return err
	}
	return s.renderMemberForm(c, http.StatusOK, templates.MemberFormView{ID: m.ID, Version: m.Version, Values: memberFormValues(m)})
}

// memberUpdate saves the edit form. The form carries the version it was loaded at: if someone
// saved in between, nothing is written and the form comes back with the person's input kept.
func (s *Server) memberUpdate(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	values := formValues(c)
	version, _ := strconv.Atoi(c.FormValue("version"))
	v := templates.MemberFormView{ID: id, Version: version, Values: values}
	in, errs := memberInputFromForm(loc(c), values)
	if len(errs) > 0 {
		v.Errors = errs
		return s.renderMemberForm(c, http.StatusUnprocessableEntity, v)
	}
	m, err := s.members.Update(c.Request().Context(), principal(c).Actor(), id, patchOf(in), &version)
	switch {
	case err == nil:
		return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "ok", t(c, "members.flash.saved", "Name", m.FullName()))
	case errors.Is(err, members.ErrConflict):
		current, gerr := s.members.Get(c.Request().Context(), id)
		if gerr != nil {
			return gerr
		}
		v.Version = current.Version
		v.Conflict = t(c, "members.form.conflict")
		return s.renderMemberForm(c, http.StatusConflict, v)
	}
	if status, why := s.notSaved(c, err); status != 0 {
		v.Conflict = why
		return s.renderMemberForm(c, status, v)
	}
	if v.Errors = fieldErrors(loc(c), err); v.Errors == nil {
		return err
	}
	return s.renderMemberForm(c, http.StatusUnprocessableEntity, v)
}

func (s *Server) renderMemberForm(c echo.Context, status int, v templates.MemberFormView) error {
	plans, err := s.members.ListPlans(c.Request().Context())
	if err != nil {
		return err
	}
	v.Plans = plans
	for _, l := range s.i18n.Languages() {
		v.Languages = append(v.Languages, templates.LanguageChoice{Lang: l, Name: s.i18n.Name(l)})
	}
	v.DefaultLanguage = s.i18n.Name(s.i18n.Localizer(s.cfg.Club.Language).Lang())
	title := t(c, "members.form.title_new")
	if v.ID != 0 {
		title = t(c, "members.form.title_edit", "Name", v.Values["first_name"]+" "+v.Values["last_name"])
	}
	return s.page(c, status, title, "members", templates.MemberForm(s.ctx(c, title, "members"), v))
}
