package notifytest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"membership/notify"
)

// e164 is what Twilio accepts as a 'To' number.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// TwilioMessage is a message the Twilio fake accepted.
type TwilioMessage struct {
	SID                 string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	Segments            int
}

// TwilioFake is Twilio's Messages API (POST
// /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, Basic auth) on a
// local port. Point a twilio.Client's BaseURL at URL.
type TwilioFake struct {
	URL        string
	AccountSID string
	AuthToken  string

	script
	msgs record[TwilioMessage]
}

// NewTwilio starts a Twilio fake that lives until the test ends.
func NewTwilio(t testing.TB) *TwilioFake {
	t.Helper()
	f := &TwilioFake{
		AccountSID: "AC0123456789abcdef0123456789abcdef",
		AuthToken:  "0123456789abcdef0123456789abcdef",
	}
	f.URL = f.serveHTTP(t, "POST /2010-04-01/Accounts/{sid}/Messages.json", f.createMessage)
	return f
}

// Messages returns the messages accepted so far, oldest first.
func (f *TwilioFake) Messages() []TwilioMessage { return f.msgs.all() }

// SignWebhook returns the X-Twilio-Signature Twilio would send with a
// webhook request to fullURL carrying the form params, signed with the
// fake's AuthToken: HMAC-SHA1 over the URL followed by each parameter name
// and value, names sorted, a repeated name once per sorted value.
func (f *TwilioFake) SignWebhook(fullURL string, params url.Values) string {
	s := fullURL
	for _, k := range slices.Sorted(maps.Keys(params)) {
		vs := slices.Clone(params[k])
		slices.Sort(vs)
		for _, v := range slices.Compact(vs) {
			s += k + v
		}
	}
	mac := hmac.New(sha1.New, []byte(f.AuthToken))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (f *TwilioFake) createMessage(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.AccountSID || pass != f.AuthToken || r.PathValue("sid") != f.AccountSID {
		twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	n, fail, failing := f.next()
	if failing {
		f.fail(w, r, fail)
		return
	}
	if err := r.ParseForm(); err != nil {
		twilioError(w, http.StatusBadRequest, 20001, "Could not parse form: "+err.Error())
		return
	}
	m := TwilioMessage{
		SID:                 fmt.Sprintf("SM%032x", n),
		To:                  r.PostForm.Get("To"),
		From:                r.PostForm.Get("From"),
		MessagingServiceSID: r.PostForm.Get("MessagingServiceSid"),
		Body:                r.PostForm.Get("Body"),
		StatusCallback:      r.PostForm.Get("StatusCallback"),
	}
	switch {
	case m.To == "":
		twilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(m.To):
		twilioError(w, http.StatusBadRequest, 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", m.To))
		return
	case m.From == "" && m.MessagingServiceSID == "":
		twilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case m.Body == "":
		twilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	}
	m.Segments = notify.Segments(m.Body)
	f.msgs.add(m)
	writeJSON(w, http.StatusCreated, f.resource(m))
}

// resource is the message as Twilio's API returns it on creation.
func (f *TwilioFake) resource(m TwilioMessage) map[string]any {
	now := time.Now().UTC().Format(time.RFC1123Z)
	uri := "/2010-04-01/Accounts/" + f.AccountSID + "/Messages/" + m.SID
	status, from, msid := "queued", any(m.From), any(nil)
	if m.MessagingServiceSID != "" {
		status, msid = "accepted", m.MessagingServiceSID
		if m.From == "" {
			from = nil
		}
	}
	return map[string]any{
		"account_sid": f.AccountSID, "api_version": "2010-04-01", "body": m.Body,
		"date_created": now, "date_sent": nil, "date_updated": now,
		"direction": "outbound-api", "error_code": nil, "error_message": nil,
		"from": from, "messaging_service_sid": msid, "num_media": "0",
		"num_segments": fmt.Sprint(m.Segments), "price": nil, "price_unit": "USD",
		"sid": m.SID, "status": status, "to": m.To, "uri": uri + ".json",
		"subresource_uris": map[string]string{"media": uri + "/Media.json"},
	}
}

func (f *TwilioFake) fail(w http.ResponseWriter, r *http.Request, fail Failure) {
	if fail.Hang {
		f.hang(r)
		return
	}
	status, code, msg := fail.Status, fail.Code, fail.Message
	if status == 0 {
		status, code = http.StatusServiceUnavailable, 20503
		if fail.Permanent {
			status, code = http.StatusBadRequest, 21211
		}
	}
	if code == 0 {
		code = twilioCode(status)
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if fail.writeRaw(w, status) {
		return
	}
	twilioError(w, status, code, msg)
}

// twilioCode picks the Twilio error code that goes with an HTTP status.
func twilioCode(status int) int {
	switch {
	case status == http.StatusUnauthorized:
		return 20003
	case status == http.StatusNotFound:
		return 20404
	case status == http.StatusTooManyRequests:
		return 20429
	case status >= 500:
		return 20500
	}
	return 21211
}

// twilioError writes Twilio's JSON error body.
func twilioError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The client may have gone; there is no one to tell.
	_ = json.NewEncoder(w).Encode(v)
}
