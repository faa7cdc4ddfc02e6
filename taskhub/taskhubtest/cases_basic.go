package taskhubtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/api"
)

func testStart(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	ctx := context.Background()
	id := Start(t, c, greeting, api.WithInput("Tokyo"))
	md := WaitDone(t, c, id, waitLimit)
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("status = %s, want COMPLETED; failure %v", md.RuntimeStatus, md.FailureDetails)
	}
	checks := []struct{ field, got, want string }{
		{"name", md.Name, greeting},
		{"input", md.SerializedInput, `"Tokyo"`},
		{"output", md.SerializedOutput, `"Hello, Tokyo!"`},
		{"instance id", string(md.InstanceID), string(id)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.field, ch.got, ch.want)
		}
	}
	if md.CreatedAt.IsZero() || md.LastUpdatedAt.Before(md.CreatedAt) {
		t.Errorf("created %v, last updated %v: want a creation time no later than the last update", md.CreatedAt, md.LastUpdatedAt)
	}
	if md.FailureDetails != nil {
		t.Errorf("failure details = %v, want none", md.FailureDetails)
	}
	if _, err := c.FetchOrchestrationMetadata(ctx, "no-such-instance"); !errors.Is(err, api.ErrInstanceNotFound) {
		t.Errorf("metadata of an unknown instance: error %v, want %v", err, api.ErrInstanceNotFound)
	}
}

func testRetries(t *testing.T, newBackend NewBackend) {
	c, _, s := hub(t, newBackend)
	cases := []struct {
		name         string
		in           flakyInput
		wantStatus   api.OrchestrationStatus
		wantAttempts int
		wantError    string
	}{
		{"succeeds on the third attempt", flakyInput{Key: "third", Failures: 2, MaxAttempts: 3}, api.RUNTIME_STATUS_COMPLETED, 3, ""},
		{"gives up after two attempts", flakyInput{Key: "never", Failures: 5, MaxAttempts: 2}, api.RUNTIME_STATUS_FAILED, 2, "attempt 2 failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md := WaitDone(t, c, Start(t, c, retryFlaky, api.WithInput(tc.in)), waitLimit)
			if md.RuntimeStatus != tc.wantStatus {
				t.Errorf("status = %s, want %s", md.RuntimeStatus, tc.wantStatus)
			}
			if got := s.attemptsOf(tc.in.Key); got != tc.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tc.wantAttempts)
			}
			if got := md.FailureDetails.GetErrorMessage(); !strings.Contains(got, tc.wantError) || (tc.wantError == "") != (got == "") {
				t.Errorf("failure message = %q, want one with %q", got, tc.wantError)
			}
		})
	}
}

func testFailureDetails(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	cases := []struct {
		mode, wantMessage string
	}{
		{"orchestrator", "boom"},
		{"activity", "kaput"},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			md := WaitDone(t, c, Start(t, c, fail, api.WithInput(tc.mode)), waitLimit)
			if md.RuntimeStatus != api.RUNTIME_STATUS_FAILED {
				t.Fatalf("status = %s, want FAILED", md.RuntimeStatus)
			}
			fd := md.FailureDetails
			if fd == nil {
				t.Fatal("failure details missing")
			}
			if !strings.Contains(fd.GetErrorMessage(), tc.wantMessage) {
				t.Errorf("failure message = %q, want one with %q", fd.GetErrorMessage(), tc.wantMessage)
			}
			if fd.GetErrorType() == "" {
				t.Error("failure error type is empty")
			}
		})
	}
}

func testIDReuse(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	ctx := context.Background()
	completed := []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED}
	cases := []struct {
		name       string
		policy     *api.OrchestrationIdReusePolicy // nil: none
		wantErr    error
		wantOutput string // after the second start
	}{
		{"default refuses", nil, api.ErrDuplicateInstance, `"Hello, first!"`},
		{"policy for other statuses refuses", &api.OrchestrationIdReusePolicy{
			OperationStatus: []api.OrchestrationStatus{api.RUNTIME_STATUS_FAILED}, Action: api.REUSE_ID_ACTION_TERMINATE,
		}, api.ErrDuplicateInstance, `"Hello, first!"`},
		{"ignore keeps the instance", &api.OrchestrationIdReusePolicy{
			OperationStatus: completed, Action: api.REUSE_ID_ACTION_IGNORE,
		}, nil, `"Hello, first!"`},
		{"terminate replaces the instance", &api.OrchestrationIdReusePolicy{
			OperationStatus: completed, Action: api.REUSE_ID_ACTION_TERMINATE,
		}, nil, `"Hello, second!"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := api.InstanceID("reuse-" + strings.ReplaceAll(tc.name, " ", "-"))
			WaitDone(t, c, Start(t, c, greeting, api.WithInstanceID(id), api.WithInput("first")), waitLimit)
			opts := []api.NewOrchestrationOptions{api.WithInstanceID(id), api.WithInput("second")}
			if tc.policy != nil {
				opts = append(opts, api.WithOrchestrationIdReusePolicy(tc.policy))
			}
			_, err := c.ScheduleNewOrchestration(ctx, greeting, opts...)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("second start: error %v, want %v", err, tc.wantErr)
			}
			md := WaitFor(t, c, id, waitLimit, func(md *api.OrchestrationMetadata) bool {
				return md.IsComplete() && md.SerializedOutput == tc.wantOutput
			})
			if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
				t.Errorf("status = %s, want COMPLETED", md.RuntimeStatus)
			}
		})
	}
}

func testCustomStatus(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	ctx := context.Background()
	id := Start(t, c, awaitEvent, api.WithInput(-1))
	WaitFor(t, c, id, waitLimit, func(md *api.OrchestrationMetadata) bool {
		return md.SerializedCustomStatus == waitingStatus
	})
	if err := c.RaiseEvent(ctx, id, goEvent, api.WithEventPayload("done")); err != nil {
		t.Fatalf("raise: %v", err)
	}
	md := WaitDone(t, c, id, waitLimit)
	if md.SerializedCustomStatus != waitingStatus {
		t.Errorf("custom status after completion = %q, want %q", md.SerializedCustomStatus, waitingStatus)
	}
}
