package smtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"membership/notify"
)

// SendEmail submits m and returns the Message-ID header it gave the e-mail
// (with its angle brackets), which bounces and replies refer to. A refusal
// comes back as a *notify.Error: permanent for a 5xx reply (a rejected
// address, bad credentials), transient for a 4xx reply and for network
// failures and timeouts.
//
// It sends on a kept connection when there is one. A kept connection whose
// MAIL FROM fails without a reply, or with 421 (the server dropped it
// meanwhile), has carried nothing of the e-mail, so the e-mail goes out on
// the next one instead. That costs no round trip, unlike a NOOP check
// before each e-mail.
func (c *Client) SendEmail(ctx context.Context, m notify.Email) (string, error) {
	msg, err := c.message(m)
	if err != nil {
		return "", err
	}
	defer msg.free()
	for {
		cn, kept := c.pool.take(), true
		if cn == nil {
			if cn, err = c.open(ctx); err != nil {
				return "", err
			}
			kept = false
		}
		err := cn.send(ctx, msg)
		if err == nil {
			c.pool.put(cn)
			return msg.id, nil
		}
		var te *transactionError
		isTE := errors.As(err, &te)
		if kept && isTE && te.stale() && ctx.Err() == nil {
			cn.close()
			continue
		}
		// A refusal with a reply code leaves the connection usable: the
		// transaction has been reset. Anything else has broken it.
		if isTE && te.code != 0 && te.code != 421 && !cn.broken() {
			c.pool.put(cn)
		} else {
			cn.close()
		}
		return "", classify(ctx, cn.explain(err))
	}
}

// Close closes the connections the client keeps. Sends after Close open
// connections of their own and close them when done.
func (c *Client) Close() error {
	c.pool.shut()
	return nil
}

// open dials, greets, upgrades and authenticates a new connection.
func (c *Client) open(ctx context.Context) (*conn, error) {
	// Set by go-mail's dial, read by the AfterFunc below on another goroutine.
	var dialed atomic.Pointer[watchedConn]
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := c.dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		w := &watchedConn{Conn: nc}
		dialed.Store(w)
		return w, nil
	}
	mc, err := mail.NewClient(c.cfg.Host, c.options(dial)...)
	if err != nil {
		return nil, fmt.Errorf("smtp: configure client: %w", err)
	}
	// go-mail's context bounds only the dial; closing the connection when
	// ctx ends makes the rest of the set-up honour ctx too.
	stop := context.AfterFunc(ctx, func() {
		if w := dialed.Load(); w != nil {
			w.Close()
		}
	})
	sc, err := mc.DialToSMTPClientWithContext(ctx)
	stop()
	cn := &conn{net: dialed.Load(), timeout: c.cfg.Timeout}
	if err != nil {
		if cn.net != nil {
			cn.net.Close()
		}
		return nil, classify(ctx, cn.explain(err))
	}
	cn.mc, cn.sc = mc, sc
	cn.pipelining, _ = sc.Extension("PIPELINING")
	cn.enhanced, _ = sc.Extension("ENHANCEDSTATUSCODES")
	cn.smtputf8, _ = sc.Extension("SMTPUTF8")
	return cn, nil
}

// conn is one open SMTP session.
type conn struct {
	mc        *mail.Client
	sc        *gosmtp.Client
	net       *watchedConn
	timeout   time.Duration
	idleSince time.Time
	// What the server's EHLO offered.
	pipelining, enhanced, smtputf8 bool
	// spoiled: the session is in a state we cannot vouch for (a failed
	// RSET), so it is not kept.
	spoiled bool
}

// send submits msg on the connection. Closing the connection when ctx ends
// makes the send honour ctx; each step has cn.timeout besides.
func (cn *conn) send(ctx context.Context, msg *message) error {
	stop := context.AfterFunc(ctx, func() { cn.net.Close() })
	err := cn.transact(msg)
	if !stop() {
		cn.net.closed.Store(true)
	}
	return err
}

// broken reports whether the connection can no longer be used: closed
// because ctx ended, or past a timeout.
func (cn *conn) broken() bool {
	return cn.spoiled || cn.net.closed.Load() || cn.net.timedOut.Load()
}

// explain adds the timeout to err when the connection ran into one: go-mail's
// errors during the set-up do not always wrap the network error, so the
// timeout they hide would otherwise pass as a mere network failure.
func (cn *conn) explain(err error) error {
	if cn.net != nil && cn.net.timedOut.Load() {
		return fmt.Errorf("%w: %w", os.ErrDeadlineExceeded, err)
	}
	return err
}

// close ends the session with QUIT when the connection still works, and
// closes it.
func (cn *conn) close() {
	if !cn.broken() {
		// The messages sent on it are the server's by now: a QUIT that
		// fails changes nothing about them.
		_ = cn.sc.UpdateDeadline(time.Second)
		_ = cn.mc.CloseWithSMTPClient(cn.sc)
	}
	cn.net.Close()
}

// watchedConn remembers whether the connection ran into its deadline or was
// closed by us.
type watchedConn struct {
	net.Conn
	timedOut atomic.Bool
	closed   atomic.Bool
}

func (w *watchedConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.watch(err)
	return n, err
}

func (w *watchedConn) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.watch(err)
	return n, err
}

func (w *watchedConn) Close() error {
	w.closed.Store(true)
	return w.Conn.Close()
}

func (w *watchedConn) watch(err error) {
	if err == nil {
		return // before errors.As, whose target would cost an allocation per read
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		w.timedOut.Store(true)
	}
}

// pool keeps idle connections, the most recently used last, and closes
// those unused for longer than idleTimeout.
type pool struct {
	mu          sync.Mutex
	idle        []*conn
	maxIdle     int
	idleTimeout time.Duration
	reaper      *time.Timer
	shutDown    bool
}

func (p *pool) init(maxIdle int, idleTimeout time.Duration) {
	p.maxIdle, p.idleTimeout = maxIdle, idleTimeout
}

// take returns the most recently used idle connection, or nil.
func (p *pool) take() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	cn := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return cn
}

// put keeps cn for the next send, or closes it when the pool is full or
// shut.
func (p *pool) put(cn *conn) {
	p.mu.Lock()
	if p.shutDown || len(p.idle) >= p.maxIdle || cn.broken() {
		p.mu.Unlock()
		cn.close()
		return
	}
	cn.idleSince = time.Now()
	p.idle = append(p.idle, cn)
	if p.reaper == nil {
		p.reaper = time.AfterFunc(p.idleTimeout, p.reap)
	}
	p.mu.Unlock()
}

// reap closes the connections idle for idleTimeout and comes back for the
// rest while any are left.
func (p *pool) reap() {
	p.mu.Lock()
	var old []*conn
	cutoff := time.Now().Add(-p.idleTimeout)
	keep := p.idle[:0]
	for _, cn := range p.idle {
		if cn.idleSince.After(cutoff) {
			keep = append(keep, cn)
		} else {
			old = append(old, cn)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.reaper = nil
	if len(p.idle) > 0 {
		p.reaper = time.AfterFunc(time.Until(p.idle[0].idleSince.Add(p.idleTimeout)), p.reap)
	}
	p.mu.Unlock()
	for _, cn := range old {
		cn.close()
	}
}

// shut closes every idle connection and keeps none from now on.
func (p *pool) shut() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.shutDown = nil, true
	if p.reaper != nil {
		p.reaper.Stop()
	}
	p.mu.Unlock()
	for _, cn := range idle {
		cn.close()
	}
}

// compile-time check that Client is an EmailSender.
var _ notify.EmailSender = (*Client)(nil)
