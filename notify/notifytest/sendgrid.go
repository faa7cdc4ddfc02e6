package notifytest

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"testing"
)

// SendGridMessage is an e-mail the SendGrid fake accepted.
type SendGridMessage struct {
	ID       string // the X-Message-Id it answered
	From     string
	FromName string
	To       string
	ToName   string
	Subject  string
	Text     string
	HTML     string
	Headers  map[string]string
}

// SendGridFake is SendGrid's v3 Mail Send API (POST /v3/mail/send, JSON,
// Bearer key, 202 with X-Message-Id) on a local port, with a key pair for
// signing event webhooks. Point a sendgrid.Client's BaseURL at URL.
type SendGridFake struct {
	URL    string
	APIKey string

	script
	t      testing.TB
	key    *ecdsa.PrivateKey
	pubKey string
	msgs   record[SendGridMessage]
}

// NewSendGrid starts a SendGrid fake that lives until the test ends.
func NewSendGrid(t testing.TB) *SendGridFake {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("sendgrid fake: generate webhook key: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("sendgrid fake: marshal webhook key: %v", err)
	}
	f := &SendGridFake{APIKey: "SG.test-key.0123456789", t: t, key: key,
		pubKey: base64.StdEncoding.EncodeToString(der)}
	f.URL = f.serveHTTP(t, "POST /v3/mail/send", f.send)
	return f
}

// Messages returns the e-mails accepted so far, oldest first.
func (f *SendGridFake) Messages() []SendGridMessage { return f.msgs.all() }

// PublicKey returns the event webhook's verification key as SendGrid's
// console shows it: base64 of the PKIX DER encoding.
func (f *SendGridFake) PublicKey() string { return f.pubKey }

// SignEvents, called from the test's goroutine, returns the X-Twilio-Email-Event-Webhook-Signature SendGrid
// sends with payload at timestamp: base64 of the ASN.1 ECDSA signature over
// SHA-256(timestamp + payload).
func (f *SendGridFake) SignEvents(payload []byte, timestamp string) string {
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, f.key, h.Sum(nil))
	if err != nil {
		f.t.Fatalf("sendgrid fake: sign events: %v", err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

type sgAddress struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// sgRequest is the part of the v3 mail/send body the fake understands.
type sgRequest struct {
	Personalizations []struct {
		To []sgAddress `json:"to"`
	} `json:"personalizations"`
	From    *sgAddress `json:"from"`
	Subject string     `json:"subject"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	Headers map[string]string `json:"headers"`
}

func (f *SendGridFake) send(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.APIKey {
		sendGridError(w, http.StatusUnauthorized, "", "The provided authorization grant is invalid, expired, or revoked")
		return
	}
	n, fail, failing := f.next()
	if failing {
		f.fail(w, r, fail)
		return
	}
	var req sgRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		sendGridError(w, http.StatusBadRequest, "", "Bad Request")
		return
	}
	m, field, problem := req.message()
	if problem != "" {
		sendGridError(w, http.StatusBadRequest, field, problem)
		return
	}
	m.ID = fmt.Sprintf("fakeSG%016d", n)
	f.msgs.add(m)
	w.Header().Set("X-Message-Id", m.ID)
	w.WriteHeader(http.StatusAccepted)
}

// message checks the request as SendGrid does, with its messages, and
// returns the e-mail or the field at fault and why.
func (req sgRequest) message() (m SendGridMessage, field, problem string) {
	switch {
	case len(req.Personalizations) == 0:
		return m, "personalizations", "The personalizations field is required and must have at least one personalization."
	case len(req.Personalizations[0].To) == 0:
		return m, "personalizations.0.to", "The to array is required for all personalization objects, and must have at least one email object with a valid email address."
	case req.From == nil || req.From.Email == "":
		return m, "from.email", "The from object must be provided for every email send."
	case req.Subject == "":
		return m, "subject", "The subject is required."
	case len(req.Content) == 0:
		return m, "content", "Unless a valid template_id is provided, the content parameter is required."
	}
	to := req.Personalizations[0].To[0]
	if _, err := mail.ParseAddress(to.Email); err != nil {
		return m, "personalizations.0.to.0.email", "Does not contain a valid address."
	}
	m = SendGridMessage{From: req.From.Email, FromName: req.From.Name, To: to.Email, ToName: to.Name,
		Subject: req.Subject, Headers: req.Headers}
	for i, c := range req.Content {
		switch c.Type {
		case "text/plain":
			if i != 0 {
				return m, "content", "If present, text/plain content must be first, followed by text/html, followed by any other content."
			}
			m.Text = c.Value
		case "text/html":
			m.HTML = c.Value
		}
	}
	return m, "", ""
}

func (f *SendGridFake) fail(w http.ResponseWriter, r *http.Request, fail Failure) {
	if fail.Hang {
		f.hang(r)
		return
	}
	status, field, msg := fail.Status, "", fail.Message
	if status == 0 {
		status = http.StatusInternalServerError
		if fail.Permanent {
			status, field = http.StatusForbidden, "from"
			msg = cmp.Or(msg, "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.")
		}
	}
	if fail.writeRaw(w, status) {
		return
	}
	sendGridError(w, status, field, cmp.Or(msg, http.StatusText(status)))
}

// sendGridError writes SendGrid's JSON error body; an empty field is null.
func sendGridError(w http.ResponseWriter, status int, field, msg string) {
	var f any
	if field != "" {
		f = field
	}
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": msg, "field": f, "help": nil}},
	})
}
