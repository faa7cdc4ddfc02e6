package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/members"
	"membership/web/i18n"
	"membership/workflows"
)

// PurposeGDPR is the purpose of a notice that answers a member's data protection request.
const PurposeGDPR = "gdpr"

// templateErasureRejected is the e-mail that tells a member why their erasure was rejected.
const templateErasureRejected = "erasure_rejected"

// memberEraser erases a member with everything the app holds about them, their workflow
// histories included: the web server's erasure, which activities may not import. Erasing an
// erased member again retries whatever failed before.
type memberEraser interface {
	EraseMember(ctx context.Context, actor string, id int64) error
}

// ErasureRejectedKey is the notice key of the e-mail that tells a member their erasure request
// was rejected.
func ErasureRejectedKey(requestID, memberID int64) string {
	return fmt.Sprintf("erasure-rejected:%d:member:%d:email", requestID, memberID)
}

// Erasures holds the side effects of the ErasureRequest workflow.
type Erasures struct {
	Members *members.Store
	Notices *Notices
	// BaseURL is server.base_url, where the links to a request's page point.
	BaseURL string
	// Location is the club's time zone, in which the admins read the deadline.
	Location *time.Location
	Log      *slog.Logger

	// eraser is set once the web server is built, after the task hub's workers started.
	eraser atomic.Pointer[memberEraser]
}

// NewErasures builds the erasure activities from the configuration; SetEraser completes them.
func NewErasures(cfg *config.Config, store *members.Store, notices *Notices, log *slog.Logger) *Erasures {
	return &Erasures{Members: store, Notices: notices, BaseURL: cfg.Server.BaseURL, Location: cfg.Club.Location(), Log: log}
}

// SetEraser gives the activities the erasure they run on a confirmed request (web.Server's
// EraseMember). Until it is set, that activity fails and its retry policy tries again.
func (a *Erasures) SetEraser(e memberEraser) { a.eraser.Store(&e) }

// Register adds the erasure activities to r.
func (a *Erasures) Register(r *task.TaskRegistry) error { return a.RegisterWith(r, nil) }

// RegisterWith is Register with each activity passed through wrap first; nil registers them as
// they are.
func (a *Erasures) RegisterWith(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity) error {
	return registerActivities(r, wrap,
		namedActivity{workflows.TellAdminsErasureRequestedActivity, activity(a.tellRequested)},
		namedActivity{workflows.RemindAdminsErasureActivity, activity(a.remind)},
		namedActivity{workflows.MarkErasureOverdueActivity, activity(a.markOverdue)},
		namedActivity{workflows.DecideErasureActivity, activity(a.decide)},
		namedActivity{workflows.EraseRequestedMemberActivity, activity(a.erase)},
		namedActivity{workflows.TellMemberErasureRejectedActivity, activity(a.tellRejected)},
	)
}

// tellAdmins e-mails the admins about request id, once per what and admin, while it is open:
// a request decided meanwhile (on its page, after a failed raise) needs no reminder. The e-mail
// names the member by number only: it stays in the notices after the member is erased.
func (a *Erasures) tellAdmins(ctx context.Context, id int64, what string, subject, text string) error {
	r, err := a.Members.GetErasureRequest(ctx, id)
	if err != nil || !r.Status.Open() {
		return err
	}
	loc := a.location()
	link := fmt.Sprintf("%s/erasure-requests/%d", strings.TrimRight(a.BaseURL, "/"), id)
	return a.Notices.TellAdmins(ctx, fmt.Sprintf("erasure-request:%d:%s", id, what), func(l *i18n.Localizer) (string, string) {
		return l.T(subject, "ID", r.MemberID), l.T(text, "ID", r.MemberID, "Deadline", l.DateTime(r.Deadline.In(loc)), "Link", link)
	})
}

func (a *Erasures) tellRequested(ctx context.Context, id int64) (struct{}, error) {
	return struct{}{}, a.tellAdmins(ctx, id, "requested", "admin_mail.erasure_requested.subject", "admin_mail.erasure_requested.text")
}

