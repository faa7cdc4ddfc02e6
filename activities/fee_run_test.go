package activities

import (
	"context"
	"testing"
	"time"

	"membership/config"
)

func TestPlanFeeRun(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name     string
		now      string
		lastRun  string
		wantNext string
	}{
		{"before run_at: today", "2025-06-15 05:30", "2025-06-14", "2025-06-15 06:00"},
		{"first start before run_at", "2025-06-15 05:30", "", "2025-06-15 06:00"},
		{"after run_at, not run today: at once", "2025-06-15 10:00", "2025-06-14", "2025-06-15 10:00"},
		{"first start after run_at: at once", "2025-06-15 10:00", "", "2025-06-15 10:00"},
		{"run today: tomorrow", "2025-06-15 10:00", "2025-06-15", "2025-06-16 06:00"},
		{"exactly at run_at", "2025-06-15 06:00", "2025-06-14", "2025-06-15 06:00"},
		{"into summer time", "2025-03-29 07:00", "2025-03-29", "2025-03-30 06:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := at(tc.now)
			f := &Fees{RunAt: config.ClockTime{Hour: 6}, Location: berlin, Now: func() time.Time { return now }}
			plan, err := f.planRun(context.Background(), tc.lastRun)
			if err != nil {
				t.Fatal(err)
			}
			want := at(tc.wantNext)
			if !plan.AsOf.Equal(want) || plan.Wait != want.Sub(now) || plan.Day != want.Format(time.DateOnly) {
				t.Errorf("plan = %+v, want next %v (wait %v, day %s)", plan, want, want.Sub(now), want.Format(time.DateOnly))
			}
		})
	}
}
