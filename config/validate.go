package config

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks values that parse but make no sense; its error names the key.
func (c *Config) Validate() error {
	checks := []struct {
		key string
		err error
	}{
		{"server.addr", listenAddr(c.Server.Addr)},
		{"server.base_url", absoluteURL(c.Server.BaseURL)},
		{"server.data_dir", nonEmpty(c.Server.DataDir)},
		{"club.name", nonEmpty(c.Club.Name)},
		{"club.default_region", region(c.Club.DefaultRegion)},
		{"club.allowed_regions", regions(c.Club.AllowedRegions)},
		{"club.time_zone", timeZone(c.Club.TimeZone)},
		{"club.language", oneOf(c.Club.Language, "en", "de")},
		{"database.driver", oneOf(c.Database.Driver, "sqlite", "postgres")},
		{"database.dsn", nonEmpty(c.Database.DSN)},
		{"taskhub.name", nonEmpty(c.TaskHub.Name)},
		{"taskhub.backend", oneOf(c.TaskHub.Backend, "sqlite", "postgres")},
		{"taskhub.dsn", nonEmpty(c.TaskHub.DSN)},
		{"taskhub.lock_timeout", atLeast(c.TaskHub.LockTimeout, time.Second)},
		{"taskhub.parallelism", between(c.TaskHub.Parallelism, 1, 256)},
		{"auth.session_idle", atLeast(c.Auth.SessionIdle, time.Minute)},
		{"auth.session_max", atLeast(c.Auth.SessionMax, c.Auth.SessionIdle.Std())},
		{"auth.login_attempts", between(c.Auth.LoginAttempts, 1, 1000)},
		{"auth.login_window", atLeast(c.Auth.LoginWindow, time.Second)},
		{"notify.sms.provider", oneOf(c.Notify.SMS.Provider, "outbox", "twilio")},
		{"notify.sms.rate_limit", nonNegative(c.Notify.SMS.RateLimit)},
		{"notify.sms.twilio.account_sid", requiredFor(c.Notify.SMS.Provider == "twilio", c.Notify.SMS.Twilio.AccountSID)},
		{"notify.sms.twilio.auth_token", requiredFor(c.Notify.SMS.Provider == "twilio", c.Notify.SMS.Twilio.AuthToken)},
		{"notify.sms.twilio.from", requiredFor(c.Notify.SMS.Provider == "twilio" && c.Notify.SMS.Twilio.MessagingServiceSID == "", c.Notify.SMS.Twilio.From)},
		{"notify.sms.twilio.base_url", optionalURL(c.Notify.SMS.Twilio.BaseURL)},
		{"notify.email.provider", oneOf(c.Notify.Email.Provider, "outbox", "sendgrid", "smtp")},
		{"notify.email.rate_limit", nonNegative(c.Notify.Email.RateLimit)},
		{"notify.email.from", mailAddress(c.Notify.Email.From)},
		{"notify.email.sendgrid.api_key", requiredFor(c.Notify.Email.Provider == "sendgrid", c.Notify.Email.SendGrid.APIKey)},
		{"notify.email.sendgrid.base_url", optionalURL(c.Notify.Email.SendGrid.BaseURL)},
		{"notify.email.sendgrid.webhook_public_key", optionalECDSAKey(c.Notify.Email.SendGrid.WebhookPublicKey)},
		{"notify.email.smtp.host", requiredFor(c.Notify.Email.Provider == "smtp", c.Notify.Email.SMTP.Host)},
		{"notify.email.smtp.port", between(c.Notify.Email.SMTP.Port, 1, 65535)},
		{"notify.email.smtp.tls", oneOf(c.Notify.Email.SMTP.TLS, "starttls", "tls", "none")},
		{"verification.phone.code_length", between(c.Verification.Phone.CodeLength, 4, 10)},
		{"verification.phone.timeout", atLeast(c.Verification.Phone.Timeout, time.Second)},
		{"verification.phone.max_attempts", between(c.Verification.Phone.MaxAttempts, 1, 100)},
		{"verification.phone.resend_cooldown", atLeast(c.Verification.Phone.ResendCooldown, 0)},
		{"verification.phone.sends_per_number_per_hour", between(c.Verification.Phone.SendsPerNumberPerHour, 1, 1000)},
		{"verification.phone.sends_per_ip_per_hour", between(c.Verification.Phone.SendsPerIPPerHour, 1, 100000)},
		{"verification.email.timeout", atLeast(c.Verification.Email.Timeout, time.Second)},
		{"fees.sms_after", atLeast(c.Fees.SMSAfter, 0)},
		{"fees.overdue_after", atLeast(c.Fees.OverdueAfter, c.Fees.SMSAfter.Std())},
		{"campaigns.batch_size", between(c.Campaigns.BatchSize, 1, 10000)},
		{"import.max_bytes", between(int(c.Import.MaxBytes), 1, 1<<31-1)},
		{"import.max_rows", between(c.Import.MaxRows, 1, 10000000)},
	}
	for _, ch := range checks {
		if ch.err != nil {
			return fmt.Errorf("config: key %s: %w", ch.key, ch.err)
		}
	}
	return nil
}

