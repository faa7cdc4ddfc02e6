package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"membership/db"
	"membership/members"
	"membership/web/auth"
	"membership/web/templates"
)

// Problem is an RFC 9457 problem detail, the API's error body.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ProblemError is an error that carries its problem detail (for 422 with field errors).
type ProblemError struct{ Problem Problem }

func (e *ProblemError) Error() string { return e.Problem.Title + ": " + e.Problem.Detail }

// errorMappings turn domain errors into statuses, so the domain never knows HTTP.
var errorMappings = []struct {
	target error
	status int
}{
	{auth.ErrNotFound, http.StatusNotFound},
	{auth.ErrEmailTaken, http.StatusConflict},
	{auth.ErrLastActiveAdmin, http.StatusConflict},
	{members.ErrNotFound, http.StatusNotFound},
	{members.ErrConflict, http.StatusConflict},
	{members.ErrOwnApproval, http.StatusForbidden},
}

// statusOf finds the HTTP status and a message safe to show for any error a handler returned;
// a server error's message is "" (the caller words it).
func statusOf(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, ok := he.Message.(string)
		if !ok || msg == "" {
			msg = http.StatusText(he.Code)
		}
		return he.Code, msg
	}
	for _, m := range errorMappings {
		if errors.Is(err, m.target) {
			return m.status, err.Error()
		}
	}
	if db.IsDiskFull(err) {
		// Either store, either copy of SQLite: nothing was written, and the write succeeds
		// again once space is freed. The caller words it (problem.disk_full).
		return http.StatusInsufficientStorage, ""
	}
	if db.IsBusy(err) {
		// A write waited its whole busy timeout behind a long transaction (a large import):
		// nothing was written, and the same request succeeds a moment later (Retry-After).
		return http.StatusServiceUnavailable, ""
	}
	return http.StatusInternalServerError, ""
}

// unsaved says, for a write the database refused for now — its disk full (507) or its write lock
// held past the busy timeout by a long import (503, and it sets Retry-After) — the status and the
// reason in the reader's language. For any other error it answers 0.
func unsaved(c echo.Context, err error) (int, string) {
	switch status, _ := statusOf(err); {
	case status == http.StatusInsufficientStorage:
		return status, t(c, "problem.disk_full")
	case status == http.StatusServiceUnavailable && db.IsBusy(err):
		c.Response().Header().Set("Retry-After", busyRetryAfter)
		return status, t(c, "problem.busy")
	}
	return 0, ""
}

// notSaved is unsaved for a handler that shows its form again, with what the person typed,
// instead of an error page; it logs the refusal, as handleError would have.
func (s *Server) notSaved(c echo.Context, err error) (int, string) {
	status, why := unsaved(c, err)
	if status != 0 {
		s.log.Warn("not saved", slog.String("path", c.Request().URL.Path), slog.Int("status", status), slog.Any("error", err))
	}
	return status, why
}

// busyRetryAfter is the Retry-After of a 503 for a busy database, in seconds: a write lock is
// held for seconds (10,000 imported rows take 1.7 s), and a client asking again soon either
// gets in or is told again, without piling up.
const busyRetryAfter = "2"

// statusTitle is the title of an answer with status in the request's language: the catalogue's,
// else the standard English one.
func statusTitle(c echo.Context, status int) string {
	key := "problem." + strconv.Itoa(status)
	if title := t(c, key); title != key {
		return title
	}
	return http.StatusText(status)
}

// isAPI reports whether a path answers in JSON rather than HTML.
func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/runtime/") || strings.HasPrefix(path, "/webhooks/")
}

// handleError answers every error once: problem JSON for the APIs, an HTML page for browsers.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var pe *ProblemError
	var ve *members.ValidationError
	var p Problem
	// back is, for a browser's button whose write was refused for now, the page it was on.
	back := ""
	switch {
	case errors.As(err, &pe):
		p = pe.Problem
	case errors.As(err, &ve):
		p = validationProblem(ve)
		p.Title, p.Detail = t(c, "problem.invalid_input"), t(c, "problem.invalid_fields")
	default:
		status, msg := statusOf(err)
		if status >= 500 {
			s.log.Error("request failed", slog.String("path", c.Request().URL.Path), slog.Any("error", err))
		}
		if st, why := unsaved(c, err); st != 0 {
			msg = why
			if c.Request().Method == http.MethodPost {
				back = sameSiteReferer(c)
			}
		} else if msg == "" {
			msg = t(c, "problem.server_error")
		}
		p = Problem{Type: "about:blank", Title: statusTitle(c, status), Status: status, Detail: msg}
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	p.Instance = c.Request().URL.Path
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(p.Status)
	case isAPI(c.Request().URL.Path):
		body, _ := json.Marshal(p)
		werr = c.Blob(p.Status, "application/problem+json", body)
	case back != "":
		// A button on a page (archive, mark paid, cancel) that could not save: back to that
		// page with the reason, rather than an error page the admin has to navigate away from.
		// Forms with typed input (the member form) keep the input themselves: notSaved.
		werr = s.redirectWith(c, back, "error", p.Detail)
	default:
		werr = s.page(c, p.Status, p.Title, "", templates.Error(s.ctx(c, p.Title, ""), p.Status, p.Title, p.Detail))
	}
	if werr != nil {
		s.log.Error("write error response", slog.Any("error", werr))
	}
}

// sameSiteReferer is the path (and query) of the page a browser request came from when that page
// is on this server, else "".
func sameSiteReferer(c echo.Context) string {
	ref, err := url.Parse(c.Request().Referer())
	if err != nil || ref.Host != c.Request().Host || ref.Path == "" || ref.Path == c.Request().URL.Path {
		return ""
	}
	return ref.RequestURI()
}

// validationProblem answers invalid input with 422 and one entry per invalid field.
func validationProblem(ve *members.ValidationError) Problem {
	p := Problem{Title: "Invalid input", Status: http.StatusUnprocessableEntity, Detail: "Some fields are not valid; see errors."}
	for _, f := range ve.Fields {
		p.Errors = append(p.Errors, FieldError{Field: f.Field, Message: f.Message})
	}
	return p
}
