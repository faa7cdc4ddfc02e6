package smtp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"

	"membership/notify"
)

// classify turns an error of a send or of go-mail's set-up into a
// *notify.Error: the server's reply code decides — 5xx permanent, 4xx
// transient — and an error without one (a dropped connection, a timeout) is
// transient.
func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		// Our AfterFunc closed the connection; the error go-mail saw is a
		// read on a closed socket, the reason is the context.
		return notify.TransportError(provider, fmt.Errorf("%w: %w", ctx.Err(), err))
	}
	var te *transactionError
	if errors.As(err, &te) {
		if te.code != 0 {
			return reply(te.code, te.enhanced, err)
		}
		return notify.TransportError(provider, err)
	}
	// Replies during the dial: greeting, EHLO, STARTTLS, AUTH (535).
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return reply(pe.Code, "", err)
	}
	return notify.TransportError(provider, err)
}

// reply builds the error for an SMTP reply code; Code is the enhanced
// status code (5.1.1) when the server sent one. err carries the server's
// text.
func reply(code int, enhanced string, err error) *notify.Error {
	return &notify.Error{
		Provider:  provider,
		Code:      cmp.Or(enhanced, strconv.Itoa(code)),
		Status:    code,
		Permanent: code >= 500,
		Err:       err,
		Hint:      hint(code, enhanced),
	}
}

// hint says what an admin can do about an SMTP reply, by its code (RFC 5321) and enhanced
// status code (RFC 3463).
func hint(code int, enhanced string) string {
	switch {
	case code == 535 || code == 534 || enhanced == "5.7.8":
		return "The mail server did not accept the login: check notify.email.smtp.username and notify.email.smtp.password."
	case code == 530 || enhanced == "5.7.0":
		return "The mail server wants a login or encryption first: set notify.email.smtp.username, notify.email.smtp.password and notify.email.smtp.tls (starttls or tls)."
	case enhanced == "5.1.1" || code == 550 && enhanced == "":
		return "The recipient's mail server does not know this address: check the member's e-mail address."
	case strings.HasPrefix(enhanced, "5.7.") || code == 553 || code == 554:
		return "The mail server refused the message or the sender: check that notify.email.from may send through this server."
	}
	return ""
}
