package taskhub

import (
	"fmt"
	"strings"

	"github.com/microsoft/durabletask-go/api"
)

// statusNames pairs each runtime status with its Durable Functions name, in the order the
// monitor offers them.
var statusNames = []struct {
	status api.OrchestrationStatus
	name   string
}{
	{api.RUNTIME_STATUS_PENDING, "Pending"},
	{api.RUNTIME_STATUS_RUNNING, "Running"},
	{api.RUNTIME_STATUS_SUSPENDED, "Suspended"},
	{api.RUNTIME_STATUS_COMPLETED, "Completed"},
	{api.RUNTIME_STATUS_CONTINUED_AS_NEW, "ContinuedAsNew"},
	{api.RUNTIME_STATUS_FAILED, "Failed"},
	{api.RUNTIME_STATUS_TERMINATED, "Terminated"},
	{api.RUNTIME_STATUS_CANCELED, "Canceled"},
}

// StatusName is a runtime status as Durable Functions names it: Pending, Running, Completed,
// ContinuedAsNew, Failed, Terminated, Suspended (Canceled is obsolete there and unused here).
func StatusName(s api.OrchestrationStatus) string {
	for _, n := range statusNames {
		if n.status == s {
			return n.name
		}
	}
	return "Unknown"
}

// StatusNames lists the Durable Functions status names.
func StatusNames() []string {
	names := make([]string, len(statusNames))
	for i, n := range statusNames {
		names[i] = n.name
	}
	return names
}

// ParseStatus reads a Durable Functions status name, ignoring case as Durable Functions does.
func ParseStatus(name string) (api.OrchestrationStatus, error) {
	for _, n := range statusNames {
		if strings.EqualFold(n.name, name) {
			return n.status, nil
		}
	}
	return 0, fmt.Errorf("unknown runtime status %q (want one of %s)", name, strings.Join(StatusNames(), ", "))
}

// storedName is a status as the engine's SQLite backend writes it (and our PostgreSQL one
// copies): RUNNING, COMPLETED, CONTINUED_AS_NEW, ….
func storedName(s api.OrchestrationStatus) string {
	return strings.TrimPrefix(s.String(), "ORCHESTRATION_STATUS_")
}

// storedStatus reads a stored status; text it does not know reads as RUNNING, the zero
// status, as the engine reads it.
func storedStatus(text string) api.OrchestrationStatus {
	for _, n := range statusNames {
		if storedName(n.status) == text {
			return n.status
		}
	}
	return api.RUNTIME_STATUS_RUNNING
}
