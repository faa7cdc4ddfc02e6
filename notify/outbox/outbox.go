// Package outbox is the development provider: it keeps every SMS and e-mail
// in a store instead of sending it, for the /outbox page to show. It stands
// in for the member's phone and mailbox, so it is the one place an SMS code
// rests in plain text.
package outbox

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"membership/notify"
)

// provider names the outbox in notify.Error.
const provider = "outbox"

// Channels of a Message.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
)

// Message is a kept SMS or e-mail.
type Message struct {
	ID      int64
	Channel string // ChannelSMS or ChannelEmail
	To      string // phone number or e-mail address
	Subject string // e-mail only
	Body    string // the SMS text, the e-mail's text part
	HTML    string // the e-mail's HTML part
	// CreatedAt is when the message was kept, in UTC.
	CreatedAt time.Time
}

// Store keeps messages.
type Store interface {
	// Add stores m (its ID is ignored) and returns the new ID.
	Add(ctx context.Context, m Message) (int64, error)
	// List returns up to limit messages (all when limit <= 0), newest first,
	// after skipping offset of them, and how many there are in total.
	List(ctx context.Context, limit, offset int) ([]Message, int64, error)
}

// Outbox is an notify.SMSSender and notify.EmailSender that keeps messages
// in a Store. The provider id it returns is the message's ID in decimal.
type Outbox struct {
	store Store
}

// New returns an Outbox keeping messages in store.
func New(store Store) *Outbox {
	return &Outbox{store: store}
}

// SendSMS keeps m.
func (o *Outbox) SendSMS(ctx context.Context, m notify.SMS) (string, error) {
	if m.To == "" {
		return "", notify.Invalid(provider, "no_recipient", "sms has no recipient")
	}
	return o.add(ctx, Message{Channel: ChannelSMS, To: m.To, Body: m.Body})
}

// SendEmail keeps m: its recipient, subject, text and HTML.
func (o *Outbox) SendEmail(ctx context.Context, m notify.Email) (string, error) {
	if m.To == "" {
		return "", notify.Invalid(provider, "no_recipient", "email has no recipient")
	}
	return o.add(ctx, Message{Channel: ChannelEmail, To: m.To, Subject: m.Subject, Body: m.Text, HTML: m.HTML})
}

// List returns the kept messages, newest first; see Store.List.
func (o *Outbox) List(ctx context.Context, limit, offset int) ([]Message, int64, error) {
	msgs, total, err := o.store.List(ctx, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, total, nil
}

func (o *Outbox) add(ctx context.Context, m Message) (string, error) {
	// Microseconds are what PostgreSQL keeps; truncating here makes a
	// message read back equal to the one written, on every store.
	m.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	id, err := o.store.Add(ctx, m)
	if err != nil {
		return "", fmt.Errorf("keep %s in outbox: %w", m.Channel, err)
	}
	return strconv.FormatInt(id, 10), nil
}
