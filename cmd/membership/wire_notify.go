package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"path/filepath"
	"strings"
	"time"

	"github.com/microsoft/durabletask-go/task"
	"gorm.io/gorm"

	"membership/activities"
	"membership/config"
	"membership/db"
	"membership/members"
	"membership/notify"
	"membership/notify/outbox"
	"membership/notify/sendgrid"
	"membership/notify/smtp"
	"membership/notify/twilio"
	"membership/web"
	"membership/web/auth"
)

// providerTimeout bounds one request to an SMS or e-mail provider.
const providerTimeout = 30 * time.Second

// notifyWiring is the notices area as serve runs it.
type notifyWiring struct {
	// notices sends SMS and e-mail; other areas' activities call it in-process.
	notices *activities.Notices
	// outbox lists what the outbox provider kept; nil unless a provider is the outbox.
	outbox web.OutboxLister
	// close lets go of the providers' connections (SMTP keeps some open); call it after the
	// task hub has stopped sending.
	close func() error
}

// wireNotify builds the providers the configuration names, rate-limited (across processes on
// PostgreSQL), the notices sender on them with the club's texts (<data_dir>/templates
// overriding the compiled-in ones) and, on SQLite, its send journal in <data_dir>/sends (the
// outcomes a killed process left there written to the database first), registers SendSMS and
// SendEmail in r and the notices gauge in metrics.
func wireNotify(ctx context.Context, cfg *config.Config, gdb *gorm.DB, users *auth.Store, log *slog.Logger, r *task.TaskRegistry, metrics *web.Metrics) (*notifyWiring, error) {
	store := members.NewStore(gdb, membersOptions(cfg), log)
	texts, err := activities.LoadTexts(cfg.Club.Name, cfg.Club.Language, filepath.Join(cfg.Server.DataDir, "templates"))
	if err != nil {
		return nil, err
	}
	w := &notifyWiring{close: func() error { return nil }}
	var box *outbox.Outbox
	theOutbox := func() *outbox.Outbox {
		if box == nil {
			box = outbox.New(outbox.NewGormStore(gdb))
			w.outbox = box
		}
		return box
	}
	from := senderAddress(cfg.Club.Name, cfg.Notify.Email.From)
	hc := &http.Client{Timeout: providerTimeout}

	var sms notify.SMSSender
	switch n := cfg.Notify.SMS; n.Provider {
	case "twilio":
		sms = twilio.New(twilio.Config{AccountSID: n.Twilio.AccountSID, AuthToken: n.Twilio.AuthToken, From: n.Twilio.From,
			MessagingServiceSID: n.Twilio.MessagingServiceSID, BaseURL: n.Twilio.BaseURL,
			StatusCallback: strings.TrimSuffix(cfg.Server.BaseURL, "/") + "/webhooks/twilio/status"}, hc)
		sms = rateLimitSMS(gdb, store, sms, n.Provider, n.RateLimit)
	default:
		// The outbox stands in for phones: no provider limit to respect.
		sms = theOutbox()
	}
	var email notify.EmailSender
	switch n := cfg.Notify.Email; n.Provider {
	case "sendgrid":
		email = sendgrid.New(sendgrid.Config{APIKey: n.SendGrid.APIKey, BaseURL: n.SendGrid.BaseURL, WebhookPublicKey: n.SendGrid.WebhookPublicKey}, hc)
	case "smtp":
		// Connections are kept for as many sends as the task hub's campaign batches make at
		// once; with notify.email.rate_limit (10/s by default) only a few are ever open.
		c, err := smtp.New(smtp.Config{Host: n.SMTP.Host, Port: n.SMTP.Port, Username: n.SMTP.Username,
			Password: n.SMTP.Password, TLS: n.SMTP.TLS, From: from, Timeout: providerTimeout,
			MaxIdle: cfg.TaskHub.Parallelism * activities.DefaultSendConcurrency})
		if err != nil {
			return nil, fmt.Errorf("notify.email.smtp: %w", err)
		}
		email, w.close = c, c.Close
	default:
		email = theOutbox()
	}
	if cfg.Notify.Email.Provider != "outbox" {
		email = rateLimitEmail(gdb, store, email, cfg.Notify.Email.Provider, cfg.Notify.Email.RateLimit)
	}

	w.notices = &activities.Notices{Members: store, SMS: sms, Email: email, Texts: texts, Log: log,
		SMSProvider: cfg.Notify.SMS.Provider, EmailProvider: cfg.Notify.Email.Provider, EmailFrom: from,
		Admins: web.Admins(users)}
	if db.Dialect(gdb) != "postgres" {
		// One process owns a SQLite data folder (lockDataDir), so its journal's files are its own.
		if w.notices.Journal, err = activities.OpenSendJournal(filepath.Join(cfg.Server.DataDir, "sends")); err != nil {
			return nil, err
		}
		n, err := w.notices.RecoverSends(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			log.Info("recorded the sends a previous process left in its journal", slog.Int("notices", n))
		}
	}
	if err := w.notices.RegisterWith(r, metrics.Activity); err != nil {
		return nil, err
	}
	err = metrics.RegisterCounts("membership_notices", "Notices by provider and status.", []string{"provider", "status"},
		func(ctx context.Context) ([]web.Count, error) {
			tallies, err := store.NoticeTallies(ctx)
			out := make([]web.Count, len(tallies))
			for i, t := range tallies {
				out[i] = web.Count{Labels: []string{t.Provider, string(t.Status)}, Value: float64(t.N)}
			}
			return out, err
		})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// rateLimitSMS limits s to perSecond: for every process together when they share a
// PostgreSQL app database, within this one on SQLite (which one process owns alone).
func rateLimitSMS(gdb *gorm.DB, store *members.Store, s notify.SMSSender, provider string, perSecond float64) notify.SMSSender {
	if db.Dialect(gdb) == "postgres" {
		return activities.SharedRateLimitSMS(s, store, "sms:"+provider, perSecond)
	}
	return notify.RateLimitSMS(s, perSecond)
}

// rateLimitEmail is rateLimitSMS for e-mail.
func rateLimitEmail(gdb *gorm.DB, store *members.Store, s notify.EmailSender, provider string, perSecond float64) notify.EmailSender {
	if db.Dialect(gdb) == "postgres" {
		return activities.SharedRateLimitEmail(s, store, "email:"+provider, perSecond)
	}
	return notify.RateLimitEmail(s, perSecond)
}

// senderAddress puts the club's name on a bare sender address; one that has a name keeps it.
func senderAddress(club, from string) string {
	if strings.Contains(from, "<") {
		return from
	}
	return (&mail.Address{Name: club, Address: from}).String()
}
