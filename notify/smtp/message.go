package smtp

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"membership/notify"
)

// message is an e-mail ready for a transaction: its envelope and its text
// as sent (before dot-stuffing, which the DATA writer does).
type message struct {
	from, to string // the envelope addresses
	utf8     bool   // an envelope address is not ASCII: MAIL FROM needs SMTPUTF8
	id       string // the Message-ID header's value, with its angle brackets
	data     *bytes.Buffer
}

// buffers recycles the buffers messages are written into: a campaign writes
// thousands of e-mails of about the same size.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// free returns the message's buffer for the next message.
func (msg *message) free() {
	msg.data.Reset()
	buffers.Put(msg.data)
	msg.data = nil
}

// ownHeaders are the header fields message writes itself; an extra header
// of the caller's by one of these names is refused rather than sent twice.
var ownHeaders = []string{"from", "to", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding"}

// message builds the MIME message and its Message-ID. It writes the MIME
// itself rather than through go-mail's Msg: the shape is always the same —
// a text part, an HTML part or both as multipart/alternative, each
// quoted-printable — and go-mail's generic builder cost a third of a send's
// CPU in allocations and formatting.
func (c *Client) message(m notify.Email) (*message, error) {
	if m.To == "" {
		return nil, notify.Invalid(provider, "no_recipient", "email has no recipient")
	}
	from, err := c.sender(cmp.Or(m.From, c.cfg.From))
	if err != nil {
		return nil, err
	}
	to, err := netmail.ParseAddress(m.To)
	if err == nil && (to.Name != "" || strings.ContainsAny(to.Address, "\r\n")) {
		err = fmt.Errorf("not a bare address")
	}
	if err != nil {
		return nil, notify.Invalid(provider, "to", fmt.Sprintf("recipient %q: %v", m.To, err))
	}
	to.Name = m.ToName
	if m.Text == "" && m.HTML == "" {
		return nil, notify.Invalid(provider, "content", "email has no content")
	}
	extra := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		if !validFieldName(k) || slices.Contains(ownHeaders, strings.ToLower(k)) {
			return nil, notify.Invalid(provider, "header", fmt.Sprintf("header %q cannot be set", k))
		}
		extra = append(extra, k)
	}
	slices.Sort(extra) // the same e-mail, the same bytes

	unique := messageID()
	msg := &message{
		from: from.address, to: to.Address,
		utf8: !isASCII(from.address) || !isASCII(to.Address),
		id:   "<" + unique + "@" + from.domain + ">",
		data: buffers.Get().(*bytes.Buffer),
	}
	b := msg.data
	writeField(b, "From", from.header)
	writeField(b, "To", to.String())
	writeField(b, "Subject", mime.QEncoding.Encode("UTF-8", m.Subject))
	b.WriteString("Date: ")
	b.Write(time.Now().AppendFormat(b.AvailableBuffer(), time.RFC1123Z))
	b.WriteString("\r\nMessage-ID: ")
	b.WriteString(msg.id)
	b.WriteString("\r\nMIME-Version: 1.0\r\n")
	for _, k := range extra {
		writeField(b, k, mime.QEncoding.Encode("UTF-8", m.Headers[k]))
	}
	if m.Text == "" || m.HTML == "" {
		writePart(b, cmp.Or(m.Text, m.HTML), m.Text == "")
		b.WriteString("\r\n")
		return msg, nil
	}
	// Quoted-printable writes every "=" as "=3D" or a soft line break, so a
	// boundary starting "=_" cannot occur in either part.
	boundary := "=_" + unique
	b.WriteString("Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n")
	b.WriteString("--" + boundary + "\r\n")
	writePart(b, m.Text, false)
	b.WriteString("\r\n--" + boundary + "\r\n")
	writePart(b, m.HTML, true)
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return msg, nil
}

// sender is a parsed From address.
type sender struct {
	raw     string // as configured or given
	address string // the addr-spec, for MAIL FROM
	header  string // as the From header has it
	domain  string // for Message-IDs
}

// sender parses the From address raw, or returns the last one parsed when
// it is the same: nearly every e-mail has the configured sender, and
// parsing and formatting it was a tenth of building a message.
func (c *Client) sender(raw string) (*sender, error) {
	if s := c.lastSender.Load(); s != nil && s.raw == raw {
		return s, nil
	}
	from, err := netmail.ParseAddress(raw)
	if err == nil && strings.ContainsAny(from.Address, "\r\n") {
		err = fmt.Errorf("line break in address")
	}
	if err != nil {
		return nil, notify.Invalid(provider, "from", fmt.Sprintf("sender %q: %v", raw, err))
	}
	s := &sender{raw: raw, address: from.Address, header: from.String(), domain: domainOf(from.Address)}
	c.lastSender.Store(s)
	return s, nil
}

// writePart writes the Content-Type and Content-Transfer-Encoding of a text
// or HTML part, the blank line and the body in quoted-printable, which keeps
// the message 7-bit (no BODY=8BITMIME needed) and its lines short.
func writePart(b *bytes.Buffer, body string, html bool) {
	if html {
		b.WriteString("Content-Type: text/html; charset=UTF-8\r\n")
	} else {
		b.WriteString("Content-Type: text/plain; charset=UTF-8\r\n")
	}
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(b)
	qp.Write([]byte(body)) // a bytes.Buffer does not fail
	qp.Close()
}

// writeField writes a header field, folded at its spaces (between encoded
// words, between words, after the colon) so that lines stay within 78
// characters where the value allows: a line with an encoded word within 76
// (RFC 2047, 2). Unfolding removes only the CRLFs, so the value is
// unchanged.
func writeField(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	line := len(name) + 1
	for word := range strings.SplitSeq(value, " ") {
		if line+1+len(word) > 76 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		line += 1 + len(word)
	}
	b.WriteString("\r\n")
}

// validFieldName reports whether name is an RFC 5322 field name: printable
// ASCII without a colon.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := range len(name) {
		if name[i] <= ' ' || name[i] > '~' || name[i] == ':' {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lastStamp is the timestamp of the last Message-ID made in this process.
var lastStamp atomic.Int64

// idEncoding keeps the order of the bytes it encodes: its alphabet is in
// ASCII order, and all ids are the same length.
var idEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// messageID returns the left-hand side of a new Message-ID: a nanosecond
// timestamp, strictly increasing within the process, then 80 random bits
// that keep ids of different processes apart. Ids sort by time, so the
// notices table's index on provider_message_id grows at its end instead of
// taking writes at random places.
func messageID() string {
	var b [18]byte
	now := time.Now().UnixNano()
	for {
		last := lastStamp.Load()
		now = max(now, last+1)
		if lastStamp.CompareAndSwap(last, now) {
			break
		}
	}
	binary.BigEndian.PutUint64(b[:8], uint64(now))
	rand.Read(b[8:]) // never fails (crypto/rand)
	return idEncoding.EncodeToString(b[:])
}

// domainOf returns the domain of an address, the right-hand side of a
// Message-ID that stays unique across senders.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}
