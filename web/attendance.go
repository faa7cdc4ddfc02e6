package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// attendanceRoutes: the trainers' check-in. Recording attendance is the one change a trainer
// may make, so the check-in routes are the signed-in users', not only the admins'; creating a
// group is an admin's.
func (s *Server) attendanceRoutes(g routeGroups) {
	g.user.GET("/attendance", s.attendanceGroups)
	g.admin.POST("/attendance/groups", s.attendanceGroupCreate)
	g.user.GET("/attendance/:id", s.attendanceCheckIn)
	g.user.POST("/attendance/:id/taps", s.attendanceTap)
	g.user.GET("/gradings/eligible", s.gradingEligible)
	g.admin.POST("/gradings/rules", s.gradingRuleSave)
	s.examRoutes(g)
}

func (s *Server) attendanceGroups(c echo.Context) error {
	return s.attendanceGroupsPage(c, http.StatusOK, templates.AttendanceGroupsView{})
}

func (s *Server) attendanceGroupsPage(c echo.Context, status int, v templates.AttendanceGroupsView) error {
	groups, err := s.members.Groups(c.Request().Context())
	if err != nil {
		return err
	}
	v.Groups = groups
	title := t(c, "attendance.title")
	return s.page(c, status, title, "attendance", templates.AttendanceGroups(s.ctx(c, title, "attendance"), v))
}

func (s *Server) attendanceGroupCreate(c echo.Context) error {
	name, schedule := strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("schedule"))
	g, err := s.members.CreateGroup(c.Request().Context(), name, schedule)
	if errs := fieldErrors(loc(c), err); errs != nil {
		return s.attendanceGroupsPage(c, http.StatusUnprocessableEntity, templates.AttendanceGroupsView{Name: name, Schedule: schedule, Errors: errs})
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/attendance/"+strconv.FormatInt(g.ID, 10), "ok", t(c, "attendance.flash.group_created", "Name", g.Name))
}

// attendanceCheckIn is the check-in page of a group for today, made for a phone: the group's
// members as tap targets, the club's other active members found by the search.
func (s *Server) attendanceCheckIn(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, err := s.members.Group(ctx, id)
	if err != nil {
		return err
	}
	in, err := s.members.GroupMembers(ctx, id)
	if err != nil {
		return err
	}
	all, _, err := s.members.List(ctx, members.ListQuery{Filter: members.Filter{Status: string(members.StatusActive)}, PerPage: 500, Sort: "last_name"})
	if err != nil {
		return err
	}
	today := members.DateOf(time.Now().In(s.cfg.Club.Location()))
	attended, err := s.members.AttendedOn(ctx, id, today)
	if err != nil {
		return err
	}
	v := templates.CheckInView{Group: *g, Day: today.String(), DayText: loc(c).Date(today.Time(time.UTC)), Attended: attended}
	inGroup := map[int64]bool{}
	for _, m := range in {
		inGroup[m.ID] = true
		v.Members = append(v.Members, m)
	}
	for _, m := range all {
		if !inGroup[m.ID] {
			v.Others = append(v.Others, m)
		}
	}
	return s.page(c, http.StatusOK, g.Name, "attendance", templates.CheckIn(s.ctx(c, g.Name, "attendance"), v))
}

// tapAnswer is what a tap answers the check-in page.
type tapAnswer struct {
	MemberID int64 `json:"member_id"`
	Created  bool  `json:"created"`
}

// attendanceTap records one tap: the member trained in the group on the day the page showed.
// The page sends each tap with a key of its own and resends it until it gets an answer, so a
// tap that reaches the server twice (a lost answer, a double tap) is one attendance. A member
// found by the search joins the group.
func (s *Server) attendanceTap(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	memberID, err := strconv.ParseInt(c.FormValue("member_id"), 10, 64)
	if err != nil || memberID <= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "attendance.error.member"))
	}
	day, err := members.ParseDate(c.FormValue("day"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, t(c, "attendance.error.day"))
	}
	_, created, err := s.members.CheckIn(c.Request().Context(), principal(c).Actor(), id, memberID, day, c.FormValue("client_key"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tapAnswer{MemberID: memberID, Created: created})
}
