// Package notify holds what every SMS and e-mail provider shares: the
// messages, the sender interfaces, the classification of send errors into
// permanent and transient, a provider-wide rate limiter and SMS segment
// counting. The providers live in the sub-packages twilio, sendgrid, smtp and
// outbox; the callers (activities) declare the small interface they need.
package notify

import "context"

// SMS is one text message to one phone number.
type SMS struct {
	// To is the recipient in E.164 form (+4915123456789).
	To string
	// Body is the text; see Segments for what it costs.
	Body string
	// StatusCallback is the URL the provider reports delivery to; empty
	// means the provider's configured default.
	StatusCallback string
	// IdempotencyKey, when set, names the message: a provider that is
	// IdempotentByKey sends a message under one key at most once.
	IdempotencyKey string
}

// Email is one e-mail to one recipient.
type Email struct {
	To     string
	ToName string
	// From is an address, optionally with a display name
	// ("My Dojo <dojo@example.org>"); empty means the provider's default.
	From    string
	Subject string
	// Text is the plain-text part, HTML the optional HTML alternative.
	Text string
	HTML string
	// Headers are extra headers such as List-Unsubscribe.
	Headers map[string]string
	// IdempotencyKey is as for SMS.
	IdempotencyKey string
}

// SMSSender sends text messages. The returned providerID is the provider's
// id of the accepted message (a Twilio SID), which delivery webhooks refer to.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) (providerID string, err error)
}

// EmailSender sends e-mails. The returned id is the provider's message id
// (SendGrid's X-Message-Id, the SMTP Message-ID header).
type EmailSender interface {
	SendEmail(ctx context.Context, m Email) (providerID string, err error)
}
