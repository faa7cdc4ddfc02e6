package taskhub

import "testing"

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestBroadcast(t *testing.T) {
	tests := []struct {
		name string
		// run returns the channel under test after driving b.
		run        func(b *Broadcast) <-chan struct{}
		wantClosed bool
	}{
		{"no signal", func(b *Broadcast) <-chan struct{} { return b.Changed() }, false},
		{"signal after taking", func(b *Broadcast) <-chan struct{} {
			ch := b.Changed()
			b.Signal()
			return ch
		}, true},
		{"signal before taking is not remembered", func(b *Broadcast) <-chan struct{} {
			b.Signal()
			return b.Changed()
		}, false},
		{"fresh channel after a signal", func(b *Broadcast) <-chan struct{} {
			_ = b.Changed()
			b.Signal()
			return b.Changed()
		}, false},
		{"two waiters, one signal: second waiter", func(b *Broadcast) <-chan struct{} {
			_ = b.Changed()
			ch := b.Changed()
			b.Signal()
			return ch
		}, true},
		{"repeated signals", func(b *Broadcast) <-chan struct{} {
			ch := b.Changed()
			b.Signal()
			b.Signal()
			return ch
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := isClosed(tc.run(NewBroadcast()))
			if got != tc.wantClosed {
				t.Errorf("closed = %v, want %v", got, tc.wantClosed)
			}
		})
	}
}
