// Package sendgrid sends e-mail through SendGrid's v3 Mail Send API with the
// official sendgrid-go client, and verifies SendGrid's signed event webhook.
package sendgrid

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"membership/notify"
)

// provider names SendGrid in notify.Error.
const provider = "sendgrid"

const (
	defaultHost    = "https://api.sendgrid.com"
	sendEndpoint   = "/v3/mail/send"
	defaultTimeout = 30 * time.Second
)

// Config is a SendGrid account.
type Config struct {
	APIKey string
	// BaseURL replaces https://api.sendgrid.com (a test fake, the EU
	// region's https://api.eu.sendgrid.com); empty means the global API.
	BaseURL string
	// WebhookPublicKey is the base64 ECDSA public key of the signed event
	// webhook, for VerifyWebhook.
	WebhookPublicKey string
}

// Client sends e-mail through SendGrid. It is safe for concurrent use.
type Client struct {
	cfg  Config
	rest *rest.Client
}

// New returns a Client for cfg that makes its requests with hc (nil means a
// client with a 30 s timeout).
func New(cfg Config, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	// sendgrid-go's own send functions go through a package-level client;
	// a rest.Client of our own carries our timeouts and the context.
	return &Client{cfg: cfg, rest: &rest.Client{HTTPClient: hc}}
}

// SendEmail asks SendGrid to send m and returns SendGrid's message id (the
// X-Message-Id header, which event webhooks carry as sg_message_id's
// prefix; empty in the unlikely case that an accepting response lacks it,
// since the e-mail is on its way all the same). A refusal comes back as a *notify.Error: permanent for 400, 401,
// 403 (bad key, unverified sender, malformed message), transient for 429
// (with the time to wait), 5xx and network failures.
func (c *Client) SendEmail(ctx context.Context, m notify.Email) (string, error) {
	msg, err := message(m)
	if err != nil {
		return "", err
	}
	req := sg.GetRequest(c.cfg.APIKey, sendEndpoint, cmp.Or(c.cfg.BaseURL, defaultHost))
	req.Method = rest.Post
	req.Body = sgmail.GetRequestBody(msg)
	resp, err := c.rest.SendWithContext(ctx, req)
	if err != nil {
		return "", notify.TransportError(provider, err)
	}
	// sendgrid-go reports an HTTP error status as a response, not an error.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", classify(resp, time.Now())
	}
	return http.Header(resp.Headers).Get("X-Message-Id"), nil
}

// message builds the v3 request body: one recipient, the text part first
// and the HTML part second, as SendGrid requires.
func message(m notify.Email) (*sgmail.SGMailV3, error) {
	if m.To == "" {
		return nil, notify.Invalid(provider, "no_recipient", "email has no recipient")
	}
	if m.From == "" {
		return nil, notify.Invalid(provider, "from", "email has no sender")
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, notify.Invalid(provider, "from", fmt.Sprintf("sender %q: %v", m.From, err))
	}
	if m.Text == "" && m.HTML == "" {
		return nil, notify.Invalid(provider, "content", "email has no content")
	}
	msg := sgmail.NewV3Mail()
	msg.SetFrom(sgmail.NewEmail(from.Name, from.Address))
	msg.Subject = m.Subject
	p := sgmail.NewPersonalization()
	p.AddTos(sgmail.NewEmail(m.ToName, m.To))
	msg.AddPersonalizations(p)
	if m.Text != "" {
		msg.AddContent(sgmail.NewContent("text/plain", m.Text))
	}
	if m.HTML != "" {
		msg.AddContent(sgmail.NewContent("text/html", m.HTML))
	}
	for k, v := range m.Headers {
		msg.SetHeader(k, v)
	}
	return msg, nil
}
