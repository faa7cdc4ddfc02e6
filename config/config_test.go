package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"membership"
	"membership/config"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsLoad(t *testing.T) {
	cfg, err := config.Load(membership.DefaultConfig, "", nil)
	if err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if cfg.Server.Addr != ":8080" || cfg.TaskHub.LockTimeout.Std() != 30*time.Second || cfg.Fees.OverdueAfter.Std() != 21*24*time.Hour {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if !cfg.Campaigns.QuietHours.Set || cfg.Campaigns.QuietHours.String() != "21:00-08:00" {
		t.Fatalf("quiet hours = %q", cfg.Campaigns.QuietHours)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "server:\n  addr: \":9000\"\n  base_url: \"http://file.example\"\nclub:\n  name: From File\n")
	tests := []struct {
		name    string
		env     []string
		addr    string
		baseURL string
		club    string
	}{
		{"file over defaults", nil, ":9000", "http://file.example", "From File"},
		{"env over file", []string{"MEMBERSHIP_SERVER_ADDR=:9100"}, ":9100", "http://file.example", "From File"},
		{"env with underscores in the key", []string{"MEMBERSHIP_SERVER_BASE_URL=https://env.example"}, ":9000", "https://env.example", "From File"},
		{"unrelated env ignored", []string{"HOME=/root", "MEMBERSHIP_TEST_POSTGRES=x"}, ":9000", "http://file.example", "From File"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(membership.DefaultConfig, file, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Server.Addr != tc.addr || cfg.Server.BaseURL != tc.baseURL || cfg.Club.Name != tc.club {
				t.Fatalf("got addr=%q base_url=%q club=%q, want %q %q %q", cfg.Server.Addr, cfg.Server.BaseURL, cfg.Club.Name, tc.addr, tc.baseURL, tc.club)
			}
			if cfg.Club.TimeZone != "Europe/Berlin" {
				t.Fatalf("a key the file leaves out lost its default: %q", cfg.Club.TimeZone)
			}
		})
	}
}

func TestEnvTypes(t *testing.T) {
	cfg, err := config.Load(membership.DefaultConfig, writeFile(t, ""), []string{
		"MEMBERSHIP_CLUB_ALLOWED_REGIONS=DE, GB,US",
		"MEMBERSHIP_FEES_SMS_AFTER=2d12h",
		"MEMBERSHIP_TASKHUB_PARALLELISM=8",
		"MEMBERSHIP_NOTIFY_SMS_RATE_LIMIT=0.5",
		"MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Club.AllowedRegions, ","); got != "DE,GB,US" {
		t.Errorf("allowed_regions = %q", got)
	}
	if cfg.Fees.SMSAfter.Std() != 60*time.Hour {
		t.Errorf("sms_after = %s", cfg.Fees.SMSAfter)
	}
	if cfg.TaskHub.Parallelism != 8 || cfg.Notify.SMS.RateLimit != 0.5 {
		t.Errorf("parallelism=%d rate=%v", cfg.TaskHub.Parallelism, cfg.Notify.SMS.RateLimit)
	}
	if cfg.Campaigns.QuietHours.Set {
		t.Errorf("an empty MEMBERSHIP_CAMPAIGNS_QUIET_HOURS left quiet hours %s", cfg.Campaigns.QuietHours)
	}
}

func TestBadConfig(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"unknown key", "server:\n  adr: x\n", nil, "unknown key server.adr"},
		{"unknown section", "servers: {}\n", nil, "unknown key servers"},
		{"unknown provider", "notify:\n  sms:\n    provider: pigeon\n", nil, "key notify.sms.provider"},
		{"bad duration", "taskhub:\n  lock_timeout: soon\n", nil, "key taskhub.lock_timeout"},
		{"bad duration from env", "", []string{"MEMBERSHIP_AUTH_SESSION_IDLE=forever"}, "MEMBERSHIP_AUTH_SESSION_IDLE: key auth.session_idle"},
		{"unparsable yaml", "server: [\n", nil, "not valid YAML"},
		{"wrong type", "taskhub:\n  parallelism: many\n", nil, "key taskhub.parallelism"},
		{"bad time zone", "club:\n  time_zone: Mars/Olympus\n", nil, "key club.time_zone"},
		{"bad quiet hours", "campaigns:\n  quiet_hours: late\n", nil, "key campaigns.quiet_hours"},
		{"twilio without credentials", "notify:\n  sms:\n    provider: twilio\n", nil, "key notify.sms.twilio.account_sid"},
		{"bad base url", "server:\n  base_url: localhost\n", nil, "key server.base_url"},
		{"empty variable clears a required key", "", []string{"MEMBERSHIP_CLUB_NAME="}, "key club.name"},
		{"listen address without a colon", "", []string{"MEMBERSHIP_SERVER_ADDR=8080"}, "key server.addr"},
		{"sender that is no address", "", []string{"MEMBERSHIP_NOTIFY_EMAIL_FROM=dojo at example"}, "key notify.email.from"},
		{"webhook key that is no key", "", []string{"MEMBERSHIP_NOTIFY_EMAIL_SENDGRID_WEBHOOK_PUBLIC_KEY=bm90IGEga2V5"}, "key notify.email.sendgrid.webhook_public_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(membership.DefaultConfig, writeFile(t, tc.file), tc.env)
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := config.Load(membership.DefaultConfig, filepath.Join(t.TempDir(), "nope.yaml"), nil)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("err = %v", err)
	}
}

func TestQuietHours(t *testing.T) {
	cfg, err := config.Load(membership.DefaultConfig, writeFile(t, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := cfg.Campaigns.QuietHours
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, time.UTC) }
	tests := []struct {
		t     time.Time
		quiet bool
		end   time.Time
	}{
		{at(20, 59), false, at(20, 59)},
		{at(21, 0), true, at(8, 0).AddDate(0, 0, 1)},
		{at(3, 0), true, at(8, 0)},
		{at(8, 0), false, at(8, 0)},
	}
	for _, tc := range tests {
		if got := q.Contains(tc.t); got != tc.quiet {
			t.Errorf("Contains(%s) = %v", tc.t, got)
		}
		if got := q.End(tc.t); !got.Equal(tc.end) {
			t.Errorf("End(%s) = %s, want %s", tc.t, got, tc.end)
		}
	}
}
