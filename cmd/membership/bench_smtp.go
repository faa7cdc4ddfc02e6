package main

import (
	"errors"
	"io"
	"log"
	"net"
	"sync/atomic"

	"github.com/emersion/go-smtp"
)

// smtpSink is an SMTP server on loopback that accepts every e-mail and keeps only a count:
// the far end of the bench's SMTP provider.
type smtpSink struct {
	srv      *smtp.Server
	host     string
	port     int
	received atomic.Int64
	sessions atomic.Int64 // one per connection: the sink offers no STARTTLS
}

func startSMTPSink() (*smtpSink, error) {
	s := &smtpSink{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.sessions.Add(1)
		return sinkSession{s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
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

// sinkSession takes one connection's e-mails.
type sinkSession struct{ sink *smtpSink }

func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }

func (ss sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ss.sink.received.Add(1)
	return nil
}
