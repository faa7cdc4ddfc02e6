package templates_test

import (
	"context"
	"testing"

	"membership/web/i18n"
	"membership/web/templates"
)

// TestRuntimeStatus: every spelling of a runtime status the views hold is said from the
// catalogue, in the page's language; one the catalogue lacks stays as it is.
func TestRuntimeStatus(t *testing.T) {
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, status, want string
	}{
		{"en", "Running", "Running"},
		{"de", "Running", "Läuft"},
		{"de", "RUNTIME_STATUS_RUNNING", "Läuft"},
		{"de", "ORCHESTRATION_STATUS_COMPLETED", "Abgeschlossen"},
		{"de", "completed", "Abgeschlossen"},
		{"de", "ContinuedAsNew", c.Localizer("de").T("runtime.ContinuedAsNew")},
		{"de", "RUNTIME_STATUS_CONTINUED_AS_NEW", c.Localizer("de").T("runtime.ContinuedAsNew")},
		{"en", "Canceled", "Canceled"},
		{"de", "Unknown", "Unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+" "+tc.status, func(t *testing.T) {
			ctx := i18n.With(context.Background(), c.Localizer(tc.lang))
			if got := templates.RuntimeStatus(ctx, tc.status); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
