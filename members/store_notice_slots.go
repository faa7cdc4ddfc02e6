package members

import (
	"context"
	"errors"
	"fmt"
	"time"

	"membership/db"
)

// ErrSlotsUnsupported is returned by ReserveSendSlot on SQLite, which one process owns alone:
// an in-process limiter serves it.
var ErrSlotsUnsupported = errors.New("shared send slots need PostgreSQL")

// reserveSendSlot moves the named slot to max(its time, now) + interval and returns where it
// was, that is the caller's slot, together with the database's clock: one statement, so
// concurrent callers in any process queue up on the row lock and each gets a slot of its own.
const reserveSendSlot = `
INSERT INTO send_slots (name, next_at) VALUES (@name, clock_timestamp() + @interval * interval '1 microsecond')
ON CONFLICT (name) DO UPDATE
  SET next_at = greatest(send_slots.next_at, clock_timestamp()) + @interval * interval '1 microsecond'
RETURNING next_at - @interval * interval '1 microsecond' AS slot, clock_timestamp() AS now`

// SendSlot is a reserved send slot: At, on the database's clock, which read Now when the slot
// was reserved.
type SendSlot struct {
	At  time.Time
	Now time.Time
}

// Wait is how long the reserving caller waits for its slot; 0 when the slot is now.
func (s SendSlot) Wait() time.Duration { return max(s.At.Sub(s.Now), 0) }

// ReserveSendSlot reserves the next send slot of the named limiter, whose slots lie interval
// apart. Every process sharing the PostgreSQL app database shares the slots.
func (s *Store) ReserveSendSlot(ctx context.Context, name string, interval time.Duration) (SendSlot, error) {
	if db.Dialect(s.db) != "postgres" {
		return SendSlot{}, ErrSlotsUnsupported
	}
	var r struct {
		Slot time.Time
		Now  time.Time
	}
	err := s.db.WithContext(ctx).Raw(reserveSendSlot, map[string]any{"name": name, "interval": interval.Microseconds()}).Scan(&r).Error
	if err != nil {
		return SendSlot{}, fmt.Errorf("reserve %s send slot: %w", name, err)
	}
	return SendSlot{At: r.Slot, Now: r.Now}, nil
}
