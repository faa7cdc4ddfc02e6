package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpSink is an SMTP server on loopback that accepts every e-mail and keeps what the bench
// reports: how many of the campaign's e-mails arrived, to whom how often, and when the first
// and the last came. Other e-mails (a serving child's fee reminders) are counted apart, by their
// subject, so that they are never taken for repeats.
type smtpSink struct {
	srv      *smtp.Server
	host     string
	port     int
	subject  string       // the campaign's e-mails have a subject starting with this
	sessions atomic.Int64 // one per connection: the sink offers no STARTTLS

	mu          sync.Mutex
	received    int
	others      int
	first, last time.Time
	perRcpt     map[string]int
}

func startSMTPSink(subjectPrefix string) (*smtpSink, error) {
	s := &smtpSink{subject: subjectPrefix, perRcpt: make(map[string]int)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.sessions.Add(1)
		return &sinkSession{sink: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: smtp sink: %w", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	s.host, s.port = addr.IP.String(), addr.Port
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			log.Printf("bench smtp sink: %v", err)
		}
	}()
	return s, nil
}

func (s *smtpSink) close() { _ = s.srv.Close() }

// take records one e-mail to rcpts; campaign tells whether it is one of the campaign's.
func (s *smtpSink) take(rcpts []string, campaign bool) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !campaign {
		s.others++
		return
	}
	s.received++
	if s.first.IsZero() {
		s.first = now
	}
	s.last = now
	for _, r := range rcpts {
		s.perRcpt[strings.ToLower(r)]++
	}
}

// sinkStats is what the sink saw of the campaign.
type sinkStats struct {
	received, others int
	sessions         int64
	span             time.Duration // from the first e-mail to the last
	perRcpt          map[string]int
}

func (s *smtpSink) stats() sinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	per := make(map[string]int, len(s.perRcpt))
	for k, v := range s.perRcpt {
		per[k] = v
	}
	return sinkStats{received: s.received, others: s.others, sessions: s.sessions.Load(), span: s.last.Sub(s.first), perRcpt: per}
}

// repeated is how many recipients got the campaign's e-mail more than once.
func (st sinkStats) repeated() int {
	n := 0
	for _, c := range st.perRcpt {
		if c > 1 {
			n++
		}
	}
	return n
}

// lost is how many of the addresses never got the campaign's e-mail.
func (st sinkStats) lost(addrs []string) int {
	n := 0
	for _, a := range addrs {
		if st.perRcpt[strings.ToLower(a)] == 0 {
			n++
		}
	}
	return n
}

// report prints the sink's lines: the count, connections and span, and the repeats.
func (st sinkStats) report(w io.Writer) {
	rate := 0.0
	if st.span > 0 {
		rate = float64(st.received) / st.span.Seconds()
	}
	fmt.Fprintf(w, "smtp sink: %d e-mails over %d connections, first to last %.3f s (%.0f/s)\n", st.received, st.sessions, st.span.Seconds(), rate)
	fmt.Fprintf(w, "duplicates: %d recipients got more than one\n", st.repeated())
	if st.others > 0 {
		fmt.Fprintf(w, "smtp sink: %d other e-mails (not the campaign's subject)\n", st.others)
	}
}

// sinkSession takes one connection's e-mails.
type sinkSession struct {
	sink  *smtpSink
	rcpts []string
}

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, to)
	return nil
}
func (ss *sinkSession) Reset()     { ss.rcpts = ss.rcpts[:0] }
func (*sinkSession) Logout() error { return nil }

func (ss *sinkSession) Data(r io.Reader) error {
	br := bufio.NewReader(r)
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		subject = h.Get("Subject")
	}
	ss.sink.take(ss.rcpts, strings.HasPrefix(subject, ss.sink.subject))
	return nil
}
