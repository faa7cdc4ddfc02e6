package notify

import "context"

// Sent is what became of one message of a batch: the provider's id, or the error that kept
// it from being sent (classified as for a single send).
type Sent struct {
	ProviderID string
	Err        error
}

// SMSBatchSender is an SMSSender that sends several messages together more cheaply than one
// by one (the outbox: one transaction for them all).
type SMSBatchSender interface {
	SMSSender
	// SendSMSBatch sends ms; the i-th result answers ms[i].
	SendSMSBatch(ctx context.Context, ms []SMS) []Sent
}

// EmailBatchSender is SMSBatchSender for e-mail.
type EmailBatchSender interface {
	EmailSender
	// SendEmailBatch sends ms; the i-th result answers ms[i].
	SendEmailBatch(ctx context.Context, ms []Email) []Sent
}

// IdempotentByKey is a provider that sends a message under one IdempotencyKey at most once,
// answering a repeat with the first message's id: a caller may send again whatever it is not
// sure went out, without a duplicate.
type IdempotentByKey interface {
	IdempotentByKey() bool
}

// Idempotent reports whether s is IdempotentByKey.
func Idempotent(s any) bool {
	i, ok := s.(IdempotentByKey)
	return ok && i.IdempotentByKey()
}
