package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/taskhub"
	"membership/web/templates"
)

// monitorPage is how many instances a page of the monitor lists.
const monitorPage = 50

// monitorRoutes: every signed-in user sees the workflows; only admins act on them.
func (w *workflows) monitorRoutes(g routeGroups) {
	g.user.GET("/workflows", w.list)
	g.user.GET("/workflows/:id", w.show)
	g.user.GET("/workflows/:id/live", w.live)
	g.user.GET("/workflows/member/:member", w.forMember)
	for action, fn := range map[string]action{
		"raise-event": w.raiseEvent,
		"terminate":   w.terminate,
		"suspend":     w.suspend,
		"resume":      w.resume,
		"rewind":      w.rewind,
		"restart":     w.restart,
		"purge":       w.purge,
	} {
		g.admin.POST("/workflows/:id/"+action, w.act(fn))
	}
}

// list shows a page of instances under the filters of the query string, which are the
// management API's (runtimeStatus, createdTimeFrom, createdTimeTo, instanceIdPrefix) plus
// name, member (instances whose id names a member) and after (the next page's token).
func (w *workflows) list(c echo.Context) error {
	q, err := instanceQuery(c)
	if err != nil {
		return err
	}
	q.Name, q.After, q.Top = c.QueryParam("name"), c.QueryParam("after"), monitorPage
	if m := c.QueryParam("member"); m != "" {
		id, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, t(c, "monitor.error.member_id", "Value", strconv.Quote(m)))
		}
		q.IDPart = memberIDPart(id)
	}
	page, err := w.x.List(c.Request().Context(), q)
	if err != nil {
		return durableError(err)
	}
	v := templates.WorkflowsView{
		Filter: templates.WorkflowFilter{
			Status: c.QueryParam("runtimeStatus"), Name: q.Name, Prefix: q.IDPrefix, Member: c.QueryParam("member"),
			From: c.QueryParam("createdTimeFrom"), To: c.QueryParam("createdTimeTo"),
		},
		Statuses: taskhub.StatusNames(),
		Names:    w.orchestrators,
		Rows:     workflowRows(page.Instances, time.Now(), w.cfg.Club.Location()),
	}
	if page.Next != "" {
		v.NextURL = withQuery(c.Request().URL, "after", page.Next)
	}
	if q.After != "" {
		v.FirstURL = withQuery(c.Request().URL, "after", "")
	}
	title := t(c, "monitor.title")
	return w.page(c, http.StatusOK, title, "workflows", templates.Workflows(w.ctx(c, title, "workflows"), v))
}

// withQuery is u's path and query with one parameter set ("" removes it).
func withQuery(u *url.URL, key, value string) string {
	q := u.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

// show is one instance: what it was given, what it did (a timeline and its history), how it
// ended, and, for admins, what can be done to it.
func (w *workflows) show(c echo.Context) error {
	v, err := w.view(c)
	if err != nil {
		return err
	}
	title := t(c, "monitor.instance.title", "ID", v.ID)
	return w.page(c, http.StatusOK, title, "workflows", templates.Workflow(w.ctx(c, title, "workflows"), v))
}

// live is the part of show that changes while an instance runs, for htmx to poll.
func (w *workflows) live(c echo.Context) error {
	v, err := w.view(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.WorkflowLive(v))
}

func (w *workflows) view(c echo.Context) (templates.WorkflowView, error) {
	id, err := instanceParam(c)
	if err != nil {
		return templates.WorkflowView{}, err
	}
	ctx := c.Request().Context()
	inst, err := w.x.Get(ctx, id)
	if errors.Is(err, api.ErrInstanceNotFound) {
		return templates.WorkflowView{}, echo.NewHTTPError(http.StatusNotFound, t(c, "monitor.refused.not_found"))
	}
	if err != nil {
		return templates.WorkflowView{}, durableError(err)
	}
	events, err := w.x.History(ctx, id)
	if err != nil {
		return templates.WorkflowView{}, durableError(err)
	}
	return workflowView(ctx, inst, events, time.Now(), w.cfg.Club.Location()), nil
}

// action is one thing an admin does to an instance from the monitor. It answers where to go
// next ("" for the instance's page) and what to tell.
type action func(c echo.Context, id api.InstanceID) (to, msg string, err error)

// act runs an action and goes on with its message. A state that forbids the action, or an
// unknown instance, is told on the instance's page rather than on an error page.
func (w *workflows) act(fn action) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := instanceParam(c)
		if err != nil {
			return err
		}
		to, msg, err := fn(c, id)
		if why, ok := w.refusal(c, id, err); ok {
			return w.redirectWith(c, workflowPath(id), "error", why)
		}
		if err != nil {
			return durableError(err)
		}
		if to == "" {
			to = workflowPath(id)
		}
		return w.redirectWith(c, to, "ok", msg)
	}
}

