package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/taskhub"
)

// workflows holds what the durable management API and the workflow monitor share: the
// server, and one reader of the task hub's instances.
type workflows struct {
	*Server
	x *taskhub.Instances
}

// workflowRoutes mounts the durable management API (Azure Durable Functions' HTTP API, on
// s.e) and the workflow monitor (the browser pages under /workflows).
func (s *Server) workflowRoutes(g routeGroups) {
	if s.hub == nil {
		return
	}
	x, err := s.hub.Instances()
	if err != nil {
		// The pages and the API answer 404 rather than the server failing to start.
		s.log.Error("workflow monitor and management API are off", slog.Any("error", err))
		return
	}
	w := &workflows{Server: s, x: x}

	api := s.e.Group(durablePath, s.requireToken)
	api.GET("/instances", w.apiList)
	api.GET("/instances/:id", w.apiStatus)
	admin := api.Group("", s.requireAdminToken)
	admin.POST("/orchestrators/:name", w.apiStart)
	admin.POST("/orchestrators/:name/:id", w.apiStart)
	admin.POST("/instances/:id/raiseEvent/:event", w.apiRaiseEvent)
	admin.POST("/instances/:id/terminate", w.apiControl(w.x.Terminate))
	admin.POST("/instances/:id/suspend", w.apiControl(w.x.Suspend))
	admin.POST("/instances/:id/resume", w.apiControl(w.x.Resume))
	admin.POST("/instances/:id/rewind", w.apiControl(w.x.Rewind))
	admin.POST("/instances/:id/restart", w.apiRestart)
	admin.DELETE("/instances/:id", w.apiPurge)
	admin.DELETE("/instances", w.apiPurgeWhere)

	w.monitorRoutes(g)
}

// apiList answers a page of statuses; the next page is asked for with the
// x-ms-continuation-token header this one carries.
func (w *workflows) apiList(c echo.Context) error {
	q, err := instanceQuery(c)
	if err != nil {
		return err
	}
	if q.WithInput, err = boolParam(c, "showInput", true); err != nil {
		return err
	}
	if q.Top, err = topParam(c); err != nil {
		return err
	}
	q.After = c.Request().Header.Get(continuationHeader)
	page, err := w.x.List(c.Request().Context(), q)
	if err != nil {
		return durableError(err)
	}
	out := make([]instanceStatus, len(page.Instances))
	for i, inst := range page.Instances {
		out[i] = toStatus(inst, q.WithInput)
	}
	if page.Next != "" {
		c.Response().Header().Set(continuationHeader, page.Next)
	}
	return c.JSON(http.StatusOK, out)
}

// continuationHeader carries the position of the next page, as in Durable Functions.
const continuationHeader = "x-ms-continuation-token"

// apiStatus answers one status: 200 when completed, 202 (with Location) while it may still
// change, 400 when it failed or was terminated, each with the status in the body.
func (w *workflows) apiStatus(c echo.Context) error {
	id, err := instanceParam(c)
	if err != nil {
		return err
	}
	showHistory, err := boolParam(c, "showHistory", false)
	if err != nil {
		return err
	}
	showOutput, err := boolParam(c, "showHistoryOutput", false)
	if err != nil {
		return err
	}
	showInput, err := boolParam(c, "showInput", true)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	inst, err := w.x.Get(ctx, id)
	if err != nil {
		return durableError(err)
	}
	st := toStatus(inst, showInput)
	if showHistory {
		events, err := w.x.History(ctx, id)
		if err != nil {
			return durableError(err)
		}
		st.HistoryEvents = historyJSON(events, showOutput)
	}
	code := http.StatusOK
	switch inst.Status {
	case api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_TERMINATED, api.RUNTIME_STATUS_CANCELED:
		code = http.StatusBadRequest
	case api.RUNTIME_STATUS_COMPLETED:
	default:
		c.Response().Header().Set(echo.HeaderLocation, w.instanceURL(id))
		c.Response().Header().Set("Retry-After", "5")
		code = http.StatusAccepted
	}
	return c.JSON(code, st)
}

