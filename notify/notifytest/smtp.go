package notifytest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPMessage is an e-mail the SMTP sink accepted.
type SMTPMessage struct {
	From   string   // MAIL FROM
	To     []string // RCPT TO
	Data   []byte   // the message as sent: headers and MIME body
	Header mail.Header
}

// SMTPSink is an SMTP server on 127.0.0.1 that keeps what it is sent. By
// default it speaks plain SMTP without authentication; see the SMTP…
// options. A planned Failure is answered to RCPT TO: Status is the reply
// code (default 451, or 550 when Permanent).
type SMTPSink struct {
	Host string // 127.0.0.1
	Port int
	// Username and Password are what AUTH PLAIN must present, when set.
	Username string
	Password string

	script
	clientTLS *tls.Config
	msgs      record[SMTPMessage]
	conns     atomic.Int64 // accepted
	open      atomic.Int64 // accepted and not yet closed
	reads     atomic.Int64 // reads that returned data
}

// SMTPOption configures an SMTPSink.
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	user, pass         string
	startTLS, implicit bool
	idleTimeout        time.Duration
	noPipelining       bool
}

// SMTPAuth makes the sink require AUTH PLAIN with user and pass.
func SMTPAuth(user, pass string) SMTPOption {
	return func(o *smtpOptions) { o.user, o.pass = user, pass }
}

// SMTPStartTLS makes the sink offer STARTTLS with a self-signed certificate
// that ClientTLS trusts.
func SMTPStartTLS() SMTPOption { return func(o *smtpOptions) { o.startTLS = true } }

// SMTPImplicitTLS makes the sink speak TLS from the first byte, as on port
// 465, with a self-signed certificate that ClientTLS trusts.
func SMTPImplicitTLS() SMTPOption { return func(o *smtpOptions) { o.implicit = true } }

// SMTPIdleTimeout makes the sink drop a connection that has sent nothing for
// d, as servers drop idle clients.
func SMTPIdleTimeout(d time.Duration) SMTPOption {
	return func(o *smtpOptions) { o.idleTimeout = d }
}

// SMTPNoPipelining makes the sink leave PIPELINING (RFC 2920) out of its
// EHLO reply, as servers without it do. go-smtp always offers it, so the
// sink takes the line out of what it writes: on plain and implicit-TLS
// sinks, not after STARTTLS.
func SMTPNoPipelining() SMTPOption { return func(o *smtpOptions) { o.noPipelining = true } }

// NewSMTPSink starts an SMTP sink that lives until the test ends.
func NewSMTPSink(t testing.TB, opts ...SMTPOption) *SMTPSink {
	t.Helper()
	var o smtpOptions
	for _, opt := range opts {
		opt(&o)
	}
	s := &SMTPSink{Username: o.user, Password: o.pass}
	s.script.init()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	// The sink runs on loopback, where credentials in clear text are no
	// exposure; the client side is what decides whether to send them.
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = o.idleTimeout

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp sink: listen: %v", err)
	}
	if o.startTLS || o.implicit {
		var serverTLS *tls.Config
		serverTLS, s.clientTLS = selfSigned(t)
		srv.TLSConfig = serverTLS
		if o.implicit {
			l = tls.NewListener(l, serverTLS)
		}
	}
	l = countingListener{Listener: l, accepted: &s.conns, open: &s.open, reads: &s.reads, noPipelining: o.noPipelining}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp sink: serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("smtp sink: close: %v", err)
		}
	})
	t.Cleanup(s.stop)
	return s
}

// countingListener counts the connections it accepts, those still open and
// the reads on them.
type countingListener struct {
	net.Listener
	accepted, open, reads *atomic.Int64
	noPipelining          bool
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted.Add(1)
	l.open.Add(1)
	return &countedConn{Conn: c, open: l.open, reads: l.reads, noPipelining: l.noPipelining}, nil
}

type countedConn struct {
	net.Conn
	open, reads  *atomic.Int64
	noPipelining bool
	once         sync.Once
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.reads.Add(1)
	}
	return n, err
}

// pipeliningLine is the line of go-smtp's EHLO reply that offers PIPELINING;
// it is never the last line, and go-smtp writes a reply in one piece.
var pipeliningLine = []byte("250-PIPELINING\r\n")

func (c *countedConn) Write(p []byte) (int, error) {
	if !c.noPipelining || !bytes.Contains(p, pipeliningLine) {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(bytes.Replace(p, pipeliningLine, nil, 1)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// Connections returns how many connections clients have opened.
func (s *SMTPSink) Connections() int { return int(s.conns.Load()) }

// Open returns how many connections are open now.
func (s *SMTPSink) Open() int { return int(s.open.Load()) }

// Reads returns how many reads on the sink's connections returned data:
// how many writes of the clients arrived apart, the round trips when a
// client waits for each reply before writing on.
func (s *SMTPSink) Reads() int { return int(s.reads.Load()) }

// Addr returns host:port.
func (s *SMTPSink) Addr() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

// ClientTLS returns a TLS config that trusts the sink's certificate, or nil
// for a sink without TLS.
func (s *SMTPSink) ClientTLS() *tls.Config {
	if s.clientTLS == nil {
		return nil
	}
	return s.clientTLS.Clone()
}

// Messages returns the e-mails accepted so far, oldest first.
func (s *SMTPSink) Messages() []SMTPMessage { return s.msgs.all() }

// smtpSession is one client connection; a transaction runs from MAIL FROM
// to the end of DATA or a reset.
type smtpSession struct {
	sink   *SMTPSink
	authed bool
	from   string
	to     []string
	fail   *Failure
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.sink.Username || pass != ss.sink.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	_, f, failing := ss.sink.next()
	ss.from, ss.to, ss.fail = from, nil, nil
	if failing {
		ss.fail = &f
	}
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := ss.fail; f != nil {
		if f.Hang {
			<-ss.sink.release
		}
		return smtpFailure(*f)
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed message: " + err.Error()}
	}
	ss.sink.msgs.add(SMTPMessage{From: ss.from, To: ss.to, Data: data, Header: msg.Header})
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to, ss.fail = "", nil, nil }

func (ss *smtpSession) Logout() error { return nil }

// smtpFailure is the reply for a planned failure.
func smtpFailure(f Failure) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Requested action aborted: try again later"}
	if f.Permanent {
		e = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}
	}
	if f.Status != 0 {
		e.Code = f.Status
		e.EnhancedCode = smtp.EnhancedCode{f.Status / 100, 0, 0}
	}
	if f.Message != "" {
		e.Message = f.Message
	}
	return e
}
