package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/web/templates"
	orchestrators "membership/workflows"
)

// gradingRoutes adds the public answer page of exam invitations (no login: the random token
// in the link is the member's proof).
func (s *Server) gradingRoutes(g routeGroups) {
	g.ui.GET("/grading/answer/:token", s.gradingAnswerForm)
	g.ui.POST("/grading/answer/:token", s.gradingAnswer)
}

// gradingAnswerForm shows the invitation with accept and decline buttons; opening it changes
// nothing.
func (s *Server) gradingAnswerForm(c echo.Context) error {
	ctx := c.Request().Context()
	inv, err := s.members.InvitationByToken(ctx, c.Param("token"))
	if errors.Is(err, members.ErrNotFound) {
		return s.gradingResult(c, http.StatusNotFound, "grading.answer.invalid")
	}
	if err != nil {
		return err
	}
	return s.gradingPage(c, http.StatusOK, inv)
}

// gradingAnswer records the answer and tells the exam's invitation round, which recounts.
func (s *Server) gradingAnswer(c echo.Context) error {
	ctx := c.Request().Context()
	accept := c.FormValue("answer") == "accept"
	inv, err := s.members.AnswerInvitation(ctx, c.Param("token"), accept)
	switch {
	case errors.Is(err, members.ErrNotFound):
		return s.gradingResult(c, http.StatusNotFound, "grading.answer.invalid")
	case errors.Is(err, members.ErrConflict):
		return s.gradingResult(c, http.StatusConflict, "grading.answer.closed")
	case err != nil:
		return err
	}
	// The answer is stored; a round that misses the event still counts it at the deadline.
	if err := s.hub.Client().RaiseEvent(ctx, api.InstanceID(orchestrators.GradingInvitationID(inv.ExamID)), orchestrators.GradingAnswerEvent,
		api.WithEventPayload(inv.ID)); err != nil {
		s.log.Warn("tell the invitation round", slog.Int64("exam", inv.ExamID), slog.Any("error", err))
	}
	return s.gradingPage(c, http.StatusOK, inv)
}

func (s *Server) gradingPage(c echo.Context, status int, inv *members.ExamInvitation) error {
	e, err := s.members.GetExam(c.Request().Context(), inv.ExamID)
	if err != nil {
		return err
	}
	v := templates.GradingAnswerView{Exam: e.Name, ExamOn: e.ExamOn.String(), Rank: inv.TargetRank,
		Deadline: e.Deadline.In(s.cfg.Club.Location()).Format("2006-01-02 15:04")}
	switch inv.Status {
	case members.InvitationAccepted, members.InvitationDeclined:
		v.Answered = string(inv.Status)
	case members.InvitationNoAnswer:
		return s.gradingResult(c, http.StatusConflict, "grading.answer.closed")
	}
	title := t(c, "grading.answer.title")
	return s.page(c, status, title, "", templates.GradingAnswer(s.ctx(c, title, ""), v))
}

func (s *Server) gradingResult(c echo.Context, status int, text string) error {
	title := t(c, "grading.answer.title")
	return s.page(c, status, title, "", templates.VerifyEmailResult(s.ctx(c, title, ""), false, title, t(c, text)))
}
