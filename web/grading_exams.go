package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/members/sepa"
	"membership/web/templates"
	orchestrators "membership/workflows"
)

// examRoutes: the grading exams — planning one starts its invitation round (GradingInvitation),
// its page shows the answers live and takes the results. Admins plan and enter results;
// everybody signed in looks.
func (s *Server) examRoutes(g routeGroups) {
	g.user.GET("/gradings/exams", s.examsList)
	g.admin.POST("/gradings/exams", s.examCreate)
	g.user.GET("/gradings/exams/:id", s.examShow)
	g.user.GET("/gradings/exams/:id/progress", s.examProgress)
	g.admin.POST("/gradings/exams/:id/results", s.examResult)
	g.admin.POST("/gradings/exams/:id/start", s.examStart)
}

func (s *Server) examsList(c echo.Context) error {
	return s.examsPage(c, http.StatusOK, templates.ExamsView{Form: templates.ExamForm{Currency: "EUR"}})
}

func (s *Server) examsPage(c echo.Context, status int, v templates.ExamsView) error {
	exams, err := s.members.Exams(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	v.Exams = exams
	title := t(c, "exams.title")
	return s.page(c, status, title, "attendance", templates.Exams(s.ctx(c, title, "attendance"), v))
}

// examCreate plans an exam from the form and starts its invitation round.
func (s *Server) examCreate(c echo.Context) error {
	f := templates.ExamForm{Name: c.FormValue("name"), ExamOn: c.FormValue("exam_on"), Deadline: c.FormValue("deadline"),
		Fee: c.FormValue("fee"), Currency: cmp.Or(strings.TrimSpace(c.FormValue("currency")), "EUR")}
	errs := templates.FieldErrors{}
	in := members.ExamInput{Name: f.Name, Currency: f.Currency}
	var err error
	if in.ExamOn, err = members.ParseDate(f.ExamOn); err != nil {
		errs["exam_on"] = t(c, "exams.error.date")
	}
	if in.Deadline, err = time.ParseInLocation("2006-01-02T15:04", f.Deadline, s.cfg.Club.Location()); err != nil {
		errs["deadline"] = t(c, "exams.error.deadline")
	}
	// An exam may be free; a fee is written as people and banks write amounts ("15", "15,00").
	if strings.TrimSpace(f.Fee) != "" {
		if in.FeeAmount, err = sepa.ParseAmount(f.Fee); err != nil {
			errs["fee"] = t(c, "exams.error.fee")
		}
	}
	if len(errs) == 0 {
		var e *members.Exam
		e, err = s.startExam(c.Request().Context(), principal(c).Actor(), in)
		if err == nil {
			return s.redirectWith(c, examPath(e.ID), "ok", t(c, "exams.flash.planned", "Name", e.Name))
		}
		if errs = fieldErrors(loc(c), err); errs == nil {
			return err
		}
	}
	return s.examsPage(c, http.StatusUnprocessableEntity, templates.ExamsView{Form: f, Errors: errs})
}

// startExam plans an exam and starts its round; when the task hub refuses, the error says so
// and the exam stays planned, to be started from its page.
func (s *Server) startExam(ctx context.Context, actor string, in members.ExamInput) (*members.Exam, error) {
	e, err := s.members.CreateExam(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	return e, s.startRound(ctx, e)
}

// examStart starts the invitation round of a planned exam that has none (one planned while
// the task hub refused, or the demo seed's).
func (s *Server) examStart(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	e, err := s.members.GetExam(ctx, id)
	if err != nil {
		return err
	}
	if e.Status != members.ExamPlanned || e.InstanceID != "" {
		return s.redirectWith(c, examPath(id), "error", t(c, "exams.flash.started_already"))
	}
	if err := s.startRound(ctx, e); err != nil {
		return err
	}
	return s.redirectWith(c, examPath(id), "ok", t(c, "exams.flash.planned", "Name", e.Name))
}

// startRound starts an exam's GradingInvitation and records its instance on the exam.
func (s *Server) startRound(ctx context.Context, e *members.Exam) error {
	id := orchestrators.GradingInvitationID(e.ID)
	_, err := s.hub.Client().ScheduleNewOrchestration(ctx, orchestrators.GradingInvitationName, api.WithInstanceID(api.InstanceID(id)),
		api.WithInput(orchestrators.GradingInvitationInput{ExamID: e.ID, Version: orchestrators.GradingInvitationVersion}))
	if err != nil && !errors.Is(err, api.ErrDuplicateInstance) {
		return fmt.Errorf("start the invitations of exam %d: %w", e.ID, err)
	}
	if err := s.members.SetExamInstance(ctx, e.ID, id); err != nil {
		return err
	}
	e.InstanceID = id
	return nil
}

func (s *Server) examView(c echo.Context) (*templates.ExamView, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	e, err := s.members.GetExam(ctx, id)
	if err != nil {
		return nil, err
	}
	counts, err := s.members.InvitationCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.members.ExamRows(ctx, id)
	if err != nil {
		return nil, err
	}
	return &templates.ExamView{Exam: *e, Deadline: e.Deadline.In(s.cfg.Club.Location()), Counts: counts, Rows: rows}, nil
}

func (s *Server) examShow(c echo.Context) error {
	v, err := s.examView(c)
	if err != nil {
		return err
	}
	return s.page(c, http.StatusOK, v.Exam.Name, "attendance", templates.ExamShow(s.ctx(c, v.Exam.Name, "attendance"), *v))
}

// examProgress is the exam page's live part: the answers so far.
func (s *Server) examProgress(c echo.Context) error {
	v, err := s.examView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.ExamProgress(*v))
}

// examResult records one member's result: passed (the new rank with the exam's date) or failed.
func (s *Server) examResult(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	memberID, err := strconv.ParseInt(c.FormValue("member_id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "attendance.error.member"))
	}
	_, err = s.members.RecordResult(c.Request().Context(), principal(c).Actor(), id, memberID, c.FormValue("result") == members.ResultPassed)
	var invalid *members.ValidationError
	switch {
	case errors.Is(err, members.ErrConflict):
		return s.redirectWith(c, examPath(id), "error", t(c, "exams.flash.result_refused"))
	case errors.As(err, &invalid):
		// The grading's day is the exam's: before it, there is no result to enter.
		return s.redirectWith(c, examPath(id), "error", t(c, "exams.flash.result_too_early"))
	case err != nil:
		return err
	}
	return s.redirectWith(c, examPath(id), "ok", t(c, "exams.flash.result_saved"))
}

func examPath(id int64) string { return "/gradings/exams/" + strconv.FormatInt(id, 10) }
