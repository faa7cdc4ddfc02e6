package twilio

import (
	"errors"
	"net/url"
	"strconv"
	"time"

	twclient "github.com/twilio/twilio-go/client"

	"membership/notify"
)

// permanentCode reports whether a Twilio error code
// (https://www.twilio.com/docs/api/errors) means the message can never be
// sent as it is.
func permanentCode(code int) bool {
	switch code {
	case 20003, // authentication failed
		21211, // invalid 'To' phone number
		21212, // invalid 'From' phone number
		21222, // account sid has illegal characters (checked by twilio-go)
		21224, // auth token has illegal characters (checked by twilio-go)
		21408, // sending to this region is not enabled
		21603, // no 'From' phone number
		21604, // no 'To' phone number
		21606, // 'From' number cannot send SMS
		21610, // recipient unsubscribed (replied STOP)
		21612, // 'To' cannot be reached from 'From'
		21614, // 'To' is not a mobile number
		21617: // body exceeds 1600 characters
		return true
	}
	return false
}

// hints say what an admin can do about a Twilio error code: the configuration key or the
// member's field to fix. Codes without one show Twilio's own message alone.
var hints = map[int]string{
	20003: "Twilio did not accept the account: check notify.sms.twilio.account_sid and notify.sms.twilio.auth_token against the Twilio console.",
	21222: "The account SID in notify.sms.twilio.account_sid has characters Twilio never issues (it is AC and 32 hex digits): copy it again from the Twilio console.",
	21224: "The auth token in notify.sms.twilio.auth_token has characters Twilio never issues (32 hex digits): copy it again from the Twilio console.",
	21211: "The member's phone number is not a valid number: correct it on the member's page.",
	21212: "The sender in notify.sms.twilio.from is not a valid number or sender id of this account.",
	21408: "Sending to this country is off for the account: allow it under Messaging → Geo permissions in the Twilio console.",
	21603: "No sender is set: give notify.sms.twilio.from or notify.sms.twilio.messaging_service_sid.",
	21606: "The number in notify.sms.twilio.from cannot send SMS: pick an SMS-capable number of the account.",
	21610: "The member replied STOP: Twilio sends them nothing until they reply START.",
	21612: "Twilio cannot reach this number from the configured sender: try a messaging service (notify.sms.twilio.messaging_service_sid).",
	21614: "The member's number is no mobile number: SMS cannot reach it.",
	21617: "The text is longer than 1,600 characters: shorten the message.",
}

// codeTooManyRequests is Twilio's code for "too many requests".
const codeTooManyRequests = 20429

// classify turns what CreateMessage returned into a *notify.Error. last is
// the response the transport saw (zero when none arrived).
func classify(err error, last response, now time.Time) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return notify.TransportError(provider, err)
	}
	e := &notify.Error{Provider: provider, Status: last.status, Err: err}
	var re *twclient.TwilioRestError
	if errors.As(err, &re) {
		e.Code = strconv.Itoa(re.Code)
		e.Message = re.Message
		e.Err = nil // the fields above say all it says
		if re.Status != 0 {
			e.Status = re.Status
		}
	}
	// 20429 comes with status 429 and is transient like it; a status of 0
	// (no response) or 2xx (an undecodable success) is worth a retry too.
	code := codeOf(re)
	e.Permanent = permanentCode(code) || (code != codeTooManyRequests && notify.PermanentStatus(e.Status))
	if !e.Permanent {
		e.RetryAfter = notify.ParseRetryAfter(last.retryAfter, now)
	}
	e.Hint = hints[code]
	return e
}

func codeOf(re *twclient.TwilioRestError) int {
	if re == nil {
		return 0
	}
	return re.Code
}