// refusal says in the reader's language why the task hub refused an action: the management
// API's 4xx errors (durableError), and the actions' own, already in the reader's language.
func (w *workflows) refusal(c echo.Context, id api.InstanceID, err error) (string, bool) {
	var he *echo.HTTPError
	switch {
	case err == nil:
		return "", false
	case errors.Is(err, api.ErrInstanceNotFound):
		return t(c, "monitor.refused.not_found"), true
	case errors.Is(err, taskhub.ErrWrongState):
		inst, gerr := w.x.Get(c.Request().Context(), id)
		if gerr != nil {
			return t(c, "monitor.refused.state_unknown"), true
		}
		return t(c, "monitor.refused.state", "Status", templates.RuntimeStatus(c.Request().Context(), taskhub.StatusName(inst.Status))), true
	case errors.Is(err, api.ErrNotCompleted):
		return t(c, "monitor.refused.not_finished"), true
	case errors.Is(err, api.ErrDuplicateInstance):
		return t(c, "monitor.refused.duplicate"), true
	case errors.As(durableError(err), &he) && he.Code < 500:
		return fmt.Sprint(he.Message), true
	}
	return "", false
}

// workflowPath is the monitor page of an instance.
func workflowPath(id api.InstanceID) string { return "/workflows/" + url.PathEscape(string(id)) }

func (w *workflows) raiseEvent(c echo.Context, id api.InstanceID) (string, string, error) {
	name, payload := strings.TrimSpace(c.FormValue("event")), strings.TrimSpace(c.FormValue("payload"))
	if name == "" {
		return "", "", echo.NewHTTPError(http.StatusBadRequest, t(c, "monitor.flash.event_missing"))
	}
	if payload != "" && !json.Valid([]byte(payload)) {
		return "", "", echo.NewHTTPError(http.StatusBadRequest, t(c, "monitor.flash.payload_invalid"))
	}
	return "", t(c, "monitor.flash.event_sent", "Name", name), w.x.RaiseEvent(c.Request().Context(), id, name, payload)
}

// The reasons given to the task hub with suspend, resume and rewind stay in English: the
// history keeps them for whoever reads it later, like a log.

func (w *workflows) terminate(c echo.Context, id api.InstanceID) (string, string, error) {
	return "", t(c, "monitor.flash.terminated"), w.x.Terminate(c.Request().Context(), id, c.FormValue("reason"))
}

func (w *workflows) suspend(c echo.Context, id api.InstanceID) (string, string, error) {
	return "", t(c, "monitor.flash.suspended"), w.x.Suspend(c.Request().Context(), id, "suspended in the monitor by "+principal(c).Name)
}

func (w *workflows) resume(c echo.Context, id api.InstanceID) (string, string, error) {
	return "", t(c, "monitor.flash.resumed"), w.x.Resume(c.Request().Context(), id, "resumed in the monitor by "+principal(c).Name)
}

func (w *workflows) rewind(c echo.Context, id api.InstanceID) (string, string, error) {
	return "", t(c, "monitor.flash.rewound"), w.x.Rewind(c.Request().Context(), id, "rewound in the monitor by "+principal(c).Name)
}

// restart goes on to the new instance's page (the same page when the id is kept).
func (w *workflows) restart(c echo.Context, id api.InstanceID) (string, string, error) {
	started, err := w.x.Restart(c.Request().Context(), id, c.QueryParam("new_id") != "false")
	return workflowPath(started), t(c, "monitor.flash.restarted"), err
}

func (w *workflows) purge(c echo.Context, id api.InstanceID) (string, string, error) {
	n, err := w.x.Purge(c.Request().Context(), id)
	return "/workflows", loc(c).N("monitor.flash.purged", n), err
}

// memberIDPart is what an instance id holds when it is about a member, by the convention of
// the app's ids ("phone-verification:member:7:…").
func memberIDPart(memberID int64) string { return "member:" + strconv.FormatInt(memberID, 10) }

// memberWorkflowsShown is how many of a member's workflows the member's page shows.
const memberWorkflowsShown = 10

// forMember is the fragment of a member's page that shows the member's newest workflows: a
// member page includes it (server-side with memberWorkflows, or with htmx from this URL), and
// while one of them runs it polls itself.
func (w *workflows) forMember(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("member"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, t(c, "monitor.error.no_member"))
	}
	v, err := w.memberWorkflows(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.MemberWorkflows(v))
}

// memberWorkflows gathers a member's newest workflows: those whose id names the member.
func (s *Server) memberWorkflows(ctx context.Context, memberID int64) (templates.MemberWorkflowsView, error) {
	m := strconv.FormatInt(memberID, 10)
	v := templates.MemberWorkflowsView{All: "/workflows?member=" + m, Self: "/workflows/member/" + m}
	if s.hub == nil {
		return v, nil
	}
	x, err := s.hub.Instances()
	if err != nil {
		return v, fmt.Errorf("workflows of member %d: %w", memberID, err)
	}
	page, err := x.List(ctx, taskhub.Query{IDPart: memberIDPart(memberID), Top: memberWorkflowsShown})
	if err != nil {
		return v, fmt.Errorf("workflows of member %d: %w", memberID, err)
	}
	v.Rows = workflowRows(page.Instances, time.Now(), s.cfg.Club.Location())
	for _, inst := range page.Instances {
		v.Live = v.Live || !inst.Finished()
	}
	return v, nil
}
