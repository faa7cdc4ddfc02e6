package notifytest

import (
	"io"
	"net/http"
	"sync"
)

// Failure is what a fake answers to one send instead of accepting it. The
// zero value is the provider's typical transient failure.
type Failure struct {
	// Permanent picks, when Status is 0, the provider's typical permanent
	// refusal (Twilio 400/21211, SendGrid 403 unverified sender, SMTP 550)
	// instead of its typical transient one (Twilio 503, SendGrid 500, SMTP 451).
	Permanent bool
	// Status is the HTTP status, or for SMTP the reply code.
	Status int
	// Code is the Twilio error code; 0 picks one that fits Status.
	Code int
	// Message replaces the provider's error message.
	Message string
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string
	// Header holds more response headers (SendGrid's X-RateLimit-Reset).
	Header http.Header
	// Body, if set, replaces the provider's JSON error body verbatim (an
	// HTML page from a proxy, say).
	Body string
	// Hang makes the fake never answer, until the client gives up or the
	// test ends.
	Hang bool
}

// script numbers the sends a fake receives and holds the failures planned
// for some of them.
type script struct {
	mu       sync.Mutex
	attempts int
	fails    map[int]Failure
	down     *Failure      // while set, every send fails with it: the provider is down
	release  chan struct{} // closed when the test ends, to free hung sends
}

func (s *script) init() {
	s.fails = map[int]Failure{}
	s.release = make(chan struct{})
}

// FailNth makes the nth send the fake receives (counting from 1, failed
// ones included) fail with f.
func (s *script) FailNth(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[n] = f
}

// Down makes every send fail with f until Up: the provider is down for a stretch.
func (s *script) Down(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = &f
}

// Up ends a Down: sends are accepted again (or fail as FailNth plans).
func (s *script) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = nil
}

// Attempts returns how many sends the fake has received, failed ones
// included.
func (s *script) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// next counts a send and returns its number and its planned failure.
func (s *script) next() (int, Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.down != nil {
		return s.attempts, *s.down, true
	}
	f, ok := s.fails[s.attempts]
	return s.attempts, f, ok
}

// hang blocks until the client goes away or the test ends.
func (s *script) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.release:
	}
}

// writeRaw sets the failure's response headers and, when the failure has a
// raw Body, writes it with status and reports true: the response is done.
func (f Failure) writeRaw(w http.ResponseWriter, status int) bool {
	for k, vs := range f.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body == "" {
		return false
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	// The client may have gone; there is no one to tell.
	_, _ = io.WriteString(w, f.Body)
	return true
}

// stop frees hung sends; a fake registers it with t.Cleanup after the
// server's Close, so that it runs first.
func (s *script) stop() { close(s.release) }
