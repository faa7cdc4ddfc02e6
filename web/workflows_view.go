package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
	"membership/web/templates"
)

// workflowRows are the list's rows.
func workflowRows(insts []taskhub.Instance, now time.Time) []templates.WorkflowRow {
	rows := make([]templates.WorkflowRow, len(insts))
	for i, inst := range insts {
		rows[i] = templates.WorkflowRow{
			ID: string(inst.ID), Href: workflowPath(inst.ID), Name: inst.Name, Status: taskhub.StatusName(inst.Status),
			Created: inst.CreatedAt, Age: age(now.Sub(inst.CreatedAt)),
		}
	}
	return rows
}

// age is a duration as a person glances at it: 45s, 12m, 5h, 3d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// workflowView is everything the instance's page shows.
func workflowView(inst taskhub.Instance, events []*backend.HistoryEvent, now time.Time) templates.WorkflowView {
	v := templates.WorkflowView{
		ID: string(inst.ID), Href: workflowPath(inst.ID), Name: inst.Name, Status: taskhub.StatusName(inst.Status),
		Created: inst.CreatedAt, Updated: inst.UpdatedAt, Completed: inst.CompletedAt,
		Input: prettyJSON(inst.Input), Output: prettyJSON(inst.Output), CustomStatus: prettyJSON(inst.CustomStatus),
		Finished:  inst.Finished(),
		Failed:    inst.Status == api.RUNTIME_STATUS_FAILED,
		Suspended: inst.Status == api.RUNTIME_STATUS_SUSPENDED,
	}
	if inst.ParentID != "" {
		v.ParentHref = workflowPath(inst.ParentID)
	}
	if f := inst.Failure; f != nil {
		v.Failure = &templates.WorkflowFailure{Type: f.GetErrorType(), Message: f.GetErrorMessage(), Stack: f.GetStackTrace().GetValue()}
	}
	end := now
	if inst.Finished() {
		end = inst.UpdatedAt
	}
	v.Timeline = timeline(events, end)
	var start time.Time
	for _, e := range events {
		if e.GetOrchestratorStarted() != nil || e.GetOrchestratorCompleted() != nil {
			continue
		}
		at := e.GetTimestamp().AsTime()
		if start.IsZero() {
			start = at
		}
		v.Events = append(v.Events, templates.WorkflowEvent{At: at, Offset: "+" + round(at.Sub(start)), Type: taskhub.EventType(e), Detail: eventDetail(e)})
	}
	return v
}

// eventDetail is the one line that tells an event apart from others of its kind.
func eventDetail(e *backend.HistoryEvent) string {
	switch {
	case e.GetExecutionStarted() != nil:
		return e.GetExecutionStarted().GetName()
	case e.GetExecutionCompleted() != nil:
		ec := e.GetExecutionCompleted()
		if f := ec.GetFailureDetails(); f != nil {
			return taskhub.StatusName(ec.GetOrchestrationStatus()) + ": " + f.GetErrorMessage()
		}
		return taskhub.StatusName(ec.GetOrchestrationStatus())
	case e.GetExecutionTerminated() != nil:
		return e.GetExecutionTerminated().GetInput().GetValue()
	case e.GetExecutionSuspended() != nil:
		return e.GetExecutionSuspended().GetInput().GetValue()
	case e.GetExecutionResumed() != nil:
		return e.GetExecutionResumed().GetInput().GetValue()
	case e.GetTaskScheduled() != nil:
		return fmt.Sprintf("%s (#%d)", e.GetTaskScheduled().GetName(), e.GetEventId())
	case e.GetTaskCompleted() != nil:
		return fmt.Sprintf("#%d", e.GetTaskCompleted().GetTaskScheduledId())
	case e.GetTaskFailed() != nil:
		return fmt.Sprintf("#%d: %s", e.GetTaskFailed().GetTaskScheduledId(), e.GetTaskFailed().GetFailureDetails().GetErrorMessage())
	case e.GetTimerCreated() != nil:
		return "until " + e.GetTimerCreated().GetFireAt().AsTime().UTC().Format(time.RFC3339)
	case e.GetTimerFired() != nil:
		return fmt.Sprintf("#%d", e.GetTimerFired().GetTimerId())
	case e.GetSubOrchestrationInstanceCreated() != nil:
		sc := e.GetSubOrchestrationInstanceCreated()
		return fmt.Sprintf("%s %s (#%d)", sc.GetName(), sc.GetInstanceId(), e.GetEventId())
	case e.GetSubOrchestrationInstanceCompleted() != nil:
		return fmt.Sprintf("#%d", e.GetSubOrchestrationInstanceCompleted().GetTaskScheduledId())
	case e.GetSubOrchestrationInstanceFailed() != nil:
		sf := e.GetSubOrchestrationInstanceFailed()
		return fmt.Sprintf("#%d: %s", sf.GetTaskScheduledId(), sf.GetFailureDetails().GetErrorMessage())
	case e.GetEventRaised() != nil:
		return e.GetEventRaised().GetName()
	case e.GetEventSent() != nil:
		return e.GetEventSent().GetName() + " to " + e.GetEventSent().GetInstanceId()
	}
	return ""
}

// prettyJSON indents stored JSON for reading; other text stays as it is.
func prettyJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

// round shortens a duration for a label.
func round(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
