package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/notify/sendgrid"
	"membership/notify/twilio"
)

// webhookActor names the Twilio inbound webhook in the audit log.
const webhookActor = "webhook:twilio"

// maxWebhookBody bounds a webhook's body; SendGrid batches events, a few MB at most.
const maxWebhookBody = 5 << 20

// webhookRoutes mounts the providers' webhooks on the bare server: no session, no CSRF, no
// token — each request proves itself with the provider's signature or gets 403.
func (s *Server) webhookRoutes() {
	s.e.POST("/webhooks/twilio/status", s.twilioStatus)
	s.e.POST("/webhooks/twilio/inbound", s.twilioInbound)
	s.e.POST("/webhooks/sendgrid/events", s.sendgridEvents)
}

// twilioForm reads a Twilio webhook's form and checks its signature over base_url + path.
func (s *Server) twilioForm(c echo.Context) (map[string][]string, error) {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxWebhookBody)
	if err := req.ParseForm(); err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "the form cannot be read")
	}
	full := strings.TrimSuffix(s.cfg.Server.BaseURL, "/") + req.URL.Path
	if req.URL.RawQuery != "" {
		full += "?" + req.URL.RawQuery
	}
	if !twilio.ValidateWebhook(s.cfg.Notify.SMS.Twilio.AuthToken, full, req.PostForm, req.Header.Get(twilio.SignatureHeader)) {
		return nil, echo.NewHTTPError(http.StatusForbidden, "invalid signature")
	}
	return req.PostForm, nil
}

// twilioStatuses maps Twilio's final message statuses to the ledger's; the others (queued,
// sending, sent) say nothing the ledger does not know.
var twilioStatuses = map[string]members.NoticeStatus{
	"delivered":   members.NoticeDelivered,
	"undelivered": members.NoticeUndeliverable,
	"failed":      members.NoticeFailed,
}

// twilioStatus takes Twilio's delivery report of an SMS.
func (s *Server) twilioStatus(c echo.Context) error {
	form, err := s.twilioForm(c)
	if err != nil {
		return err
	}
	get := func(k string) string { return first(form[k]) }
	status, ok := twilioStatuses[get("MessageStatus")]
	if !ok {
		return c.NoContent(http.StatusOK)
	}
	_, err = s.members.RecordDelivery(c.Request().Context(), members.NoticeDelivery{Provider: "twilio",
		ProviderMessageID: get("MessageSid"), Status: status, ErrorCode: get("ErrorCode"), ErrorMessage: get("ErrorMessage"),
		At: time.Now()})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// optOutWords are the replies that withdraw SMS consent: Twilio's opt-out keywords and the
// German STOPP.
var optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "STOPP"}

// twilioInbound takes an SMS sent to the club's number. An opt-out word withdraws the SMS
// consent of every member with the sender's number; Twilio answers STOP itself, so the reply
// is an empty TwiML response.
func (s *Server) twilioInbound(c echo.Context) error {
	form, err := s.twilioForm(c)
	if err != nil {
		return err
	}
	word := strings.ToUpper(strings.TrimSpace(first(form["Body"])))
	if slices.Contains(optOutWords, word) {
		ids, err := s.members.WithdrawSMSConsent(c.Request().Context(), webhookActor, first(form["From"]))
		if err != nil {
			return err
		}
		for _, id := range ids {
			s.log.Info("sms consent withdrawn by reply", slog.Int64("member_id", id))
		}
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`))
}

// sendgridEvent is the part of a SendGrid event webhook entry the ledger uses.
type sendgridEvent struct {
	Event     string `json:"event"`
	MessageID string `json:"sg_message_id"`
	Reason    string `json:"reason"`
	Status    string `json:"status"`
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp"`
}

// sendgridStatuses maps SendGrid's delivery events to the ledger's; processed, deferred, open,
// click and the rest change nothing.
var sendgridStatuses = map[string]members.NoticeStatus{
	"delivered": members.NoticeDelivered,
	"bounce":    members.NoticeUndeliverable,
	"dropped":   members.NoticeFailed,
}

// sendgridEvents takes a batch of SendGrid events. A batch must carry SendGrid's signature over
// its raw body, checked with notify.email.sendgrid.webhook_public_key; without a key there is
// nothing to check against, so every batch gets 403 (anyone could otherwise mark notices
// delivered or failed).
func (s *Server) sendgridEvents(c echo.Context) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxWebhookBody))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body cannot be read")
	}
	key := s.cfg.Notify.Email.SendGrid.WebhookPublicKey
	if key == "" {
		return echo.NewHTTPError(http.StatusForbidden, "the SendGrid event webhook is off: set notify.email.sendgrid.webhook_public_key to SendGrid's verification key")
	}
	h := c.Request().Header
	if err := sendgrid.VerifyWebhook(key, body, h.Get(sendgrid.SignatureHeader), h.Get(sendgrid.TimestampHeader)); err != nil {
		if !errors.Is(err, sendgrid.ErrInvalidSignature) {
			s.log.Error("sendgrid webhook key unusable", slog.Any("error", err))
		}
		return echo.NewHTTPError(http.StatusForbidden, "invalid signature")
	}
	var events []sendgridEvent
	if err := json.Unmarshal(body, &events); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body is not a JSON array of events")
	}
	ctx := c.Request().Context()
	for _, e := range events {
		status, ok := sendgridStatuses[e.Event]
		if !ok {
			continue
		}
		// sg_message_id is the X-Message-Id the send answered, a dot and a suffix of
		// SendGrid's own.
		id, _, _ := strings.Cut(e.MessageID, ".")
		d := members.NoticeDelivery{Provider: "sendgrid", ProviderMessageID: id, Status: status,
			ErrorCode: e.Status, ErrorMessage: strings.TrimSpace(e.Type + " " + e.Reason), At: time.Now()}
		if e.Timestamp > 0 {
			d.At = time.Unix(e.Timestamp, 0)
		}
		if _, err := s.members.RecordDelivery(ctx, d); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusOK)
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
