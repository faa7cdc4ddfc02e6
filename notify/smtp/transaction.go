package smtp

import (
	"errors"
	"net/textproto"
	"strings"
	"time"
)

// The steps of a mail transaction, as transactionError names them.
const (
	stepMail = "MAIL FROM"
	stepRcpt = "RCPT TO"
	stepData = "DATA"
	stepBody = "end of data"
	stepRset = "RSET"
)

// transactionError is a step of the mail transaction that failed: refused
// with a reply code, or without one when the connection failed.
type transactionError struct {
	step     string
	code     int    // the reply code; 0 without a reply
	enhanced string // the enhanced status code (5.1.1), when the server sends them
	err      error  // *textproto.Error, or the network error
}

func (e *transactionError) Error() string { return "smtp: " + e.step + ": " + e.err.Error() }

func (e *transactionError) Unwrap() error { return e.err }

// stale reports whether the error says that a kept connection was dropped
// before this e-mail: MAIL FROM, the first step, found no server or a 421
// (closing). Nothing of the e-mail has been accepted then.
func (e *transactionError) stale() bool {
	return e.step == stepMail && (e.code == 0 || e.code == 421)
}

// transact runs one mail transaction on the connection. With PIPELINING
// (RFC 2920) MAIL FROM, RCPT TO and DATA go in one write and their three
// replies are read after it: two round trips per e-mail, the commands and
// the message. Without it each command waits for its reply: four. A refusal
// with a reply code resets the transaction (RSET), so that the connection
// serves the next e-mail.
func (cn *conn) transact(msg *message) error {
	t := cn.sc.Text
	if err := cn.net.SetDeadline(time.Now().Add(cn.timeout)); err != nil {
		return &transactionError{step: stepMail, err: err}
	}
	w := t.W
	w.WriteString("MAIL FROM:<")
	w.WriteString(msg.from)
	w.WriteString(">")
	if msg.utf8 && cn.smtputf8 {
		w.WriteString(" SMTPUTF8")
	}
	w.WriteString("\r\n")
	if cn.pipelining {
		w.WriteString("RCPT TO:<" + msg.to + ">\r\nDATA\r\n")
		if err := w.Flush(); err != nil {
			return &transactionError{step: stepMail, err: err}
		}
		mailErr := cn.reply(stepMail, 250)
		if mailErr != nil && mailErr.stale() {
			return mailErr // the server is gone or going: the other replies will not come
		}
		rcptErr := cn.reply(stepRcpt, 25)
		dataErr := cn.reply(stepData, 354)
		for _, err := range []*transactionError{mailErr, rcptErr, dataErr} {
			if err != nil && err.code == 0 {
				return err // the connection failed
			}
		}
		if mailErr != nil || rcptErr != nil {
			if dataErr == nil {
				// A server that accepts DATA after refusing the envelope
				// gets an empty message it will refuse (RFC 2920, 3.1).
				if err := cn.body(nil); err != nil && err.code == 0 {
					return err
				}
			}
			return cn.reset(cmpErr(mailErr, rcptErr))
		}
		if dataErr != nil {
			return cn.reset(dataErr)
		}
	} else {
		steps := []struct {
			step, cmd string
			expect    int
		}{{stepMail, "", 250}, {stepRcpt, "RCPT TO:<" + msg.to + ">", 25}, {stepData, "DATA", 354}}
		for i, s := range steps {
			if i > 0 {
				if err := cn.net.SetDeadline(time.Now().Add(cn.timeout)); err != nil {
					return &transactionError{step: s.step, err: err}
				}
				w.WriteString(s.cmd + "\r\n")
			}
			if err := w.Flush(); err != nil {
				return &transactionError{step: s.step, err: err}
			}
			if err := cn.reply(s.step, s.expect); err != nil {
				if err.code == 0 {
					return err
				}
				return cn.reset(err)
			}
		}
	}
	if err := cn.net.SetDeadline(time.Now().Add(cn.timeout)); err != nil {
		return &transactionError{step: stepBody, err: err}
	}
	if err := cn.body(msg.data.Bytes()); err != nil {
		// After the final reply the transaction is over, accepted or
		// not: the server is ready for the next MAIL FROM.
		return err
	}
	return nil
}

// body writes data dot-stuffed, ends it with ".", and reads the reply.
func (cn *conn) body(data []byte) *transactionError {
	dw := cn.sc.Text.DotWriter()
	_, err := dw.Write(data)
	if cerr := dw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return &transactionError{step: stepBody, err: err}
	}
	return cn.reply(stepBody, 250)
}

// reset sends RSET after err, a refusal, and returns err. A failed RSET
// spoils the connection.
func (cn *conn) reset(err *transactionError) error {
	t := cn.sc.Text
	if derr := cn.net.SetDeadline(time.Now().Add(cn.timeout)); derr == nil {
		t.W.WriteString("RSET\r\n")
		if derr = t.W.Flush(); derr == nil {
			if rerr := cn.reply(stepRset, 250); rerr == nil {
				return err
			}
		}
	}
	cn.spoiled = true
	return err
}

// reply reads the reply to step; nil when its code is the expected one
// (expect 25 accepts 250 and 251).
func (cn *conn) reply(step string, expect int) *transactionError {
	_, _, err := cn.sc.Text.ReadResponse(expect)
	if err == nil {
		return nil
	}
	e := &transactionError{step: step, err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		e.code = te.Code
		if cn.enhanced {
			e.enhanced = enhancedCode(te.Code, te.Msg)
		}
	}
	return e
}

// enhancedCode returns the enhanced status code (RFC 3463) that starts an
// SMTP reply's text (RFC 2034), or "" when it does not start with one of
// the reply code's class.
func enhancedCode(code int, text string) string {
	field, _, _ := strings.Cut(text, " ")
	class, rest, ok := strings.Cut(field, ".")
	subject, detail, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(class) != 1 || int(class[0]-'0') != code/100 || !digits(subject) || !digits(detail) {
		return ""
	}
	return field
}

// digits reports whether s is one to three decimal digits.
func digits(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmpErr returns the first of errs that is not nil.
func cmpErr(errs ...*transactionError) *transactionError {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
