package outbox

import (
	"context"
	"sync"
)

// MemoryStore keeps messages in memory, for tests and a server without a
// database. It is safe for concurrent use.
type MemoryStore struct {
	mu   sync.Mutex
	msgs []Message // oldest first; msgs[i].ID == i+1
	keys map[string]int64
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{}
}

// Add implements Store.
func (s *MemoryStore) Add(_ context.Context, ms ...Message) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, len(ms))
	for i, m := range ms {
		if id, ok := s.keys[m.Key]; ok && m.Key != "" {
			ids[i] = id
			continue
		}
		m.ID = int64(len(s.msgs)) + 1
		if m.Key != "" {
			if s.keys == nil {
				s.keys = map[string]int64{}
			}
			s.keys[m.Key] = m.ID
		}
		s.msgs = append(s.msgs, m)
		ids[i] = m.ID
	}
	return ids, nil
}

// List implements Store.
func (s *MemoryStore) List(_ context.Context, limit, offset int) ([]Message, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := len(s.msgs)
	offset = min(max(offset, 0), total)
	n := total - offset
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]Message, 0, n)
	for i := total - 1 - offset; i >= total-offset-n; i-- {
		out = append(out, s.msgs[i])
	}
	return out, int64(total), nil
}

// compile-time checks that both stores satisfy Store.
var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*GormStore)(nil)
)
