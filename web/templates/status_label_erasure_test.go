package templates

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"membership/web/i18n"
	"membership/workflows"
)

// TestStatusLabelsCoverErasureRequest: every field ErasureRequest writes into its custom
// status has a monitor label in each language.
func TestStatusLabelsCoverErasureRequest(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b, err := json.Marshal(workflows.ErasureRequestStatus{State: workflows.ErasureStateReminded, ReminderAt: at, DeadlineAt: at})
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	if len(fields) != 3 {
		t.Fatalf("status fields = %v", fields)
	}
	for _, lang := range cat.Languages() {
		ctx := i18n.With(context.Background(), cat.Localizer(lang))
		for key := range fields {
			if statusLabel(ctx, key) == key {
				t.Errorf("%s: ErasureRequest's status field %q has no label", lang, key)
			}
		}
	}
}
