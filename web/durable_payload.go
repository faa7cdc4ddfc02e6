package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"
)

// durablePath is where the durable management API lives, as in Azure Functions.
const durablePath = "/runtime/webhooks/durabletask"

// instanceURL is the absolute status URL of an instance on server.base_url.
func (s *Server) instanceURL(id api.InstanceID) string {
	return strings.TrimRight(s.cfg.Server.BaseURL, "/") + durablePath + "/instances/" + url.PathEscape(string(id))
}

// managementPayload is Durable Functions' "HTTP management payload" of an instance: its id and
// the links that query and control it. {eventName} and {text} stay placeholders for the caller
// to fill, as Durable Functions leaves them; no link carries a token, so the payload can be
// logged or shown without leaking one.
func (s *Server) managementPayload(id api.InstanceID) map[string]any {
	base := s.instanceURL(id)
	return map[string]any{
		"id":                    string(id),
		"statusQueryGetUri":     base,
		"sendEventPostUri":      base + "/raiseEvent/{eventName}",
		"terminatePostUri":      base + "/terminate?reason={text}",
		"rewindPostUri":         base + "/rewind?reason={text}",
		"purgeHistoryDeleteUri": base,
		"restartPostUri":        base + "/restart",
		"suspendPostUri":        base + "/suspend?reason={text}",
		"resumePostUri":         base + "/resume?reason={text}",
	}
}

// accepted answers a workflow start the way every start in the app does: 202 Accepted,
// Location the status URL, and the management payload plus extra fields (such as
// campaign_id). The payload's own fields win over extra ones of the same name.
func (s *Server) accepted(c echo.Context, id api.InstanceID, extra map[string]any) error {
	body := s.managementPayload(id)
	for k, v := range extra {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	h := c.Response().Header()
	h.Set(echo.HeaderLocation, s.instanceURL(id))
	// Durable Functions asks pollers to wait; without it some retry in a tight loop.
	h.Set("Retry-After", "10")
	return c.JSON(http.StatusAccepted, body)
}
