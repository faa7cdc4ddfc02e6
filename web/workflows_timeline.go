package web

import (
	"strconv"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"

	"membership/web/templates"
)

// The timeline's geometry, in SVG user units: a column of labels, then the bars on a time
// axis from the instance's start to its end (or now).
const (
	timelineWidth  = 800
	timelineLabels = 230
	timelineRow    = 24
	timelineBar    = 16
	minBarWidth    = 3 // a step of a millisecond must still show
)

// step is one piece of work the orchestrator started: an activity, a timer or a
// sub-orchestration, from when it was scheduled to when its result arrived.
type step struct {
	kind, name string
	start, end time.Time
	ended      bool
	failed     bool
	detail     string
	href       string
	fireAt     time.Time // a timer's
}

// timeline draws each step of a history as a bar, so that a slow step is a long bar and a
// retried one is several bars of the same name. Steps still open run to end. A timer's fire
// time is in the club's time zone loc.
func timeline(events []*backend.HistoryEvent, end time.Time, loc *time.Location) templates.Timeline {
	var steps []*step
	open := make(map[string]*step) // by kind and the sequence number the orchestrator gave it
	key := func(kind string, id int32) string { return kind + "#" + strconv.Itoa(int(id)) }
	begin := func(kind, name string, e *backend.HistoryEvent) *step {
		s := &step{kind: kind, name: name, start: e.GetTimestamp().AsTime()}
		steps = append(steps, s)
		open[key(kind, e.GetEventId())] = s
		return s
	}
	finish := func(kind string, id int32, e *backend.HistoryEvent, failure string) {
		if s, ok := open[key(kind, id)]; ok {
			s.end, s.ended, s.failed, s.detail = e.GetTimestamp().AsTime(), true, failure != "", failure
		}
	}
	var t0 time.Time
	for _, e := range events {
		if t0.IsZero() {
			t0 = e.GetTimestamp().AsTime()
		}
		switch {
		case e.GetTaskScheduled() != nil:
			begin("activity", e.GetTaskScheduled().GetName(), e)
		case e.GetTaskCompleted() != nil:
			finish("activity", e.GetTaskCompleted().GetTaskScheduledId(), e, "")
		case e.GetTaskFailed() != nil:
			finish("activity", e.GetTaskFailed().GetTaskScheduledId(), e, e.GetTaskFailed().GetFailureDetails().GetErrorMessage())
		case e.GetTimerCreated() != nil:
			fireAt := e.GetTimerCreated().GetFireAt().AsTime()
			begin("timer", fireAt.UTC().Format(time.RFC3339), e).fireAt = fireAt.In(loc)
		case e.GetTimerFired() != nil:
			finish("timer", e.GetTimerFired().GetTimerId(), e, "")
		case e.GetSubOrchestrationInstanceCreated() != nil:
			sc := e.GetSubOrchestrationInstanceCreated()
			begin("sub-orchestration", sc.GetName(), e).href = workflowPath(api.InstanceID(sc.GetInstanceId()))
		case e.GetSubOrchestrationInstanceCompleted() != nil:
			finish("sub-orchestration", e.GetSubOrchestrationInstanceCompleted().GetTaskScheduledId(), e, "")
		case e.GetSubOrchestrationInstanceFailed() != nil:
			finish("sub-orchestration", e.GetSubOrchestrationInstanceFailed().GetTaskScheduledId(), e, e.GetSubOrchestrationInstanceFailed().GetFailureDetails().GetErrorMessage())
		}
	}
	tl := templates.Timeline{Width: timelineWidth, Height: len(steps) * timelineRow}
	if len(steps) == 0 {
		return tl
	}
	last := end
	for _, s := range steps {
		if !s.ended {
			s.end = end
		}
		if s.end.After(last) {
			last = s.end
		}
	}
	span := max(last.Sub(t0), time.Millisecond)
	tl.Span = span
	scale := float64(timelineWidth-timelineLabels) / float64(span)
	// An activity retried is several bars of one name, each told which run it is.
	attempts, seen := make(map[string]int), make(map[string]int)
	for _, s := range steps {
		if s.kind == "activity" {
			attempts[s.name]++
		}
	}
	for i, s := range steps {
		attempt, n := 1, 1
		if s.kind == "activity" {
			seen[s.name]++
			attempt, n = seen[s.name], attempts[s.name]
		}
		status := "completed"
		switch {
		case !s.ended:
			status = "running"
		case s.failed:
			status = "failed"
		}
		took := s.end.Sub(s.start)
		tl.Bars = append(tl.Bars, templates.Bar{
			Kind: s.kind, Name: s.name, Status: status, Detail: s.detail, Href: s.href,
			Attempt: attempt, Attempts: n, FireAt: s.fireAt, Took: took,
			X:     timelineLabels + float64(s.start.Sub(t0))*scale,
			Y:     float64(i*timelineRow + (timelineRow-timelineBar)/2),
			W:     max(float64(took)*scale, minBarWidth),
			H:     timelineBar,
			TextY: float64(i*timelineRow + timelineRow*2/3),
		})
	}
	return tl
}
