package templates

import (
	"context"
	"strings"
)

// runtimeStatuses are the runtime statuses the catalogue names (runtime.<Name>), by the
// spelling RuntimeStatus compares: lower case without underscores.
var runtimeStatuses = map[string]string{
	"pending":        "runtime.Pending",
	"running":        "runtime.Running",
	"completed":      "runtime.Completed",
	"failed":         "runtime.Failed",
	"terminated":     "runtime.Terminated",
	"suspended":      "runtime.Suspended",
	"continuedasnew": "runtime.ContinuedAsNew",
	"canceled":       "runtime.Canceled",
	"cancelled":      "runtime.Canceled",
}

// RuntimeStatus is a workflow's runtime status in the page's language. s may be spelt as the
// engine does (RUNTIME_STATUS_CONTINUED_AS_NEW, ORCHESTRATION_STATUS_RUNNING), as Durable
// Functions does (ContinuedAsNew) or as a timeline step's status (running); a status the
// catalogue lacks stays as it is.
func RuntimeStatus(ctx context.Context, s string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(s, "RUNTIME_STATUS_"), "ORCHESTRATION_STATUS_")
	key, ok := runtimeStatuses[strings.ToLower(strings.ReplaceAll(name, "_", ""))]
	if !ok {
		return s
	}
	return T(ctx, key)
}
