package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	q, err := listQuery(c.QueryParams())
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

func (s *Server) apiMemberTimeline(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	entries, err := s.timeline(c, id, 200)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []members.TimelineEntry{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": entries})
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

// decodeStrict reads a JSON body into v; malformed JSON or an unknown field answers 400 with
// what is wrong, as DESIGN.md asks.
func decodeStrict(c echo.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ProblemError{Problem: Problem{Title: "Bad Request", Status: http.StatusBadRequest, Detail: "The body is not valid JSON for this resource: " + err.Error()}}
	}
	if dec.More() {
		return &ProblemError{Problem: Problem{Title: "Bad Request", Status: http.StatusBadRequest, Detail: "The body holds more than one JSON value."}}
	}
	return nil
}
