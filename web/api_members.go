package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"membership/members"
)

// memberAPIRoutes: the members JSON API (DESIGN.md). Trainers' tokens read; admins' change.
func (s *Server) memberAPIRoutes(g routeGroups) {
	g.api.GET("/members", s.apiMembersList)
	g.api.GET("/members/:id", s.apiMemberGet)
	g.api.GET("/members/:id/timeline", s.apiMemberTimeline)
	g.apiAdmin.POST("/members", s.apiMemberCreate)
	g.apiAdmin.PATCH("/members/:id", s.apiMemberPatch)
	g.apiAdmin.DELETE("/members/:id", s.apiMemberArchive)
}

// listResponse is the shape of every list the API answers.
type listResponse[T any] struct {
	Items   []T   `json:"items"`
	Page    int   `json:"page"`
	PerPage int   `json:"per_page"`
	Total   int64 `json:"total"`
}

func (s *Server) apiMembersList(c echo.Context) error {
	q, err := listQuery(loc(c), c.QueryParams())
	if err != nil {
		return err
	}
	items, total, err := s.members.List(c.Request().Context(), q)
	if err != nil {
		return err
	}
	if items == nil {
		items = []members.Member{}
	}
	return c.JSON(http.StatusOK, listResponse[members.Member]{Items: items, Page: q.Page, PerPage: q.PerPage, Total: total})
}

func (s *Server) apiMemberGet(c echo.Context) error {
	m, err := s.memberParam(c)
	if err != nil {
		return err
	}
	return memberJSON(c, http.StatusOK, m)
}

func (s *Server) apiMemberCreate(c echo.Context) error {
	var in members.MemberInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	m, err := s.members.Create(c.Request().Context(), principal(c).Actor(), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", strings.TrimRight(s.cfg.Server.BaseURL, "/")+"/api/v1/members/"+strconv.FormatInt(m.ID, 10))
	return memberJSON(c, http.StatusCreated, m)
}

// apiMemberPatch applies a partial change. With If-Match, a stale version answers 412 and
// changes nothing; without it the change applies to whatever is current.
func (s *Server) apiMemberPatch(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var patch members.MemberPatch
	if err := decodeStrict(c, &patch); err != nil {
		return err
	}
	ifVersion, err := ifMatchVersion(c.Request().Header.Get("If-Match"))
	if err != nil {
		return err
	}
	m, err := s.members.Update(c.Request().Context(), principal(c).Actor(), id, patch, ifVersion)
	if errors.Is(err, members.ErrConflict) && ifVersion == nil {
		// No precondition was asked for: a write that raced ours is no reason to refuse, so
		// the change applies on top of it.
		m, err = s.members.Update(c.Request().Context(), principal(c).Actor(), id, patch, nil)
	}
	if errors.Is(err, members.ErrConflict) && ifVersion != nil {
		return &ProblemError{Problem: Problem{Title: "Precondition Failed", Status: http.StatusPreconditionFailed,
			Detail: "The member was changed by someone else since you read it. Read it again and repeat your change."}}
	}
	if err != nil {
		return err
	}
	return memberJSON(c, http.StatusOK, m)
}

func (s *Server) apiMemberArchive(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.members.Archive(c.Request().Context(), principal(c).Actor(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// timelineDepth is how many of a member's newest entries the API pages through: a member's
// history is dozens of entries, so the whole of it (up to this) is merged and cut in memory,
// and total is exact below it.
const timelineDepth = 500

// apiMemberTimeline answers a member's history as a list like every other, newest first.
func (s *Server) apiMemberTimeline(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	page, perPage, err := pageParams(c, 50)
	if err != nil {
		return err
	}
	entries, err := s.timeline(c, id, timelineDepth)
	if err != nil {
		return err
	}
	from := min((page-1)*perPage, len(entries))
	items := entries[from:min(from+perPage, len(entries))]
	if items == nil {
		items = []members.TimelineEntry{}
	}
	return c.JSON(http.StatusOK, listResponse[members.TimelineEntry]{Items: items, Page: page, PerPage: perPage, Total: int64(len(entries))})
}

// timeline is a member's history from every source: the record's own changes, fees, gradings,
// notices and workflows.
func (s *Server) timeline(c echo.Context, id int64, limit int) ([]members.TimelineEntry, error) {
	return s.members.Timeline(c.Request().Context(), id, limit, members.TimelineFunc(s.members.NoticeTimeline))
}

// memberJSON answers a member with its version as a strong ETag.
func memberJSON(c echo.Context, status int, m *members.Member) error {
	c.Response().Header().Set("ETag", etag(m.Version))
	return c.JSON(status, m)
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatchVersion reads If-Match ("3", W/"3" or 3); empty means no precondition.
func ifMatchVersion(h string) (*int, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return nil, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil {
		return nil, &ProblemError{Problem: Problem{Title: "Bad Request", Status: http.StatusBadRequest, Detail: "If-Match must be the ETag of a member as read, e.g. \"3\"."}}
	}
	return &v, nil
}

// decodeStrict reads a JSON body into v. Malformed JSON, anything but one object, or an
// unknown field answers 400; a well-formed body with a value its field cannot take (a number
// for a name, "31.12.1990" for a date) is invalid input, 422 naming the field: DESIGN.md tells
// the two apart.
func decodeStrict(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	malformed := func(detail string) error {
		return &ProblemError{Problem: Problem{Title: "Bad Request", Status: http.StatusBadRequest, Detail: detail}}
	}
	if !json.Valid(body) {
		return malformed("The body is not one valid JSON value.")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return malformed("The body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		return nil
	}
	// encoding/json has no type for this error, only its text.
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return malformed("The body is not valid JSON for this resource: " + err.Error())
	}
	msg := err.Error()
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		msg = "must not be a JSON " + te.Value
	}
	return &members.ValidationError{Fields: []members.FieldError{{Field: badField(v, fields, err), Message: msg}}}
}

// badField names the field whose value v cannot take. The decoder names it for a mismatched
// type but not for a value a field's own UnmarshalJSON refused, so then each field is tried
// on its own.
func badField(v any, fields map[string]json.RawMessage, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	t := reflect.TypeOf(v).Elem()
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if json.Unmarshal(one, reflect.New(t).Interface()) != nil {
			return k
		}
	}
	return ""
}
