package sendgrid_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"

	"membership/notify/notifytest"
	"membership/notify/sendgrid"
)

func TestVerifyWebhook(t *testing.T) {
	f := notifytest.NewSendGrid(t)
	other := notifytest.NewSendGrid(t)
	payload := []byte(`[{"email":"ada@example.org","event":"delivered","sg_message_id":"fakeSG0000000000000001.filter","timestamp":1740830400}]` + "\r\n")
	const ts = "1740830400"
	sig := f.SignEvents(payload, ts)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub := base64.StdEncoding.EncodeToString(der)

	tests := []struct {
		name      string
		key       string
		payload   []byte
		signature string
		timestamp string
		want      error // nil, ErrInvalidSignature, or errAny for another error
	}{
		{"valid", f.PublicKey(), payload, sig, ts, nil},
		{"tampered payload", f.PublicKey(), append([]byte(" "), payload...), sig, ts, sendgrid.ErrInvalidSignature},
		{"other timestamp", f.PublicKey(), payload, sig, "1740830401", sendgrid.ErrInvalidSignature},
		{"other key", other.PublicKey(), payload, sig, ts, sendgrid.ErrInvalidSignature},
		{"missing signature", f.PublicKey(), payload, "", ts, sendgrid.ErrInvalidSignature},
		{"missing timestamp", f.PublicKey(), payload, sig, "", sendgrid.ErrInvalidSignature},
		{"signature not base64", f.PublicKey(), payload, "%%%", ts, sendgrid.ErrInvalidSignature},
		{"signature not asn1", f.PublicKey(), payload, base64.StdEncoding.EncodeToString([]byte("nope")), ts, sendgrid.ErrInvalidSignature},
		{"key not base64", "%%%", payload, sig, ts, errAny},
		{"rsa key", rsaPub, payload, sig, ts, errAny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sendgrid.VerifyWebhook(tc.key, tc.payload, tc.signature, tc.timestamp)
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("VerifyWebhook = %v, want nil", err)
			case tc.want == errAny && (err == nil || errors.Is(err, sendgrid.ErrInvalidSignature)):
				t.Errorf("VerifyWebhook = %v, want a key error", err)
			case tc.want != nil && tc.want != errAny && !errors.Is(err, tc.want):
				t.Errorf("VerifyWebhook = %v, want %v", err, tc.want)
			}
		})
	}

	c := sendgrid.New(sendgrid.Config{WebhookPublicKey: f.PublicKey()}, nil)
	if err := c.VerifyWebhook(payload, sig, ts); err != nil {
		t.Errorf("Client.VerifyWebhook = %v, want nil", err)
	}
}

var errAny = errors.New("any error but ErrInvalidSignature")
