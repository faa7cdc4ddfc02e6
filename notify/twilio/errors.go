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
	return e
}

func codeOf(re *twclient.TwilioRestError) int {
	if re == nil {
		return 0
	}
	return re.Code
}