// apiStart starts a registered orchestrator with the body as its input.
func (w *workflows) apiStart(c echo.Context) error {
	name := c.Param("name")
	if !slices.Contains(w.orchestrators, name) {
		return echo.NewHTTPError(http.StatusNotFound, "No orchestrator named "+strconv.Quote(name)+" is registered.")
	}
	input, err := jsonBody(c)
	if err != nil {
		return err
	}
	var opts []api.NewOrchestrationOptions
	if c.Param("id") != "" {
		id, err := instanceParam(c)
		if err != nil {
			return err
		}
		opts = append(opts, api.WithInstanceID(id))
	}
	if input != "" {
		opts = append(opts, api.WithRawInput(input))
	}
	id, err := w.hub.Client().ScheduleNewOrchestration(c.Request().Context(), name, opts...)
	if err != nil {
		return durableError(err)
	}
	return w.accepted(c, id, nil)
}

func (w *workflows) apiRaiseEvent(c echo.Context) error {
	id, err := instanceParam(c)
	if err != nil {
		return err
	}
	payload, err := jsonBody(c)
	if err != nil {
		return err
	}
	if err := w.x.RaiseEvent(c.Request().Context(), id, c.Param("event"), payload); err != nil {
		return durableError(err)
	}
	return c.NoContent(http.StatusAccepted)
}

// apiControl answers an operation on an instance that takes the reason query parameter
// (terminate, suspend, resume, rewind): 202, or 404 or 410.
func (w *workflows) apiControl(op func(ctx context.Context, id api.InstanceID, reason string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := instanceParam(c)
		if err != nil {
			return err
		}
		if err := op(c.Request().Context(), id, c.QueryParam("reason")); err != nil {
			return durableError(err)
		}
		return c.NoContent(http.StatusAccepted)
	}
}

// apiRestart starts the instance again with its input, by default under a new id as Durable
// Functions does (restartWithNewInstanceId=false reuses the id of a finished instance).
func (w *workflows) apiRestart(c echo.Context) error {
	id, err := instanceParam(c)
	if err != nil {
		return err
	}
	newID, err := boolParam(c, "restartWithNewInstanceId", true)
	if err != nil {
		return err
	}
	started, err := w.x.Restart(c.Request().Context(), id, newID)
	if err != nil {
		return durableError(err)
	}
	return w.accepted(c, started, nil)
}

// purged is the body of a purge.
type purged struct {
	InstancesDeleted int `json:"instancesDeleted"`
}

func (w *workflows) apiPurge(c echo.Context) error {
	id, err := instanceParam(c)
	if err != nil {
		return err
	}
	n, err := w.x.Purge(c.Request().Context(), id)
	if err != nil {
		return durableError(err)
	}
	return c.JSON(http.StatusOK, purged{n})
}

// apiPurgeWhere purges the finished instances the filters select. As in Durable Functions,
// createdTimeFrom is required and a purge that finds nothing answers 404.
func (w *workflows) apiPurgeWhere(c echo.Context) error {
	if c.QueryParam("createdTimeFrom") == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "createdTimeFrom is required to purge by filter.")
	}
	q, err := instanceQuery(c)
	if err != nil {
		return err
	}
	if q.CreatedTo.IsZero() {
		q.CreatedTo = time.Now()
	}
	n, err := w.x.PurgeWhere(c.Request().Context(), q)
	if err != nil {
		return durableError(err)
	}
	if n == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "No finished instance matches the filters.")
	}
	return c.JSON(http.StatusOK, purged{n})
}

