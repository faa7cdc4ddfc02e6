package postgres

import (
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
)

func TestOptionsWithDefaults(t *testing.T) {
	cases := []struct {
		name    string
		in      Options
		want    Options
		wantErr bool
	}{
		{"zero", Options{}, Options{LockTimeout: 30 * time.Second, ActivityLockTimeout: 30 * time.Second, PollInterval: time.Second, ActivityPrefetch: 4}, false},
		{"activity lock follows lock", Options{LockTimeout: 5 * time.Second},
			Options{LockTimeout: 5 * time.Second, ActivityLockTimeout: 5 * time.Second, PollInterval: time.Second, ActivityPrefetch: 4}, false},
		{"all set", Options{Schema: "s", LockTimeout: time.Minute, ActivityLockTimeout: 2 * time.Minute, PollInterval: 3 * time.Second, ActivityPrefetch: 1, MaxConns: 9},
			Options{Schema: "s", LockTimeout: time.Minute, ActivityLockTimeout: 2 * time.Minute, PollInterval: 3 * time.Second, ActivityPrefetch: 1, MaxConns: 9}, false},
		{"lock too short", Options{LockTimeout: 100 * time.Millisecond}, Options{}, true},
		{"activity lock too short", Options{ActivityLockTimeout: 100 * time.Millisecond}, Options{}, true},
		{"negative poll", Options{PollInterval: -time.Second}, Options{}, true},
		{"negative prefetch", Options{ActivityPrefetch: -1}, Options{}, true},
		{"negative pool", Options{MaxConns: -1}, Options{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.withDefaults()
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %t", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestStatusText(t *testing.T) {
	cases := []struct {
		status api.OrchestrationStatus
		text   string
	}{
		{api.RUNTIME_STATUS_RUNNING, "RUNNING"},
		{api.RUNTIME_STATUS_COMPLETED, "COMPLETED"},
		{api.RUNTIME_STATUS_CONTINUED_AS_NEW, "CONTINUED_AS_NEW"},
		{api.RUNTIME_STATUS_FAILED, "FAILED"},
		{api.RUNTIME_STATUS_CANCELED, "CANCELED"},
		{api.RUNTIME_STATUS_TERMINATED, "TERMINATED"},
		{api.RUNTIME_STATUS_PENDING, "PENDING"},
		{api.RUNTIME_STATUS_SUSPENDED, "SUSPENDED"},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			if got := statusString(tc.status); got != tc.text {
				t.Errorf("statusString = %q, want %q", got, tc.text)
			}
			if got := parseStatus(tc.text); got != tc.status {
				t.Errorf("parseStatus = %v, want %v", got, tc.status)
			}
		})
	}
	if got := parseStatus("NONSENSE"); got != api.RUNTIME_STATUS_RUNNING {
		t.Errorf("parseStatus of unknown text = %v, want RUNNING as the engine reads it", got)
	}
}
