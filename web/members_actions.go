package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

func (s *Server) memberArchive(c echo.Context) error {
	return s.memberStatusChange(c, s.members.Archive, "members.flash.archived")
}

func (s *Server) memberRestore(c echo.Context) error {
	return s.memberStatusChange(c, s.members.Restore, "members.flash.restored")
}

// memberStatusChange archives or restores a member; done is the flash's message key.
func (s *Server) memberStatusChange(c echo.Context, change func(context.Context, string, int64) (*members.Member, error), done string) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	m, err := change(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "ok", t(c, done, "Name", m.FullName()))
}

// membersBulk archives or restores the members ticked in the list.
func (s *Server) membersBulk(c echo.Context) error {
	q, err := listQuery(loc(c), formParams(c))
	if err != nil {
		return err
	}
	if len(q.IDs) == 0 {
		return s.redirectWith(c, "/members", "error", t(c, "members.flash.select_first"))
	}
	ctx, actor := c.Request().Context(), principal(c).Actor()
	var n int
	var done string
	switch c.FormValue("action") {
	case "archive":
		n, err = s.members.ArchiveMany(ctx, actor, q.IDs)
		done = "members.flash.archived_many"
	case "restore":
		n, err = s.members.RestoreMany(ctx, actor, q.IDs)
		done = "members.flash.restored_many"
	default:
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "members.flash.bulk_action"))
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/members", "ok", loc(c).N(done, n))
}

func (s *Server) memberGrading(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	on, err := members.ParseDate(c.FormValue("graded_on"))
	if err != nil {
		return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "error", t(c, "members.flash.grading_date"))
	}
	if _, err := s.members.AddGrading(c.Request().Context(), principal(c).Actor(), id, c.FormValue("rank"), on, c.FormValue("notes")); err != nil {
		if errs := fieldErrors(loc(c), err); errs != nil {
			return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "error", firstMessage(errs))
		}
		return err
	}
	return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "ok", t(c, "members.flash.grading_recorded"))
}

// memberFeePaid marks a fee paid from the member page and tells the fee's reminder workflow.
func (s *Server) memberFeePaid(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	feeID, err := strconv.ParseInt(c.Param("fee"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, t(c, "members.flash.no_such_fee"))
	}
	back := "/members/" + strconv.FormatInt(id, 10)
	paidOn, err := members.ParseDate(c.FormValue("paid_on"))
	if err != nil {
		return s.redirectWith(c, back, "error", t(c, "members.flash.payment_date"))
	}
	if err := s.markFeePaid(c.Request().Context(), principal(c).Actor(), feeID, paidOn, c.FormValue("method")); err != nil {
		if errs := fieldErrors(loc(c), err); errs != nil {
			return s.redirectWith(c, back, "error", firstMessage(errs))
		}
		return err
	}
	return s.redirectWith(c, back, "ok", t(c, "members.flash.fee_paid"))
}

func (s *Server) auditLog(c echo.Context) error {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 {
		page = 1
	}
	q := members.AuditQuery{Page: page, PerPage: 100}
	entries, total, err := s.members.AuditLog(c.Request().Context(), q)
	if err != nil {
		return err
	}
	v := templates.AuditView{Entries: entries, Total: total, Page: page, PerPage: q.PerPage, PageBase: "/audit", Zone: s.cfg.Club.Location()}
	return s.page(c, http.StatusOK, t(c, "audit.title"), "audit", templates.Audit(v))
}

func firstMessage(errs templates.FieldErrors) string {
	for _, m := range errs {
		return m
	}
	return ""
}
