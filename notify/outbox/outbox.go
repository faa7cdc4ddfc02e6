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
	// Key is the sender's idempotency key: the store keeps one message per key.
	Key string
	// CreatedAt is when the message was kept, in UTC.
	CreatedAt time.Time
}

// Store keeps messages.
type Store interface {
	// Add stores ms (their IDs are ignored) at once — in one transaction, all or none — and
	// returns their IDs in order: for a message whose Key is already kept, the kept one's.
	Add(ctx context.Context, ms ...Message) ([]int64, error)
	// List returns up to limit messages (all when limit <= 0), newest first,
	// after skipping offset of them, and how many there are in total.
	List(ctx context.Context, limit, offset int) ([]Message, int64, error)
}

// Outbox is a notify.SMSSender and notify.EmailSender that keeps messages in a Store; it
// takes batches of them too (notify.SMSBatchSender, notify.EmailBatchSender), one
// transaction for each, and keeps a message under one idempotency key once
// (notify.IdempotentByKey). The provider id it returns is the message's ID in decimal.
type Outbox struct {
	store Store
}

// New returns an Outbox keeping messages in store.
func New(store Store) *Outbox {
	return &Outbox{store: store}
}

// SendSMS keeps m.
func (o *Outbox) SendSMS(ctx context.Context, m notify.SMS) (string, error) {
	return o.keepOne(ctx, smsMessage(m))
}

// SendEmail keeps m: its recipient, subject, text and HTML.
func (o *Outbox) SendEmail(ctx context.Context, m notify.Email) (string, error) {
	return o.keepOne(ctx, emailMessage(m))
}

// SendSMSBatch keeps ms in one transaction.
func (o *Outbox) SendSMSBatch(ctx context.Context, ms []notify.SMS) []notify.Sent {
	msgs := make([]Message, len(ms))
	for i, m := range ms {
		msgs[i] = smsMessage(m)
	}
	return o.keep(ctx, msgs)
}

// SendEmailBatch keeps ms in one transaction.
func (o *Outbox) SendEmailBatch(ctx context.Context, ms []notify.Email) []notify.Sent {
	msgs := make([]Message, len(ms))
	for i, m := range ms {
		msgs[i] = emailMessage(m)
	}
	return o.keep(ctx, msgs)
}

// IdempotentByKey: a message sent again under its key is the one kept before.
func (o *Outbox) IdempotentByKey() bool { return true }

func smsMessage(m notify.SMS) Message {
	return Message{Channel: ChannelSMS, To: m.To, Body: m.Body, Key: m.IdempotencyKey}
}

func emailMessage(m notify.Email) Message {
	return Message{Channel: ChannelEmail, To: m.To, Subject: m.Subject, Body: m.Text, HTML: m.HTML, Key: m.IdempotencyKey}
}

// List returns the kept messages, newest first; see Store.List.
func (o *Outbox) List(ctx context.Context, limit, offset int) ([]Message, int64, error) {
	msgs, total, err := o.store.List(ctx, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, total, nil
}

func (o *Outbox) keepOne(ctx context.Context, m Message) (string, error) {
	sent := o.keep(ctx, []Message{m})[0]
	return sent.ProviderID, sent.Err
}

// keep stores the messages that have a recipient in one transaction; a message without one
// is refused as a phone or mailbox would refuse it, permanently.
func (o *Outbox) keep(ctx context.Context, msgs []Message) []notify.Sent {
	out := make([]notify.Sent, len(msgs))
	// Microseconds are what PostgreSQL keeps; truncating here makes a
	// message read back equal to the one written, on every store.
	now := time.Now().UTC().Truncate(time.Microsecond)
	var valid []Message
	var at []int
	for i, m := range msgs {
		if m.To == "" {
			out[i].Err = notify.Invalid(provider, "no_recipient", m.Channel+" has no recipient")
			continue
		}
		m.CreatedAt = now
		valid, at = append(valid, m), append(at, i)
	}
	if len(valid) == 0 {
		return out
	}
	ids, err := o.store.Add(ctx, valid...)
	for j, i := range at {
		if err != nil {
			out[i].Err = fmt.Errorf("keep %s in outbox: %w", msgs[i].Channel, err)
			continue
		}
		out[i].ProviderID = strconv.FormatInt(ids[j], 10)
	}
	return out
}

// compile-time checks that the outbox takes batches.
var (
	_ notify.SMSBatchSender   = (*Outbox)(nil)
	_ notify.EmailBatchSender = (*Outbox)(nil)
	_ notify.IdempotentByKey  = (*Outbox)(nil)
)
