package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/task"
	"gorm.io/gorm"

	"membership"
	"membership/activities"
	"membership/config"
	"membership/db/dbtest"
	"membership/members"
	"membership/notify/notifytest"
	"membership/web"
	"membership/web/auth"
)

// TestWireNotify wires the notices area from configuration keys, as an operator sets them, and
// sends one notice through each provider.
func TestWireNotify(t *testing.T) {
	tw, sg, sink := notifytest.NewTwilio(t), notifytest.NewSendGrid(t), notifytest.NewSMTPSink(t)
	tests := []struct {
		name     string
		postgres bool
		env      []string
		channel  string
		received func() []string // what the provider got, as "to|text"
		outbox   bool            // the notice lands in the outbox
		noOutbox bool            // neither provider is the outbox: no outbox page
		slot     string          // the shared rate limiter's slot the send reserved, on PostgreSQL
	}{
		{name: "outbox sms", channel: "sms", outbox: true},
		{name: "outbox email", channel: "email", outbox: true},
		{name: "twilio", channel: "sms", env: []string{"NOTIFY_SMS_PROVIDER=twilio", "NOTIFY_SMS_TWILIO_ACCOUNT_SID=" + tw.AccountSID,
			"NOTIFY_SMS_TWILIO_AUTH_TOKEN=" + tw.AuthToken, "NOTIFY_SMS_TWILIO_FROM=+15005550006", "NOTIFY_SMS_TWILIO_BASE_URL=" + tw.URL,
			"SERVER_BASE_URL=https://dojo.example"},
			received: func() (out []string) {
				for _, m := range tw.Messages() {
					out = append(out, m.To+"|"+m.StatusCallback)
				}
				return out
			}},
		{name: "sendgrid", channel: "email", env: []string{"NOTIFY_EMAIL_PROVIDER=sendgrid", "NOTIFY_EMAIL_SENDGRID_API_KEY=" + sg.APIKey,
			"NOTIFY_EMAIL_SENDGRID_BASE_URL=" + sg.URL},
			received: func() (out []string) {
				for _, m := range sg.Messages() {
					out = append(out, m.To+"|"+m.FromName+" <"+m.From+">")
				}
				return out
			}},
		{name: "smtp", channel: "email", env: []string{"NOTIFY_EMAIL_PROVIDER=smtp", "NOTIFY_EMAIL_SMTP_HOST=" + sink.Host,
			"NOTIFY_EMAIL_SMTP_PORT=" + strconv.Itoa(sink.Port), "NOTIFY_EMAIL_SMTP_TLS=none"},
			received: func() (out []string) {
				for _, m := range sink.Messages() {
					out = append(out, strings.Join(m.To, ",")+"|"+m.From)
				}
				return out
			}},
		{name: "twilio on postgres", postgres: true, channel: "sms", slot: "sms:twilio", noOutbox: true, env: []string{"NOTIFY_SMS_PROVIDER=twilio",
			"NOTIFY_SMS_TWILIO_ACCOUNT_SID=" + tw.AccountSID, "NOTIFY_SMS_TWILIO_AUTH_TOKEN=" + tw.AuthToken,
			"NOTIFY_SMS_TWILIO_FROM=+15005550006", "NOTIFY_SMS_TWILIO_BASE_URL=" + tw.URL, "SERVER_BASE_URL=https://dojo.example",
			"NOTIFY_EMAIL_PROVIDER=sendgrid", "NOTIFY_EMAIL_SENDGRID_API_KEY=" + sg.APIKey, "NOTIFY_EMAIL_SENDGRID_BASE_URL=" + sg.URL}},
	}
	wantReceived := map[string]string{
		"twilio":   "+4915123456789|https://dojo.example/webhooks/twilio/status",
		"sendgrid": "aiko@example.org|My Dojo <dojo@example.org>",
		"smtp":     "aiko@example.org|dojo@example.org",
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var environ []string
			for _, kv := range append([]string{"CLUB_NAME=My Dojo", "SERVER_DATA_DIR=" + t.TempDir()}, tc.env...) {
				environ = append(environ, config.EnvPrefix+kv)
			}
			empty := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(empty, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(membership.DefaultConfig, empty, environ)
			if err != nil {
				t.Fatal(err)
			}
			var gdb *gorm.DB
			if tc.postgres {
				gdb = dbtest.Postgres(t)
			} else {
				gdb = dbtest.SQLite(t)
			}
			log := dbtest.Log()
			w, err := wireNotify(t.Context(), cfg, gdb, auth.NewStore(gdb, authOptions(cfg), log), log, task.NewTaskRegistry(), web.NewMetrics())
			if err != nil {
				t.Fatal(err)
			}
			store := members.NewStore(gdb, membersOptions(cfg), log)
			m, err := store.Create(context.Background(), "user:1", members.MemberInput{FirstName: "Aiko", LastName: "Tanaka",
				Email: "aiko@example.org", Phone: "0151 23456789", Status: members.StatusActive})
			if err != nil {
				t.Fatal(err)
			}
			before := 0
			if tc.received != nil {
				before = len(tc.received())
			}
			res, err := w.notices.Send(context.Background(), activities.NoticeRequest{Key: "welcome:" + tc.name + ":member:1:" + tc.channel,
				MemberID: m.ID, Channel: tc.channel, Purpose: activities.PurposeWelcome, Template: "welcome"})
			if err != nil || res.Status != activities.ResultSent {
				t.Fatalf("send: %+v %v", res, err)
			}
			if (w.outbox == nil) != tc.noOutbox {
				t.Errorf("outbox wired %v, want %v", w.outbox != nil, !tc.noOutbox)
			}
			if tc.outbox {
				if msgs, _, err := w.outbox.List(context.Background(), 0, 0); err != nil || len(msgs) != 1 || msgs[0].Channel != tc.channel {
					t.Errorf("outbox %+v %v, want the one %s", msgs, err, tc.channel)
				}
			}
			if tc.received != nil {
				got := tc.received()[before:]
				if len(got) != 1 || got[0] != wantReceived[tc.name] {
					t.Errorf("provider received %q, want [%q]", got, wantReceived[tc.name])
				}
			}
			if tc.slot != "" {
				var n int64
				if err := gdb.Table("send_slots").Where("name = ?", tc.slot).Count(&n).Error; err != nil || n != 1 {
					t.Errorf("send_slots has %d rows named %s (%v), want the shared limiter's 1", n, tc.slot, err)
				}
			}
		})
	}
}
