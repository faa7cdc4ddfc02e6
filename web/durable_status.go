package web

import (
	"encoding/json"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// instanceStatus is an instance as Durable Functions' HTTP API writes it.
type instanceStatus struct {
	Name            string          `json:"name"`
	InstanceID      string          `json:"instanceId"`
	RuntimeStatus   string          `json:"runtimeStatus"`
	Input           json.RawMessage `json:"input"`
	CustomStatus    json.RawMessage `json:"customStatus"`
	Output          json.RawMessage `json:"output"`
	CreatedTime     string          `json:"createdTime"`
	LastUpdatedTime string          `json:"lastUpdatedTime"`
	// FailureDetails is ours, beside Durable Functions' fields: the error of a failed instance.
	FailureDetails *failureJSON     `json:"failureDetails,omitempty"`
	HistoryEvents  []map[string]any `json:"historyEvents,omitempty"`
}

type failureJSON struct {
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
	StackTrace   string `json:"stackTrace,omitempty"`
}

// statusTime is Durable Functions' format for createdTime and lastUpdatedTime: seconds, UTC.
const statusTime = "2006-01-02T15:04:05Z"

// toStatus converts an instance; without showInput its input is null.
func toStatus(inst taskhub.Instance, showInput bool) instanceStatus {
	st := instanceStatus{
		Name:            inst.Name,
		InstanceID:      string(inst.ID),
		RuntimeStatus:   taskhub.StatusName(inst.Status),
		Input:           rawJSON(""),
		CustomStatus:    rawJSON(inst.CustomStatus),
		Output:          rawJSON(inst.Output),
		CreatedTime:     inst.CreatedAt.UTC().Format(statusTime),
		LastUpdatedTime: inst.UpdatedAt.UTC().Format(statusTime),
	}
	if showInput {
		st.Input = rawJSON(inst.Input)
	}
	if f := inst.Failure; f != nil {
		st.FailureDetails = &failureJSON{ErrorType: f.GetErrorType(), ErrorMessage: f.GetErrorMessage(), StackTrace: f.GetStackTrace().GetValue()}
		// Durable Functions puts a failed orchestration's error message in its output.
		if inst.Output == "" {
			st.Output = rawJSON(mustJSON(f.GetErrorMessage()))
		}
	}
	return st
}

// rawJSON passes stored JSON through as it is: null for none, and a JSON string for text that
// is not JSON (as Durable Functions falls back to the raw string).
func rawJSON(s string) json.RawMessage {
	switch {
	case s == "":
		return json.RawMessage("null")
	case json.Valid([]byte(s)):
		return json.RawMessage(s)
	}
	return json.RawMessage(mustJSON(s))
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// historyJSON writes a history as Durable Functions does: the orchestrator's own step markers
// are left out, and an activity's or sub-orchestration's scheduling is folded into its result
// (FunctionName, ScheduledTime), so that each piece of work is one event. Results appear only
// with showOutput.
func historyJSON(events []*backend.HistoryEvent, showOutput bool) []map[string]any {
	out := make([]map[string]any, 0, len(events))
	// scheduled maps a scheduling event's id to its place in out, to fold its result into.
	scheduled := make(map[int32]int)
	fold := func(id int32, item map[string]any) {
		if i, ok := scheduled[id]; ok && out[i] != nil {
			item["FunctionName"] = out[i]["FunctionName"]
			item["ScheduledTime"] = out[i]["Timestamp"]
			out[i] = nil
		}
	}
	for _, e := range events {
		item := map[string]any{"EventType": taskhub.EventType(e), "Timestamp": e.GetTimestamp().AsTime().UTC().Format(time.RFC3339Nano)}
		switch {
		case e.GetOrchestratorStarted() != nil, e.GetOrchestratorCompleted() != nil:
			continue
		case e.GetExecutionStarted() != nil:
			item["FunctionName"] = e.GetExecutionStarted().GetName()
		case e.GetExecutionCompleted() != nil:
			ec := e.GetExecutionCompleted()
			item["OrchestrationStatus"] = taskhub.StatusName(ec.GetOrchestrationStatus())
			if showOutput {
				item["Result"] = rawJSON(ec.GetResult().GetValue())
			}
			if f := ec.GetFailureDetails(); f != nil {
				item["FailureDetails"] = failureJSON{ErrorType: f.GetErrorType(), ErrorMessage: f.GetErrorMessage(), StackTrace: f.GetStackTrace().GetValue()}
			}
		case e.GetTaskScheduled() != nil:
			item["FunctionName"] = e.GetTaskScheduled().GetName()
			scheduled[e.GetEventId()] = len(out)
		case e.GetTaskCompleted() != nil:
			fold(e.GetTaskCompleted().GetTaskScheduledId(), item)
			if showOutput {
				item["Result"] = rawJSON(e.GetTaskCompleted().GetResult().GetValue())
			}
		case e.GetTaskFailed() != nil:
			fold(e.GetTaskFailed().GetTaskScheduledId(), item)
			f := e.GetTaskFailed().GetFailureDetails()
			item["Reason"] = f.GetErrorMessage()
			item["Details"] = f.GetErrorType()
		case e.GetSubOrchestrationInstanceCreated() != nil:
			sc := e.GetSubOrchestrationInstanceCreated()
			item["FunctionName"], item["InstanceId"] = sc.GetName(), sc.GetInstanceId()
			scheduled[e.GetEventId()] = len(out)
		case e.GetSubOrchestrationInstanceCompleted() != nil:
			fold(e.GetSubOrchestrationInstanceCompleted().GetTaskScheduledId(), item)
			if showOutput {
				item["Result"] = rawJSON(e.GetSubOrchestrationInstanceCompleted().GetResult().GetValue())
			}
		case e.GetSubOrchestrationInstanceFailed() != nil:
			fold(e.GetSubOrchestrationInstanceFailed().GetTaskScheduledId(), item)
			item["Reason"] = e.GetSubOrchestrationInstanceFailed().GetFailureDetails().GetErrorMessage()
		case e.GetTimerCreated() != nil:
			item["FireAt"] = e.GetTimerCreated().GetFireAt().AsTime().UTC().Format(time.RFC3339Nano)
		case e.GetTimerFired() != nil:
			fireAt := e.GetTimerFired().GetFireAt().AsTime().UTC()
			item["FireAt"] = fireAt.Format(time.RFC3339Nano)
			// The engine makes the TimerFired event when it creates the timer, so its own
			// timestamp is the timer's creation; the timer fired at FireAt at the earliest.
			if e.GetTimestamp().AsTime().Before(fireAt) {
				item["Timestamp"] = fireAt.Format(time.RFC3339Nano)
			}
		case e.GetEventRaised() != nil:
			item["Name"] = e.GetEventRaised().GetName()
		case e.GetEventSent() != nil:
			item["Name"], item["InstanceId"] = e.GetEventSent().GetName(), e.GetEventSent().GetInstanceId()
		}
		out = append(out, item)
	}
	kept := out[:0]
	for _, item := range out {
		if item != nil {
			kept = append(kept, item)
		}
	}
	return kept
}
