// Package twilio sends SMS through Twilio's Programmable Messaging API with
// the official twilio-go client, and checks the signatures of Twilio's
// webhooks.
package twilio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"membership/notify"
)

// provider names Twilio in notify.Error.
const provider = "twilio"

// defaultTimeout bounds a send when New is given no http.Client: twilio-go's
// CreateMessage takes no context, so only the client can stop a hung request.
const defaultTimeout = 30 * time.Second

// Config is a Twilio account and the sender to use.
type Config struct {
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164) or alphanumeric sender id.
	From string
	// MessagingServiceSID, when set, lets Twilio pick the sender from the
	// service's pool; From may then be empty.
	MessagingServiceSID string
	// BaseURL replaces https://api.twilio.com (a test fake, a gateway);
	// empty means Twilio itself.
	BaseURL string
	// StatusCallback is the delivery-report URL for messages that do not
	// name their own.
	StatusCallback string
}

// Client sends SMS through Twilio. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	baseErr error
	hc      *http.Client
}

// New returns a Client for cfg that makes its requests with hc (nil means a
// client with a 30 s timeout). Put the request timeout on hc. New does not
// fail: a malformed BaseURL makes every send fail permanently, and missing
// credentials or sender are refused by Twilio (20003, 21603), also
// permanently; config validation catches both before start-up.
func New(cfg Config, hc *http.Client) *Client {
	c := &Client{cfg: cfg, hc: hc}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: defaultTimeout}
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err == nil && (u.Scheme == "" || u.Host == "") {
			err = errors.New("not an absolute url")
		}
		if err != nil {
			c.baseErr = &notify.Error{Provider: provider, Code: "config", Permanent: true,
				Message: fmt.Sprintf("base url %q", cfg.BaseURL), Err: err,
				Hint: "notify.sms.twilio.base_url must be an absolute URL such as https://api.twilio.com, or empty for Twilio itself."}
		}
		c.base = u
	}
	return c
}

// SendSMS asks Twilio to send m and returns the message SID. A refusal comes
// back as a *notify.Error: permanent for an invalid or unsubscribed number or
// a bad sender, transient for 429 (with Retry-After), 5xx and network
// failures.
func (c *Client) SendSMS(ctx context.Context, m notify.SMS) (string, error) {
	if c.baseErr != nil {
		return "", c.baseErr
	}
	if m.To == "" {
		return "", notify.Invalid(provider, "no_recipient", "sms has no recipient")
	}
	params := &api.CreateMessageParams{}
	params.SetTo(m.To)
	params.SetBody(m.Body)
	if c.cfg.From != "" {
		params.SetFrom(c.cfg.From)
	}
	if c.cfg.MessagingServiceSID != "" {
		params.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	}
	if cb := cmp.Or(m.StatusCallback, c.cfg.StatusCallback); cb != "" {
		params.SetStatusCallback(cb)
	}

	rt := &sendTransport{ctx: ctx, base: c.base, next: c.hc.Transport}
	msg, err := c.service(rt).CreateMessage(params)
	if err != nil {
		return "", classify(err, rt.last, time.Now())
	}
	if msg.Sid == nil || *msg.Sid == "" {
		// Twilio always answers a SID; a body without one is not Twilio's
		// answer to this request. Like any ambiguous outcome it is transient:
		// a retry may duplicate the message, which the notice ledger bounds.
		return "", &notify.Error{Provider: provider, Code: "no_sid", Status: rt.last.status, Message: "response carries no message sid"}
	}
	return *msg.Sid, nil
}

// service builds a twilio-go API service for one send. A fresh one per send
// is what carries the send's context: twilio-go's CreateMessage takes none,
// so the context rides in the transport (see sendTransport). The request
// handler is built directly rather than with NewRequestHandler, which would
// let the TWILIO_EDGE and TWILIO_REGION environment variables redirect us.
func (c *Client) service(rt *sendTransport) *api.ApiService {
	hc := *c.hc
	hc.Transport = rt
	tc := &twclient.Client{
		Credentials: twclient.NewCredentials(c.cfg.AccountSID, c.cfg.AuthToken),
		HTTPClient:  &hc,
	}
	tc.SetAccountSid(c.cfg.AccountSID)
	return api.NewApiService(&twclient.RequestHandler{Client: tc})
}
