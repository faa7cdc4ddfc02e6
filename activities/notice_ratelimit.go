package activities

import (
	"context"
	"fmt"
	"time"

	"membership/members"
	"membership/notify"
)

// slotReserver hands out send slots shared by every process on one database
// (members.Store.ReserveSendSlot on PostgreSQL).
type slotReserver interface {
	ReserveSendSlot(ctx context.Context, name string, interval time.Duration) (members.SendSlot, error)
}

// SharedRateLimitSMS is notify.RateLimitSMS for several processes sharing one provider
// account: each send reserves the next slot of the limiter called name in the app database
// and waits for it, so at most perSecond messages a second go out from all processes
// together. perSecond <= 0 means no limit and returns s itself.
func SharedRateLimitSMS(s notify.SMSSender, slots slotReserver, name string, perSecond float64) notify.SMSSender {
	if perSecond <= 0 {
		return s
	}
	return &sharedSMS{next: s, gate: sharedGate{slots: slots, name: name, interval: interval(perSecond)}}
}

// SharedRateLimitEmail is SharedRateLimitSMS for e-mail.
func SharedRateLimitEmail(s notify.EmailSender, slots slotReserver, name string, perSecond float64) notify.EmailSender {
	if perSecond <= 0 {
		return s
	}
	return &sharedEmail{next: s, gate: sharedGate{slots: slots, name: name, interval: interval(perSecond)}}
}

func interval(perSecond float64) time.Duration {
	return time.Duration(float64(time.Second) / perSecond)
}

type sharedGate struct {
	slots    slotReserver
	name     string
	interval time.Duration
}

// wait reserves a slot and sleeps until it, or until ctx ends: then the slot goes unused,
// which only slows the others down.
func (g sharedGate) wait(ctx context.Context) error {
	slot, err := g.slots.ReserveSendSlot(ctx, g.name, g.interval)
	if err != nil {
		return fmt.Errorf("wait for %s rate limit: %w", g.name, err)
	}
	if err := sleep(ctx, slot.Wait()); err != nil {
		return fmt.Errorf("wait for %s rate limit: %w", g.name, err)
	}
	return nil
}

// sleep waits for d or until ctx ends, whose error it then returns.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type sharedSMS struct {
	next notify.SMSSender
	gate sharedGate
}

func (l *sharedSMS) SendSMS(ctx context.Context, m notify.SMS) (string, error) {
	if err := l.gate.wait(ctx); err != nil {
		return "", err
	}
	return l.next.SendSMS(ctx, m)
}

type sharedEmail struct {
	next notify.EmailSender
	gate sharedGate
}

func (l *sharedEmail) SendEmail(ctx context.Context, m notify.Email) (string, error) {
	if err := l.gate.wait(ctx); err != nil {
		return "", err
	}
	return l.next.SendEmail(ctx, m)
}
