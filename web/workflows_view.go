package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
	"membership/web/i18n"
	"membership/web/templates"
)

// workflowRows are the list's rows, their times in the club's time zone loc.
func workflowRows(insts []taskhub.Instance, now time.Time, loc *time.Location) []templates.WorkflowRow {
	rows := make([]templates.WorkflowRow, len(insts))
	for i, inst := range insts {
		rows[i] = templates.WorkflowRow{
			ID: string(inst.ID), Href: workflowPath(inst.ID), Name: inst.Name, Status: taskhub.StatusName(inst.Status),
			Created: inst.CreatedAt.In(loc), Age: now.Sub(inst.CreatedAt),
		}
	}
	return rows
}

// workflowView is everything the instance's page shows, its times in the club's time zone
// loc and its history's details in the language ctx carries.
func workflowView(ctx context.Context, inst taskhub.Instance, events []*backend.HistoryEvent, now time.Time, loc *time.Location) templates.WorkflowView {
	v := templates.WorkflowView{
		ID: string(inst.ID), Href: workflowPath(inst.ID), Name: inst.Name, Status: taskhub.StatusName(inst.Status),
		Created: inst.CreatedAt.In(loc), Updated: inst.UpdatedAt.In(loc), Completed: inLocation(inst.CompletedAt, loc),
		Input: prettyJSON(inst.Input), Output: prettyJSON(inst.Output), CustomStatus: prettyJSON(inst.CustomStatus),
		StatusFields: statusFields(inst.CustomStatus, loc),
		Finished:     inst.Finished(),
		Failed:       inst.Status == api.RUNTIME_STATUS_FAILED,
		Suspended:    inst.Status == api.RUNTIME_STATUS_SUSPENDED,
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
	v.Timeline = timeline(events, end, loc)
	var start time.Time
	for _, e := range events {
		if e.GetOrchestratorStarted() != nil || e.GetOrchestratorCompleted() != nil {
			continue
		}
		at := e.GetTimestamp().AsTime()
		if start.IsZero() {
			start = at
		}
		v.Events = append(v.Events, templates.WorkflowEvent{At: at, Offset: at.Sub(start), Type: taskhub.EventType(e), Detail: eventDetail(ctx, e, loc)})
	}
	return v
}

// inLocation is t in loc; the zero time stays zero, meaning "not yet".
func inLocation(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}

// eventDetail is the one line that tells an event apart from others of its kind, in the
// language ctx carries; names and ids stay as the engine has them.
func eventDetail(ctx context.Context, e *backend.HistoryEvent, loc *time.Location) string {
	l := i18n.From(ctx)
	switch {
	case e.GetExecutionStarted() != nil:
		return e.GetExecutionStarted().GetName()
	case e.GetExecutionCompleted() != nil:
		ec := e.GetExecutionCompleted()
		status := templates.RuntimeStatus(ctx, taskhub.StatusName(ec.GetOrchestrationStatus()))
		if f := ec.GetFailureDetails(); f != nil {
			return status + ": " + f.GetErrorMessage()
		}
		return status
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
		return l.T("monitor.event.timer_until", "At", l.DateTime(e.GetTimerCreated().GetFireAt().AsTime().In(loc)))
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
		return l.T("monitor.event.sent_to", "Name", e.GetEventSent().GetName(), "ID", e.GetEventSent().GetInstanceId())
	}
	return ""
}

// statusFields reads a custom status that is a JSON object into its fields, in their order,
// for the page to label; any other status gives none, and the page shows its JSON alone.
func statusFields(s string, loc *time.Location) []templates.StatusField {
	dec := json.NewDecoder(strings.NewReader(s))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var out []templates.StatusField
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		f := templates.StatusField{Key: fmt.Sprint(tok), Value: string(raw)}
		var v any
		_ = json.Unmarshal(raw, &v) // raw is one well-formed value: the decoder read it
		switch v := v.(type) {
		case string:
			f.Value = v
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				f.At = t.In(loc)
			}
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				f.Number, f.IsNumber = int64(v), true
			}
		}
		out = append(out, f)
	}
	return out
}

// prettyJSON indents stored JSON for reading; other text stays as it is.
func prettyJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}