func (a *Erasures) remind(ctx context.Context, id int64) (struct{}, error) {
	return struct{}{}, a.tellAdmins(ctx, id, "reminder", "admin_mail.erasure_reminder.subject", "admin_mail.erasure_reminder.text")
}

// markOverdue marks the request overdue and tells the admins that the deadline passed, unless
// an admin decided it meanwhile; it answers the request's state.
func (a *Erasures) markOverdue(ctx context.Context, id int64) (string, error) {
	r, _, err := a.Members.MarkErasureOverdue(ctx, id)
	if err != nil {
		return "", err
	}
	if r.Status == members.ErasureOverdue {
		err = a.tellAdmins(ctx, id, "overdue", "admin_mail.erasure_overdue.subject", "admin_mail.erasure_overdue.text")
	}
	return string(r.Status), err
}

// decide records the decision and answers whether the request stands confirmed. A request
// decided already keeps its decision — the first one recorded wins — so the web, which records
// the decision before it raises the event, raises it without the reason: histories are not
// purged with the member, and keep ids only.
func (a *Erasures) decide(ctx context.Context, in workflows.ErasureStep) (bool, error) {
	r, err := a.Members.GetErasureRequest(ctx, in.RequestID)
	if err == nil && r.Status.Open() {
		r, err = a.Members.DecideErasure(ctx, in.RequestID, in.Decision.Actor, in.Decision.Confirm, in.Decision.Reason)
	}
	if errors.Is(err, members.ErrConflict) {
		r, err = a.Members.GetErasureRequest(ctx, in.RequestID)
	}
	if err != nil {
		return false, err
	}
	return r.Status == members.ErasureConfirmed, nil
}

// erase erases the member of a confirmed request and stamps the request done.
func (a *Erasures) erase(ctx context.Context, id int64) (struct{}, error) {
	_, err := EraseForRequest(ctx, a.Members, a.eraserOrNil(), id)
	return struct{}{}, err
}

func (a *Erasures) eraserOrNil() memberEraser {
	if e := a.eraser.Load(); e != nil {
		return *e
	}
	return nil
}

// EraseForRequest erases the member of confirmed request id through eraser, as the confirmed
// request's decider, and stamps the request done; a request done already is answered as it
// is. The workflow's activity runs it, and so does the request's page once the workflow ended
// (overdue).
func EraseForRequest(ctx context.Context, store *members.Store, eraser memberEraser, id int64) (*members.ErasureRequest, error) {
	r, err := store.GetErasureRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Status != members.ErasureConfirmed:
		return nil, fmt.Errorf("erase for request %d: it is %s: %w", id, r.Status, members.ErrConflict)
	case r.ErasedAt != nil:
		return r, nil
	case eraser == nil:
		return nil, errors.New("erase for request: no eraser set yet")
	}
	if err := eraser.EraseMember(ctx, r.DecidedBy, r.MemberID); err != nil {
		return nil, fmt.Errorf("erase member %d for request %d: %w", r.MemberID, id, err)
	}
	return store.MarkErasureDone(ctx, id)
}

// tellRejected e-mails the member (or a minor's guardian) that their request was rejected, and
// why, in their language. It answers their request, so it needs no consent.
func (a *Erasures) tellRejected(ctx context.Context, id int64) (NoticeResult, error) {
	r, err := a.Members.GetErasureRequest(ctx, id)
	if err != nil {
		return NoticeResult{}, err
	}
	return a.Notices.Send(ctx, NoticeRequest{
		Key: ErasureRejectedKey(r.ID, r.MemberID), MemberID: r.MemberID, Channel: ChannelEmail, Purpose: PurposeGDPR,
		Template: templateErasureRejected, Transactional: true, Guardian: true,
		Vars:   map[string]string{"reason": r.Reason},
		Values: map[string]Value{"requested_on": Day(members.DateOf(r.RequestedAt.In(a.location())))},
	})
}

func (a *Erasures) location() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}
