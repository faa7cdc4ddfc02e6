package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"membership/notify"
	"membership/notify/notifytest"
	"membership/notify/smtp"
)

func email() notify.Email {
	return notify.Email{
		To: "ada@example.org", ToName: "Ada Lovelace", Subject: "Your membership",
		Text: "Hello Ada", HTML: "<p>Hello Ada</p>",
		Headers: map[string]string{"List-Unsubscribe": "<https://club.example/u/1>"},
	}
}

func config(s *notifytest.SMTPSink, mode string) smtp.Config {
	return smtp.Config{
		Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password,
		TLS: mode, From: "My Dojo <dojo@example.org>", TLSConfig: s.ClientTLS(),
	}
}

func TestSendEmail(t *testing.T) {
	tests := []struct {
		name string
		mode string
		opts []notifytest.SMTPOption
	}{
		{"plain", smtp.NoTLS, nil},
		{"plain with auth on loopback", smtp.NoTLS, []notifytest.SMTPOption{notifytest.SMTPAuth("club", "s3cret")}},
		{"starttls with auth", smtp.StartTLS, []notifytest.SMTPOption{notifytest.SMTPStartTLS(), notifytest.SMTPAuth("club", "s3cret")}},
		{"implicit tls with auth", smtp.TLS, []notifytest.SMTPOption{notifytest.SMTPImplicitTLS(), notifytest.SMTPAuth("club", "s3cret")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := notifytest.NewSMTPSink(t, tc.opts...)
			c, err := smtp.New(config(sink, tc.mode))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			id, err := c.SendEmail(t.Context(), email())
			if err != nil {
				t.Fatalf("SendEmail: %v", err)
			}
			msgs := sink.Messages()
			if len(msgs) != 1 {
				t.Fatalf("sink got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			h := got.Header
			checks := []struct{ what, got, want string }{
				{"MAIL FROM", got.From, "dojo@example.org"},
				{"RCPT TO", got.To[0], "ada@example.org"},
				{"Message-ID", h.Get("Message-Id"), id},
				{"From", h.Get("From"), `"My Dojo" <dojo@example.org>`},
				{"To", h.Get("To"), `"Ada Lovelace" <ada@example.org>`},
				{"Subject", h.Get("Subject"), "Your membership"},
				{"List-Unsubscribe", h.Get("List-Unsubscribe"), "<https://club.example/u/1>"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			for _, part := range []string{"Hello Ada", "<p>Hello Ada</p>", "multipart/alternative"} {
				if !bytes.Contains(got.Data, []byte(part)) {
					t.Errorf("message lacks %q:\n%s", part, got.Data)
				}
			}
		})
	}
}

// TestSendEmailKeepsConnections: e-mails in a row share one connection — a refusal with a
// reply code, permanent or transient, leaves it usable — and an e-mail that cannot be built
// never reaches the server.
func TestSendEmailKeepsConnections(t *testing.T) {
	sink := notifytest.NewSMTPSink(t, notifytest.SMTPStartTLS(), notifytest.SMTPAuth("club", "s3cret"))
	sink.FailNth(2, notifytest.Failure{Permanent: true})
	sink.FailNth(3, notifytest.Failure{})
	c, err := smtp.New(config(sink, smtp.StartTLS))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	want := []struct {
		to            string
		ok, permanent bool
	}{
		{"member0@example.org", true, false},
		{"member1@example.org", false, true},
		{"member2@example.org", false, false},
		{"", false, true},
		{"member4@example.org", true, false},
	}
	var ids []string
	for i, w := range want {
		m := email()
		m.To = w.to
		id, err := c.SendEmail(t.Context(), m)
		switch {
		case w.ok && (err != nil || id == ""):
			t.Errorf("e-mail %d: %q, %v; want sent", i, id, err)
		case !w.ok && (err == nil || notify.IsPermanent(err) != w.permanent):
			t.Errorf("e-mail %d: %v, want an error, permanent %v", i, err, w.permanent)
		}
		if err == nil {
			ids = append(ids, id)
		}
	}
	msgs := sink.Messages()
	if len(msgs) != 2 || msgs[0].To[0] != "member0@example.org" || msgs[1].To[0] != "member4@example.org" {
		t.Fatalf("sink got %d messages (%v), want those to member0 and member4", len(msgs), msgs)
	}
	if got := msgs[1].Header.Get("Message-Id"); len(ids) != 2 || got != ids[1] {
		t.Errorf("Message-ID %q, returned %q", got, ids)
	}
	if n := sink.Connections(); n != 1 {
		t.Errorf("%d connections for five e-mails in a row, want 1", n)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitOpen(t, sink, 0)
}

// TestSendEmailStaleConnection: a kept connection the server has dropped meanwhile is
// replaced without the caller noticing, and connections unused for the idle timeout are
// closed.
func TestSendEmailStaleConnection(t *testing.T) {
	for _, opts := range [][]notifytest.SMTPOption{nil, {notifytest.SMTPNoPipelining()}} {
		sink := notifytest.NewSMTPSink(t, append(opts, notifytest.SMTPIdleTimeout(100*time.Millisecond))...)
		cfg := config(sink, smtp.NoTLS)
		cfg.IdleTimeout = time.Hour
		c, err := smtp.New(cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		for i := range 2 {
			if _, err := c.SendEmail(t.Context(), email()); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			// The sink drops the connection the client keeps.
			waitOpen(t, sink, 0)
		}
		if n, m := sink.Connections(), len(sink.Messages()); n != 2 || m != 2 {
			t.Errorf("%d connections, %d messages; want 2 of each", n, m)
		}
	}

	// The client's own idle timeout.
	sink := notifytest.NewSMTPSink(t)
	cfg := config(sink, smtp.NoTLS)
	cfg.IdleTimeout = 50 * time.Millisecond
	c, err := smtp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendEmail(t.Context(), email()); err != nil {
		t.Fatal(err)
	}
	waitOpen(t, sink, 0)
}

// waitOpen waits up to 5 s for the sink to have n connections open.
func waitOpen(t *testing.T, sink *notifytest.SMTPSink, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); sink.Open() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections open, want %d", sink.Open(), n)
		}
	}
}

func TestSendEmailErrors(t *testing.T) {
	tests := []struct {
		name      string
		opts      []notifytest.SMTPOption
		mode      string // empty: none
		password  string // empty: the sink's
		change    func(*notify.Email)
		fail      *notifytest.Failure
		cfgTO     time.Duration // Config.Timeout
		ctxTO     time.Duration
		permanent bool
		code      string
		status    int
	}{
		{name: "rejected address", fail: &notifytest.Failure{Permanent: true}, permanent: true, code: "5.1.1", status: 550},
		{name: "greylisted", fail: &notifytest.Failure{}, code: "4.3.0", status: 451},
		{name: "mailbox full", fail: &notifytest.Failure{Status: 452}, code: "4.0.0", status: 452},
		{name: "wrong password", opts: []notifytest.SMTPOption{notifytest.SMTPAuth("club", "s3cret")}, password: "wrong", permanent: true, code: "535", status: 535},
		{name: "no recipient", change: func(m *notify.Email) { m.To = "" }, permanent: true, code: "no_recipient"},
		{name: "malformed recipient", change: func(m *notify.Email) { m.To = "ada at example" }, permanent: true, code: "to"},
		{name: "malformed sender", change: func(m *notify.Email) { m.From = "dojo at example" }, permanent: true, code: "from"},
		{name: "no content", change: func(m *notify.Email) { m.Text, m.HTML = "", "" }, permanent: true, code: "content"},
		{name: "starttls not offered", mode: smtp.StartTLS, code: "network"},
		{name: "tls against plain server", mode: smtp.TLS, code: "network"},
		// A config timeout of an hour: only the context can end these sends.
		{name: "hung at rcpt, context deadline", fail: &notifytest.Failure{Hang: true}, cfgTO: time.Hour, ctxTO: 200 * time.Millisecond, code: "timeout"},
		{name: "hung at rcpt, config timeout", fail: &notifytest.Failure{Hang: true}, cfgTO: 200 * time.Millisecond, code: "timeout"},
	}
	for _, tc := range tests {
		for _, pipelining := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, pipelining %v", tc.name, pipelining), func(t *testing.T) {
				opts := tc.opts
				if !pipelining {
					opts = append(slices.Clip(opts), notifytest.SMTPNoPipelining())
				}
				sink := notifytest.NewSMTPSink(t, opts...)
				if tc.fail != nil {
					sink.FailNth(1, *tc.fail)
				}
				cfg := config(sink, tc.mode)
				if tc.mode == "" {
					cfg.TLS = smtp.NoTLS
				}
				if tc.password != "" {
					cfg.Password = tc.password
				}
				cfg.Timeout = tc.cfgTO
				m := email()
				if tc.change != nil {
					tc.change(&m)
				}
				assertError(t, cfg, m, tc.ctxTO, tc.permanent, tc.code, tc.status)
				if n := len(sink.Messages()); n != 0 {
					t.Errorf("sink kept %d messages, want none", n)
				}
			})
		}
	}
}

