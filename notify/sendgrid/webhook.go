package sendgrid

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
)

// Header names of SendGrid's signed event webhook.
const (
	SignatureHeader = eventwebhook.VerificationHTTPHeader // X-Twilio-Email-Event-Webhook-Signature
	TimestampHeader = eventwebhook.TimestampHTTPHeader    // X-Twilio-Email-Event-Webhook-Timestamp
)

// ErrInvalidSignature is returned by VerifyWebhook for a payload that the
// key did not sign, or that carries no signature.
var ErrInvalidSignature = errors.New("sendgrid: invalid webhook signature")

// VerifyWebhook checks that SendGrid signed payload (the raw request body,
// unparsed) at timestamp with the private key of publicKey (base64, as the
// SendGrid console shows it). It returns nil for a valid signature,
// ErrInvalidSignature for a missing or wrong one, and another error for an
// unusable public key.
func VerifyWebhook(publicKey string, payload []byte, signature, timestamp string) error {
	key, err := parsePublicKey(publicKey)
	if err != nil {
		return fmt.Errorf("sendgrid: webhook public key: %w", err)
	}
	if signature == "" || timestamp == "" {
		return ErrInvalidSignature
	}
	ok, err := eventwebhook.VerifySignature(key, payload, signature, timestamp)
	if err != nil {
		// A signature that is not base64 DER is as bad as a wrong one.
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	if !ok {
		return ErrInvalidSignature
	}
	return nil
}

// VerifyWebhook is the package's VerifyWebhook with the configured key.
func (c *Client) VerifyWebhook(payload []byte, signature, timestamp string) error {
	return VerifyWebhook(c.cfg.WebhookPublicKey, payload, signature, timestamp)
}

// parsePublicKey decodes a base64 PKIX ECDSA public key. It stands in for
// eventwebhook.ConvertPublicKeyBase64ToECDSA, which panics on a key of
// another type.
func parsePublicKey(b64 string) (*ecdsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("decode base64: %w", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an ECDSA key", pub)
	}
	return key, nil
}
