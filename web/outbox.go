package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/notify/outbox"
	"membership/web/templates"
)

// OutboxLister lists the messages the outbox provider kept (*outbox.Outbox), newest first.
type OutboxLister interface {
	List(ctx context.Context, limit, offset int) ([]outbox.Message, int64, error)
}

// notifyRoutes: the delivery webhooks, always (they answer 403 to anyone who cannot sign), and
// the outbox page and API when a provider is the outbox.
func (s *Server) notifyRoutes(g routeGroups) {
	s.webhookRoutes()
	if s.outbox == nil {
		return
	}
	g.user.GET("/outbox", s.outboxPage)
	g.api.GET("/outbox", s.apiOutbox)
}

// outboxPerPage is the outbox page's length.
const outboxPerPage = 50

func (s *Server) outboxPage(c echo.Context) error {
	page, perPage, err := pageParams(c, outboxPerPage)
	if err != nil {
		return err
	}
	msgs, total, err := s.outbox.List(c.Request().Context(), perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	v := templates.OutboxView{Page: page, PerPage: perPage, Total: total, Zone: s.cfg.Club.Location()}
	for _, m := range msgs {
		v.Messages = append(v.Messages, templates.OutboxMessage{ID: m.ID, Channel: m.Channel, To: m.To, Subject: m.Subject,
			At: m.CreatedAt, Lines: textParts(m.Body)})
	}
	return s.page(c, http.StatusOK, t(c, "outbox.title"), "outbox", templates.Outbox(v))
}

// outboxItem is a kept message in the API.
type outboxItem struct {
	ID        int64     `json:"id"`
	Channel   string    `json:"channel"`
	To        string    `json:"to"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	HTML      string    `json:"html,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) apiOutbox(c echo.Context) error {
	page, perPage, err := pageParams(c, 50)
	if err != nil {
		return err
	}
	msgs, total, err := s.outbox.List(c.Request().Context(), perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	items := make([]outboxItem, len(msgs))
	for i, m := range msgs {
		items[i] = outboxItem{ID: m.ID, Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body, HTML: m.HTML, CreatedAt: m.CreatedAt}
	}
	return c.JSON(http.StatusOK, listResponse[outboxItem]{Items: items, Page: page, PerPage: perPage, Total: total})
}

// pageParams reads page (from 1) and per_page (1–500, default def); a bad value answers 400.
func pageParams(c echo.Context, def int) (page, perPage int, err error) {
	page, perPage = 1, def
	var bad []FieldError
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"page", &page, 1, 1_000_000}, {"per_page", &perPage, 1, 500}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < p.min || n > p.max {
			bad = append(bad, FieldError{Field: p.name, Message: "use a whole number from " + strconv.Itoa(p.min) + " to " + strconv.Itoa(p.max)})
			continue
		}
		*p.dst = n
	}
	if len(bad) > 0 {
		return 0, 0, &ProblemError{Problem: Problem{Title: "Bad query", Status: http.StatusBadRequest, Detail: "Some query parameters cannot be read.", Errors: bad}}
	}
	return page, perPage, nil
}

// textToken finds what the outbox page marks in a message: web addresses and codes (4 to 10
// digits standing alone).
var textToken = regexp.MustCompile(`https?://[^\s<>"]+|\b[0-9]{4,10}\b`)

// textParts cuts a message's text into lines of plain text, links and codes.
func textParts(body string) [][]templates.TextPart {
	var out [][]templates.TextPart
	for line := range strings.SplitSeq(strings.TrimRight(body, "\n"), "\n") {
		var parts []templates.TextPart
		last := 0
		for _, loc := range textToken.FindAllStringIndex(line, -1) {
			if loc[0] > last {
				parts = append(parts, templates.TextPart{Text: line[last:loc[0]]})
			}
			tok := strings.TrimRight(line[loc[0]:loc[1]], ".,;:!?)")
			isLink := strings.HasPrefix(tok, "http")
			parts = append(parts, templates.TextPart{Text: tok, Link: isLink, Code: !isLink})
			last = loc[0] + len(tok)
		}
		if last < len(line) {
			parts = append(parts, templates.TextPart{Text: line[last:]})
		}
		out = append(out, parts)
	}
	return out
}
