package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/activities"
	"membership/members"
	"membership/taskhub"
	"membership/web/templates"
	orchestrators "membership/workflows"
)

// erasureRoutes: members' erasure requests (GDPR Art. 17), asked for in the member portal
// (AskErasure) and decided here by an admin: a list and one page per request.
func (s *Server) erasureRoutes(g routeGroups) {
	g.admin.GET("/erasure-requests", s.erasureList)
	g.admin.GET("/erasure-requests/:id", s.erasureShow)
	g.admin.POST("/erasure-requests/:id/confirm", s.erasureConfirm)
	g.admin.POST("/erasure-requests/:id/reject", s.erasureReject)
}

// AskErasure records that actor (the member, "member:7", or their guardian) asks for member
// memberID's erasure, with the month the GDPR gives as the deadline, and starts its
// ErasureRequest workflow, which tells the admins. A member with an open request gets that one
// back, and no second workflow.
func (s *Server) AskErasure(ctx context.Context, actor string, memberID int64) (*members.ErasureRequest, error) {
	r, created, err := s.members.RequestErasure(ctx, actor, memberID, time.Now().Add(members.ErasureDeadline), orchestrators.ErasureRequestID)
	if err != nil {
		return nil, err
	}
	// Started also when the request existed: a start that failed after the request was
	// stored is made up for; a workflow that runs (or ended overdue) is left alone.
	if err := s.startErasureRun(ctx, r, r.InstanceID, r.Deadline); err != nil {
		return nil, err
	}
	if created {
		s.log.InfoContext(ctx, "erasure request started", slog.Int64("member_id", memberID), slog.Int64("request_id", r.ID))
	}
	return r, nil
}

// startErasureRun starts the request's workflow as instance id, waiting until deadline; one
// there already is kept (a failed or terminated one is replaced).
func (s *Server) startErasureRun(ctx context.Context, r *members.ErasureRequest, id string, deadline time.Time) error {
	_, err := taskhub.StartFixed(ctx, s.hub.Client(), orchestrators.ErasureRequestName, api.InstanceID(id), orchestrators.ErasureRequestInput{
		RequestID: r.ID, MemberID: r.MemberID, Deadline: deadline, Version: orchestrators.ErasureRequestVersion})
	if err != nil {
		return fmt.Errorf("start the workflow of erasure request %d: %w", r.ID, err)
	}
	return nil
}

// EraseMember erases member id as actor (see erase): what a confirmed erasure request runs.
func (s *Server) EraseMember(ctx context.Context, actor string, id int64) error {
	_, err := s.erase(ctx, actor, id)
	return err
}

// decideErasure records an admin's decision on request id and has it carried out. While the
// request's workflow waits, the decision is raised on it (ErasureDecision): it erases, or tells
// the member why not. Once it ended (overdue), a confirmation erases here and now, and a
// rejection starts a late run of the workflow that waits for nothing, finds the decision and
// tells the member. Deciding again as before retries an erasure that failed, and else does
// nothing.
func (s *Server) decideErasure(ctx context.Context, actor string, id int64, confirm bool, reason string) (*members.ErasureRequest, error) {
	before, err := s.members.GetErasureRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := s.members.DecideErasure(ctx, id, actor, confirm, reason)
	if err != nil || r.ErasedAt != nil {
		return r, err
	}
	waiting, err := s.erasureWaiting(ctx, r.InstanceID)
	if err != nil {
		return nil, err
	}
	switch {
	case waiting && before.Status == members.ErasurePending:
		err = s.hub.Client().RaiseEvent(ctx, api.InstanceID(r.InstanceID), orchestrators.ErasureDecisionEvent,
			api.WithEventPayload(orchestrators.ErasureDecision{Confirm: confirm, Actor: actor}))
		if err != nil {
			return nil, fmt.Errorf("raise the decision on erasure request %d: %w", id, err)
		}
		return r, nil
	case r.Status == members.ErasureConfirmed:
		return activities.EraseForRequest(ctx, s.members, s, id)
	case before.Status.Open():
		return r, s.startErasureRun(ctx, r, r.InstanceID+":late", time.Now())
	}
	return r, nil
}

// erasureWaiting reports whether the workflow instance id still runs (and so waits for a
// decision).
func (s *Server) erasureWaiting(ctx context.Context, id string) (bool, error) {
	md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, api.InstanceID(id))
	if errors.Is(err, api.ErrInstanceNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read workflow %s: %w", id, err)
	}
	return md.RuntimeStatus == api.RUNTIME_STATUS_RUNNING || md.RuntimeStatus == api.RUNTIME_STATUS_PENDING, nil
}

func (s *Server) erasureList(c echo.Context) error {
	rows, err := s.members.ErasureRequests(c.Request().Context(), 200)
	if err != nil {
		return err
	}
	title := t(c, "erasure.title")
	return s.page(c, http.StatusOK, title, "erasure", templates.ErasureRequests(s.ctx(c, title, "erasure"), rows, s.cfg.Club.Location()))
}

func (s *Server) erasureShow(c echo.Context) error {
	return s.erasurePage(c, http.StatusOK, templates.ErasureForm{})
}

func (s *Server) erasurePage(c echo.Context, status int, f templates.ErasureForm) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	row, err := s.members.ErasureRequestRow(c.Request().Context(), id)
	if err != nil {
		return err
	}
	title := t(c, "erasure.show.title", "ID", id)
	return s.page(c, status, title, "erasure", templates.ErasureRequestShow(s.ctx(c, title, "erasure"), *row, s.cfg.Club.Location(), f))
}

// erasureConfirm confirms a request once the admin ticked that they mean it: an erasure
// cannot be undone.
func (s *Server) erasureConfirm(c echo.Context) error {
	if c.FormValue("sure") != "yes" {
		return s.erasurePage(c, http.StatusUnprocessableEntity, templates.ErasureForm{Errors: templates.FieldErrors{"sure": t(c, "erasure.confirm.problem")}})
	}
	return s.erasureDecide(c, true, "")
}

func (s *Server) erasureReject(c echo.Context) error {
	return s.erasureDecide(c, false, c.FormValue("reason"))
}

func (s *Server) erasureDecide(c echo.Context, confirm bool, reason string) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	r, err := s.decideErasure(c.Request().Context(), principal(c).Actor(), id, confirm, reason)
	path := "/erasure-requests/" + strconv.FormatInt(id, 10)
	switch {
	case errors.Is(err, members.ErrConflict):
		return s.redirectWith(c, path, "error", t(c, "erasure.flash.decided_already"))
	case err != nil:
		if errs := fieldErrors(loc(c), err); errs != nil {
			return s.erasurePage(c, http.StatusUnprocessableEntity, templates.ErasureForm{Reason: reason, Errors: errs})
		}
		return err
	case !confirm:
		return s.redirectWith(c, path, "ok", t(c, "erasure.flash.rejected"))
	case r.ErasedAt != nil:
		return s.redirectWith(c, path, "ok", t(c, "erasure.flash.erased"))
	}
	return s.redirectWith(c, path, "ok", t(c, "erasure.flash.confirmed"))
}
