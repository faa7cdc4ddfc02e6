// Package config loads membership's configuration: the defaults compiled into the binary, then a
// YAML file, then MEMBERSHIP_* environment variables; later layers win, and every key is checked
// before anything starts.
package config

// Config is the whole configuration. Its yaml tags are the contract in DESIGN.md: the key paths
// are also the environment variable names (MEMBERSHIP_ + path upper-cased, joined by "_").
type Config struct {
	Server       Server       `yaml:"server"`
	Club         Club         `yaml:"club"`
	Database     Database     `yaml:"database"`
	TaskHub      TaskHub      `yaml:"taskhub"`
	Auth         Auth         `yaml:"auth"`
	Notify       Notify       `yaml:"notify"`
	Verification Verification `yaml:"verification"`
	Fees         Fees         `yaml:"fees"`
	Campaigns    Campaigns    `yaml:"campaigns"`
	Import       Import       `yaml:"import"`
}

// Server is where the app listens and how it names itself in links.
type Server struct {
	Addr    string `yaml:"addr"`
	BaseURL string `yaml:"base_url"`
	DataDir string `yaml:"data_dir"`
}

// Club describes the club the installation serves.
type Club struct {
	Name           string   `yaml:"name"`
	DefaultRegion  string   `yaml:"default_region"`
	AllowedRegions []string `yaml:"allowed_regions"`
	TimeZone       string   `yaml:"time_zone"`
	Language       string   `yaml:"language"`
}

// Database selects the app database.
type Database struct {
	Driver string `yaml:"driver"`
	DSN    string `yaml:"dsn"`
}

// TaskHub selects the durable task hub's store and its worker settings.
type TaskHub struct {
	Name        string   `yaml:"name"`
	Backend     string   `yaml:"backend"`
	DSN         string   `yaml:"dsn"`
	LockTimeout Duration `yaml:"lock_timeout"`
	Parallelism int      `yaml:"parallelism"`
}

// Auth holds session lifetimes and login throttling.
type Auth struct {
	SessionIdle   Duration `yaml:"session_idle"`
	SessionMax    Duration `yaml:"session_max"`
	LoginAttempts int      `yaml:"login_attempts"`
	LoginWindow   Duration `yaml:"login_window"`
}

// Notify configures the SMS and e-mail providers.
type Notify struct {
	SMS   SMS   `yaml:"sms"`
	Email Email `yaml:"email"`
}

// SMS selects the SMS provider.
type SMS struct {
	Provider  string  `yaml:"provider"`
	RateLimit float64 `yaml:"rate_limit"`
	Twilio    Twilio  `yaml:"twilio"`
}

// Twilio holds the Twilio account; BaseURL points the client at another host (a test fake).
type Twilio struct {
	AccountSID          string `yaml:"account_sid"`
	AuthToken           string `yaml:"auth_token"`
	From                string `yaml:"from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	BaseURL             string `yaml:"base_url"`
}

// Email selects the e-mail provider.
type Email struct {
	Provider  string   `yaml:"provider"`
	RateLimit float64  `yaml:"rate_limit"`
	From      string   `yaml:"from"`
	SendGrid  SendGrid `yaml:"sendgrid"`
	SMTP      SMTP     `yaml:"smtp"`
}

// SendGrid holds the SendGrid account.
type SendGrid struct {
	APIKey           string `yaml:"api_key"`
	BaseURL          string `yaml:"base_url"`
	WebhookPublicKey string `yaml:"webhook_public_key"`
}

// SMTP holds a mail server's address and credentials.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	TLS      string `yaml:"tls"`
}

// Verification configures the phone and e-mail verification workflows.
type Verification struct {
	Phone PhoneVerification `yaml:"phone"`
	Email EmailVerification `yaml:"email"`
}

// PhoneVerification bounds the SMS code challenge and its abuse limits.
type PhoneVerification struct {
	CodeLength            int      `yaml:"code_length"`
	Timeout               Duration `yaml:"timeout"`
	MaxAttempts           int      `yaml:"max_attempts"`
	ResendCooldown        Duration `yaml:"resend_cooldown"`
	SendsPerNumberPerHour int      `yaml:"sends_per_number_per_hour"`
	SendsPerIPPerHour     int      `yaml:"sends_per_ip_per_hour"`
}

// EmailVerification bounds the e-mail link challenge.
type EmailVerification struct {
	Timeout Duration `yaml:"timeout"`
}

// Fees configures the fee scheduler and reminder escalation.
type Fees struct {
	RunAt        ClockTime `yaml:"run_at"`
	SMSAfter     Duration  `yaml:"sms_after"`
	OverdueAfter Duration  `yaml:"overdue_after"`
}

// Campaigns configures renewal campaigns.
type Campaigns struct {
	BatchSize  int        `yaml:"batch_size"`
	QuietHours QuietHours `yaml:"quiet_hours"`
}

// Import bounds CSV imports.
type Import struct {
	MaxBytes int64 `yaml:"max_bytes"`
	MaxRows  int   `yaml:"max_rows"`
}