// instanceQuery reads the list filters of Durable Functions' query string: runtimeStatus (a
// comma list of names), createdTimeFrom, createdTimeTo and instanceIdPrefix.
func instanceQuery(c echo.Context) (taskhub.Query, error) {
	var q taskhub.Query
	for _, list := range c.QueryParams()["runtimeStatus"] {
		for _, name := range strings.Split(list, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			st, err := taskhub.ParseStatus(name)
			if err != nil {
				return q, echo.NewHTTPError(http.StatusBadRequest, "runtimeStatus: "+err.Error())
			}
			q.Statuses = append(q.Statuses, st)
		}
	}
	var err error
	if q.CreatedFrom, err = timeParam(c, "createdTimeFrom"); err != nil {
		return q, err
	}
	if q.CreatedTo, err = timeParam(c, "createdTimeTo"); err != nil {
		return q, err
	}
	q.IDPrefix = c.QueryParam("instanceIdPrefix")
	return q, nil
}

// timeFormats are the forms a time parameter may take: RFC 3339, or without a zone (read as
// UTC), or a date alone (its start, UTC).
var timeFormats = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"}

// timeParam reads an optional time query parameter; a malformed one is a 400.
func timeParam(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	for _, f := range timeFormats {
		if t, err := time.Parse(f, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, echo.NewHTTPError(http.StatusBadRequest, name+": "+strconv.Quote(v)+" is not a time (use RFC 3339, such as 2025-03-01T09:00:00Z).")
}

// boolParam reads an optional true/false query parameter.
func boolParam(c echo.Context, name string, def bool) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def, echo.NewHTTPError(http.StatusBadRequest, name+": "+strconv.Quote(v)+" is neither true nor false.")
	}
	return b, nil
}

// topParam reads the page size: a positive number; above taskhub.MaxTop it is capped.
func topParam(c echo.Context) (int, error) {
	v := c.QueryParam("top")
	if v == "" {
		return taskhub.DefaultTop, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "top: "+strconv.Quote(v)+" is not a positive number.")
	}
	return n, nil
}

// instanceParam reads the instance id from the path. Echo hands over a parameter as the
// request spelled it when the path holds escapes it cannot undo losslessly (an id with a
// slash arrives as %2F), so such a path is unescaped here.
func instanceParam(c echo.Context) (api.InstanceID, error) {
	id := c.Param("id")
	if c.Request().URL.RawPath != "" {
		var err error
		if id, err = url.PathUnescape(id); err != nil {
			return "", echo.NewHTTPError(http.StatusBadRequest, "The instance id in the path is not properly escaped.")
		}
	}
	if id == "" {
		return "", echo.NewHTTPError(http.StatusBadRequest, "The instance id is empty.")
	}
	return api.InstanceID(id), nil
}

// maxJSONBody bounds an orchestration input or event payload; the engine keeps each in a row.
const maxJSONBody = 1 << 20

// jsonBody reads a JSON request body as text, "" when empty; malformed JSON is a 400.
func jsonBody(c echo.Context) (string, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxJSONBody+1))
	if err != nil {
		return "", echo.NewHTTPError(http.StatusBadRequest, "The request body could not be read.")
	}
	if len(b) > maxJSONBody {
		return "", echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request body is over 1 MiB.")
	}
	s := strings.TrimSpace(string(b))
	if s != "" && !json.Valid([]byte(s)) {
		return "", echo.NewHTTPError(http.StatusBadRequest, "The request body is not valid JSON.")
	}
	return s, nil
}

// durableStatuses map the task hub's errors to the statuses Durable Functions answers.
var durableStatuses = []struct {
	target error
	status int
}{
	{api.ErrInstanceNotFound, http.StatusNotFound},
	{taskhub.ErrWrongState, http.StatusGone},
	{api.ErrNotCompleted, http.StatusConflict},
	{api.ErrDuplicateInstance, http.StatusConflict},
	{taskhub.ErrBadToken, http.StatusBadRequest},
}

// durableError turns a task hub error into an HTTP error with the status Durable Functions
// would answer; anything else stays a 500.
func durableError(err error) error {
	for _, m := range durableStatuses {
		if errors.Is(err, m.target) {
			return echo.NewHTTPError(m.status, err.Error())
		}
	}
	return err
}
