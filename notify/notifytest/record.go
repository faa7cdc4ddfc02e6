package notifytest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
)

// record holds what a fake accepted, safe for the server's goroutines and
// the test's.
type record[T any] struct {
	mu    sync.Mutex
	items []T
}

func (r *record[T]) add(item T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, item)
}

func (r *record[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.items)
}

// serveHTTP starts an HTTP fake with one route and returns its URL. The
// server closes when the test ends, after s has freed any hung request.
func (s *script) serveHTTP(t testing.TB, pattern string, h http.HandlerFunc) string {
	t.Helper()
	s.init()
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(s.stop) // runs before srv.Close
	return srv.URL
}