// TestSendEmailUnresponsiveServer covers servers that accept the
// connection and never greet, and addresses where nothing listens.
func TestSendEmailUnresponsiveServer(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		var held []net.Conn // never answered, closed with the listener's test
		for {
			conn, err := silent.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, conn)
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	tests := []struct {
		name  string
		port  int
		cfgTO time.Duration
		ctxTO time.Duration
		code  string
	}{
		{"no greeting, context deadline", silent.Addr().(*net.TCPAddr).Port, time.Hour, 200 * time.Millisecond, "timeout"},
		{"no greeting, config timeout", silent.Addr().(*net.TCPAddr).Port, 200 * time.Millisecond, 0, "timeout"},
		{"connection refused", closedPort, 0, 0, "network"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smtp.Config{Host: "127.0.0.1", Port: tc.port, TLS: smtp.NoTLS, From: "dojo@example.org", Timeout: tc.cfgTO}
			assertError(t, cfg, email(), tc.ctxTO, false, tc.code, 0)
		})
	}
}

func assertError(t *testing.T, cfg smtp.Config, m notify.Email, ctxTO time.Duration, permanent bool, code string, status int) {
	t.Helper()
	c, err := smtp.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = c.SendEmail(notifytest.Context(t, ctxTO), m)
	notifytest.WantError(t, err, notify.Error{Provider: "smtp", Code: code, Status: status, Permanent: permanent})
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     smtp.Config
		wantErr bool
	}{
		{"defaults", smtp.Config{Host: "mail.example"}, false},
		{"all modes", smtp.Config{Host: "mail.example", TLS: smtp.TLS}, false},
		{"no host", smtp.Config{}, true},
		{"unknown tls mode", smtp.Config{Host: "mail.example", TLS: "ssl"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := smtp.New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Errorf("New error = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func BenchmarkSendEmail(b *testing.B) {
	sink := notifytest.NewSMTPSink(b)
	c, err := smtp.New(config(sink, smtp.NoTLS))
	if err != nil {
		b.Fatal(err)
	}
	m := email()
	for b.Loop() {
		if _, err := c.SendEmail(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSendEmailPipelining: with PIPELINING an e-mail costs the client two writes (the
// commands, the message) and a refused one two (the commands, RSET); without it each
// command waits for its reply. A refused RCPT TO leaves the DATA reply to read; the
// connection serves the next e-mail either way.
func TestSendEmailPipelining(t *testing.T) {
	tests := []struct {
		name          string
		opts          []notifytest.SMTPOption
		sent, refused int // the client's writes for an accepted e-mail, a refused one
	}{
		{"pipelining", nil, 2, 2},
		{"no pipelining", []notifytest.SMTPOption{notifytest.SMTPNoPipelining()}, 4, 3},
		{"implicit tls, no pipelining", []notifytest.SMTPOption{notifytest.SMTPImplicitTLS(), notifytest.SMTPNoPipelining()}, 4, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := notifytest.NewSMTPSink(t, tc.opts...)
			sink.FailNth(2, notifytest.Failure{Permanent: true})
			sink.FailNth(3, notifytest.Failure{})
			mode := smtp.NoTLS
			if sink.ClientTLS() != nil {
				mode = smtp.TLS
			}
			c, err := smtp.New(config(sink, mode))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			sends := []struct {
				want   *notify.Error // nil: sent
				writes int
			}{
				{nil, -1}, // opens the connection
				{&notify.Error{Provider: "smtp", Code: "5.1.1", Status: 550, Permanent: true}, tc.refused},
				{&notify.Error{Provider: "smtp", Code: "4.3.0", Status: 451}, tc.refused},
				{nil, tc.sent},
				{nil, tc.sent},
			}
			for i, s := range sends {
				before := sink.Reads()
				_, err := c.SendEmail(t.Context(), email())
				switch {
				case s.want != nil:
					notifytest.WantError(t, err, *s.want)
				case err != nil:
					t.Fatalf("e-mail %d: %v", i, err)
				}
				if n := sink.Reads() - before; s.writes >= 0 && n != s.writes {
					t.Errorf("e-mail %d took %d writes, want %d", i, n, s.writes)
				}
			}
			if n, m := sink.Connections(), len(sink.Messages()); n != 1 || m != 3 {
				t.Errorf("%d connections, %d messages; want 1 and 3", n, m)
			}
		})
	}
}

// TestSendEmailCancelled: a send whose context ends while the server hangs returns at
// once and closes its connection; the next e-mail goes on a new one.
func TestSendEmailCancelled(t *testing.T) {
	for _, opts := range [][]notifytest.SMTPOption{nil, {notifytest.SMTPNoPipelining()}} {
		sink := notifytest.NewSMTPSink(t, opts...)
		sink.FailNth(2, notifytest.Failure{Hang: true})
		cfg := config(sink, smtp.NoTLS)
		cfg.Timeout = time.Hour
		c, err := smtp.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SendEmail(t.Context(), email()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err = c.SendEmail(ctx, email())
		notifytest.WantError(t, err, notify.Error{Provider: "smtp", Code: "network"})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v is not context.Canceled", err)
		}
		if _, err := c.SendEmail(t.Context(), email()); err != nil {
			t.Fatalf("after the cancelled send: %v", err)
		}
		if n, m := sink.Connections(), len(sink.Messages()); n != 2 || m != 2 {
			t.Errorf("%d connections, %d messages; want 2 of each", n, m)
		}
		c.Close()
		waitOpen(t, sink, 1) // the hung session ends with the test
	}
}

// TestSendEmailEncoding: non-ASCII names and subjects go as encoded words, long subjects
// are folded, bodies are quoted-printable; what a reader decodes is what was sent, and
// no line is longer than 78 characters.
func TestSendEmailEncoding(t *testing.T) {
	long := strings.Repeat("Grüße an alle Mitglieder = ", 12) // 300+ characters, an "="
	tests := []struct {
		name  string
		email notify.Email
	}{
		{"non-ASCII name and subject", notify.Email{To: "zoe@example.org", ToName: "Zoë Ünal", Subject: "Beitragserhöhung für" + strings.Repeat(" Jahresmitglieder", 8),
			Text: "Hallo Zoë,\nder Beitrag steigt.", HTML: "<p>Hallo Zoë</p>"}},
		{"long ASCII subject and long lines", notify.Email{To: "ada@example.org", ToName: `Ada "the Countess" Lovelace`, Subject: "Your" + strings.Repeat(" membership renewal", 6),
			Text: long, HTML: "<p>" + long + "</p>"}},
		{"text only", notify.Email{To: "ada@example.org", Subject: "Nur Text", Text: long}},
		{"HTML only", notify.Email{To: "ada@example.org", Subject: "Nur HTML", HTML: "<p>" + long + "</p>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := notifytest.NewSMTPSink(t)
			c, err := smtp.New(config(sink, smtp.NoTLS))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			m := tc.email
			if _, err := c.SendEmail(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			got := sink.Messages()[0]
			for i, line := range strings.Split(string(got.Data), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line %d has %d characters: %q", i, len(line), line)
				}
			}
			var dec mime.WordDecoder
			subject, err := dec.DecodeHeader(got.Header.Get("Subject"))
			if err != nil || subject != m.Subject {
				t.Errorf("Subject decodes to %q, %v; want %q", subject, err, m.Subject)
			}
			to, err := got.Header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != m.ToName || to[0].Address != m.To {
				t.Errorf("To %q parses to %v, %v", got.Header.Get("To"), to, err)
			}
			parts := map[string]string{}
			mediaType, params, err := mime.ParseMediaType(got.Header.Get("Content-Type"))
			if err != nil {
				t.Fatalf("Content-Type: %v", err)
			}
			body := got.Data[bytes.Index(got.Data, []byte("\r\n\r\n"))+4:]
			if mediaType == "multipart/alternative" {
				r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
				for {
					p, err := r.NextPart()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("part: %v", err)
					}
					b, err := io.ReadAll(p) // decodes quoted-printable
					if err != nil {
						t.Fatal(err)
					}
					parts[p.Header.Get("Content-Type")] = string(b)
				}
			} else {
				if cte := got.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
					t.Fatalf("Content-Transfer-Encoding %q", cte)
				}
				b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
				if err != nil {
					t.Fatal(err)
				}
				// The line break that ends the message is not the text's.
				parts[got.Header.Get("Content-Type")] = strings.TrimSuffix(string(b), "\r\n")
			}
			want := map[string]string{}
			if m.Text != "" {
				want["text/plain; charset=UTF-8"] = strings.ReplaceAll(m.Text, "\n", "\r\n")
			}
			if m.HTML != "" {
				want["text/html; charset=UTF-8"] = m.HTML
			}
			if !maps.Equal(parts, want) {
				t.Errorf("parts %q, want %q", parts, want)
			}
		})
	}
}

// TestSendEmailMessageIDs: Message-IDs sort in the order of the sends, and a header the
// client writes itself cannot be set by the caller.
func TestSendEmailMessageIDs(t *testing.T) {
	sink := notifytest.NewSMTPSink(t)
	c, err := smtp.New(config(sink, smtp.NoTLS))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var ids []string
	for range 50 {
		id, err := c.SendEmail(t.Context(), email())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := netmail.ParseAddress(strings.Trim(id, "<>")); err != nil || !strings.HasSuffix(id, "@example.org>") {
			t.Errorf("Message-ID %q is not an addr-spec at the sender's domain: %v", id, err)
		}
		ids = append(ids, id)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("Message-IDs not strictly increasing: %q", ids)
	}
	for _, h := range []string{"Message-ID", "subject", "Bad Name", ""} {
		m := email()
		m.Headers = map[string]string{h: "x"}
		_, err := c.SendEmail(t.Context(), m)
		notifytest.WantError(t, err, notify.Error{Provider: "smtp", Code: "header", Permanent: true})
	}
}
