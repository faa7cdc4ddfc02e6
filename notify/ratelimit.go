package notify

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"
)

// RateLimitSMS returns an SMSSender that lets at most perSecond messages per
// second through to s, making each send wait its turn (or give up when ctx
// ends). perSecond <= 0 means no limit and returns s itself.
//
// The limit holds within this process: several processes sharing one
// provider account each get the full rate.
func RateLimitSMS(s SMSSender, perSecond float64) SMSSender {
	if perSecond <= 0 {
		return s
	}
	return &limitedSMS{next: s, lim: newLimiter(perSecond)}
}

// RateLimitEmail is RateLimitSMS for e-mail.
func RateLimitEmail(s EmailSender, perSecond float64) EmailSender {
	if perSecond <= 0 {
		return s
	}
	return &limitedEmail{next: s, lim: newLimiter(perSecond)}
}

// newLimiter allows a burst of one: providers such as Twilio enforce their
// per-second limits (one SMS a second for a long code) without a bucket, so
// a burst would only earn 429s.
func newLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond), 1)
}

type limitedSMS struct {
	next SMSSender
	lim  *rate.Limiter
}

func (l *limitedSMS) SendSMS(ctx context.Context, m SMS) (string, error) {
	if err := wait(ctx, l.lim, "sms"); err != nil {
		return "", err
	}
	return l.next.SendSMS(ctx, m)
}

type limitedEmail struct {
	next EmailSender
	lim  *rate.Limiter
}

func (l *limitedEmail) SendEmail(ctx context.Context, m Email) (string, error) {
	if err := wait(ctx, l.lim, "email"); err != nil {
		return "", err
	}
	return l.next.SendEmail(ctx, m)
}

// wait blocks until lim lets one message of channel through or ctx ends.
func wait(ctx context.Context, lim *rate.Limiter, channel string) error {
	if err := lim.Wait(ctx); err != nil {
		return fmt.Errorf("wait for %s rate limit: %w", channel, err)
	}
	return nil
}