// Location returns the club's time zone (validated at load).
func (c Club) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func oneOf(s string, allowed ...string) error {
	if !slices.Contains(allowed, s) {
		return fmt.Errorf("%q is not one of %s", s, strings.Join(allowed, ", "))
	}
	return nil
}

func between(n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("%d is outside %d..%d", n, lo, hi)
	}
	return nil
}

func nonNegative(f float64) error {
	if f < 0 {
		return fmt.Errorf("%v must be 0 (no limit) or more", f)
	}
	return nil
}

func atLeast(d Duration, min time.Duration) error {
	if d.Std() < min {
		return fmt.Errorf("%s is shorter than %s", d, min)
	}
	return nil
}

func requiredFor(needed bool, s string) error {
	if needed && strings.TrimSpace(s) == "" {
		return fmt.Errorf("must be set for this provider")
	}
	return nil
}

func absoluteURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

func optionalURL(s string) error {
	if s == "" {
		return nil
	}
	return absoluteURL(s)
}

func region(s string) error {
	if len(s) != 2 || strings.ToUpper(s) != s {
		return fmt.Errorf("%q is not a two-letter region code such as DE", s)
	}
	return nil
}

func regions(list []string) error {
	if len(list) == 0 {
		return fmt.Errorf("must list at least one region")
	}
	for _, r := range list {
		if err := region(r); err != nil {
			return err
		}
	}
	return nil
}

func timeZone(s string) error {
	if _, err := time.LoadLocation(s); err != nil {
		return fmt.Errorf("unknown time zone %q", s)
	}
	return nil
}

// listenAddr accepts what net.Listen takes for TCP: "host:port" or ":port". Checked here, a
// mistyped address ("8080") stops start-up naming the key instead of failing at listen.
func listenAddr(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. :8080)", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no port number 0..65535", s)
	}
	return nil
}

// mailAddress accepts "dojo@example.org" and "My Dojo <dojo@example.org>": every provider
// refuses a sender that is neither, but only when the first message goes out.
func mailAddress(s string) error {
	if _, err := mail.ParseAddress(s); err != nil {
		return fmt.Errorf("%q is not an e-mail address", s)
	}
	return nil
}

// optionalECDSAKey checks SendGrid's event webhook verification key (base64 of a PKIX ECDSA
// public key, as SendGrid's console shows it): a key that cannot verify anything would turn
// every delivery event away, found only in the log.
func optionalECDSAKey(s string) error {
	if s == "" {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("is not base64 (paste SendGrid's verification key as it is shown)")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("is not a public key: %v", err)
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		return fmt.Errorf("is a %T, not SendGrid's ECDSA key", pub)
	}
	return nil
}
