// Package smtp sends e-mail through an SMTP submission server. go-mail
// (github.com/wneessen/go-mail) connects, greets, upgrades with STARTTLS and
// authenticates; the mail transaction itself — pipelined (RFC 2920) where
// the server offers it — is ours, on go-mail's text connection (see
// transaction.go).
package smtp

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/wneessen/go-mail"
)

// provider names SMTP in notify.Error.
const provider = "smtp"

// TLS modes of Config.TLS.
const (
	StartTLS = "starttls" // plain connection upgraded with STARTTLS, which must succeed
	TLS      = "tls"      // TLS from the first byte (port 465)
	NoTLS    = "none"     // no encryption: only for a relay on the same host
)

const (
	defaultTimeout     = 30 * time.Second
	defaultMaxIdle     = 8
	defaultIdleTimeout = 10 * time.Second
)

// Config is an SMTP server and the account to submit through.
type Config struct {
	Host string
	// Port 0 means the mode's standard port: 587, 465 or 25.
	Port     int
	Username string // empty: no authentication
	Password string
	// TLS is StartTLS (the default when empty), TLS or NoTLS.
	TLS string
	// From is the sender for e-mails that do not name one.
	From string
	// Timeout bounds each step of a send (connect, each command); 0 is 30 s.
	// The send's context bounds the whole.
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (a private CA, a test server);
	// nil means the system's roots and Host as the server name.
	TLSConfig *tls.Config
	// MaxIdle is how many connections are kept open between sends; 0 is
	// 8, a negative number keeps none.
	MaxIdle int
	// IdleTimeout is how long an unused connection is kept; 0 is 10 s,
	// well below what servers allow an idle client (RFC 5321: 5 minutes).
	IdleTimeout time.Duration
}

// Client sends e-mail over SMTP. Between sends it keeps up to MaxIdle
// connections open for a while (see pool.go), so that a run of e-mails — a
// campaign — pays for TCP, TLS, EHLO and AUTH once per connection rather
// than once per e-mail. It is safe for concurrent use; Close closes the
// connections it keeps.
type Client struct {
	cfg  Config
	tls  *tls.Config
	pool pool
	// lastSender is the From address last parsed (see sender).
	lastSender atomic.Pointer[sender]
}

// New returns a Client for cfg, or an error for a config that cannot work.
func New(cfg Config) (*Client, error) {
	if cfg.Host == "" {
		return nil, fmt.Errorf("smtp: host is required")
	}
	cfg.TLS = cmp.Or(cfg.TLS, StartTLS)
	standardPort := map[string]int{StartTLS: 587, TLS: 465, NoTLS: 25}[cfg.TLS]
	if standardPort == 0 {
		return nil, fmt.Errorf("smtp: tls %q is not one of %s, %s, %s", cfg.TLS, StartTLS, TLS, NoTLS)
	}
	cfg.Port = cmp.Or(cfg.Port, standardPort)
	cfg.Timeout = cmp.Or(cfg.Timeout, defaultTimeout)
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	tc.ServerName = cmp.Or(tc.ServerName, cfg.Host)
	c := &Client{cfg: cfg, tls: tc}
	c.pool.init(cmp.Or(cfg.MaxIdle, defaultMaxIdle), cmp.Or(cfg.IdleTimeout, defaultIdleTimeout))
	return c, nil
}

func (c *Client) options(dial mail.DialContextFunc) []mail.Option {
	opts := []mail.Option{
		mail.WithPort(c.cfg.Port),
		mail.WithTimeout(c.cfg.Timeout),
		mail.WithDialContextFunc(dial),
		mail.WithTLSConfig(c.tls),
		// A NOOP before each e-mail would cost a round trip; SendEmail
		// recognises a dropped connection by its MAIL FROM instead.
		mail.WithoutNoop(),
	}
	if c.cfg.TLS == StartTLS {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	} else {
		// For TLS, dial has already encrypted the connection.
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if c.cfg.Username != "" {
		// PLAIN and LOGIN refuse to send the password over an unencrypted
		// connection to anything but localhost.
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(c.cfg.Username), mail.WithPassword(c.cfg.Password))
	}
	return opts
}

// dial connects, with TLS from the start in TLS mode. go-mail does that
// itself only without a dial function of ours.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: c.cfg.Timeout}
	if c.cfg.TLS == TLS {
		return (&tls.Dialer{NetDialer: d, Config: c.tls}).DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}
