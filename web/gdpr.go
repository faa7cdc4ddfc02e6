package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/taskhub"
	"membership/web/templates"
)

// terminateWait bounds how long an erasure waits for the member's running workflows to end
// after it terminated them, before it purges them.
const terminateWait = 30 * time.Second

// memberPersonalData answers everything about one member as JSON: a download in the UI
// (/members/{id}/export.json), a plain answer in the API (/api/v1/members/{id}/export).
func (s *Server) memberPersonalData(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	pd, err := s.members.PersonalData(c.Request().Context(), id)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(pd, "", "  ")
	if err != nil {
		return err
	}
	if isAPI(c.Request().URL.Path) {
		return c.JSONBlob(http.StatusOK, body)
	}
	w := &download{c: c, contentType: echo.MIMEApplicationJSON, name: "member-" + strconv.FormatInt(id, 10) + "-" + s.today().String() + ".json"}
	_, err = w.Write(body)
	return err
}

// Erasure is what an erasure did: the member as it is now and what became of their workflow
// histories in the task hub.
type Erasure struct {
	Member              *members.Member `json:"member"`
	WorkflowsTerminated int             `json:"workflows_terminated"`
	WorkflowsPurged     int             `json:"workflows_purged"`
}

func (s *Server) apiErase(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	res, err := s.erase(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) eraseForm(c echo.Context) error {
	m, err := s.memberParam(c)
	if err != nil {
		return err
	}
	return s.renderErase(c, http.StatusOK, m, "")
}

func (s *Server) renderErase(c echo.Context, status int, m *members.Member, problem string) error {
	title := t(c, "gdpr.title", "Name", m.FullName())
	return s.page(c, status, title, "members", templates.EraseForm(s.ctx(c, title, "members"), m, problem))
}

// eraseConfirm erases once the person has typed the member's full name: an erasure cannot be
// undone, and a name typed by hand is harder to confirm by accident than a button.
func (s *Server) eraseConfirm(c echo.Context) error {
	m, err := s.memberParam(c)
	if err != nil {
		return err
	}
	if m.ErasedAt == nil && !strings.EqualFold(strings.Join(strings.Fields(c.FormValue("confirm_name")), " "), m.FullName()) {
		return s.renderErase(c, http.StatusUnprocessableEntity, m, t(c, "gdpr.confirm_problem", "Name", m.FullName()))
	}
	id := m.ID
	res, err := s.erase(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "ok",
		loc(c).N("gdpr.erased", res.WorkflowsPurged))
}

// erase stops the member's running workflows, erases the member in the app database, and
// purges the workflows' histories from the task hub: every instance whose id names the member
// ("…:member:7:…"). Orchestrations take member ids, never addresses (DESIGN.md), but their
// histories hold activity results and custom statuses that may. The workflows are stopped
// first, so that none acts on the member while the erasure runs. Erasing again retries what
// failed before.
func (s *Server) erase(ctx context.Context, actor string, id int64) (*Erasure, error) {
	if _, err := s.members.Get(ctx, id); err != nil {
		return nil, err
	}
	res := &Erasure{}
	x, insts, err := s.memberInstances(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, inst := range insts {
		if inst.Finished() {
			continue
		}
		err := x.Terminate(ctx, inst.ID, "member erased")
		if err != nil && !errors.Is(err, taskhub.ErrWrongState) && !errors.Is(err, api.ErrInstanceNotFound) {
			return nil, fmt.Errorf("terminate workflow %s: %w", inst.ID, err)
		}
		if err == nil {
			res.WorkflowsTerminated++
		}
	}
	if res.Member, err = s.members.Erase(ctx, actor, id); err != nil {
		return nil, err
	}
	for _, inst := range insts {
		n, err := s.purgeEnded(ctx, x, inst.ID)
		res.WorkflowsPurged += n
		if err != nil {
			return nil, fmt.Errorf("member %d is erased, but purging workflow %s failed (erase again to retry): %w", id, inst.ID, err)
		}
	}
	s.log.InfoContext(ctx, "member erased", slog.Int64("member_id", id),
		slog.Int("workflows_terminated", res.WorkflowsTerminated), slog.Int("workflows_purged", res.WorkflowsPurged))
	return res, nil
}

// memberInstances lists every orchestration instance whose id names member id.
func (s *Server) memberInstances(ctx context.Context, id int64) (*taskhub.Instances, []taskhub.Instance, error) {
	if s.hub == nil {
		return nil, nil, nil
	}
	x, err := s.hub.Instances()
	if err != nil {
		return nil, nil, err
	}
	var all []taskhub.Instance
	q := taskhub.Query{IDPart: "member:" + strconv.FormatInt(id, 10), Top: taskhub.MaxTop}
	for {
		page, err := x.List(ctx, q)
		if err != nil {
			return nil, nil, fmt.Errorf("list workflows of member %d: %w", id, err)
		}
		all = append(all, page.Instances...)
		if page.Next == "" {
			return x, all, nil
		}
		q.After = page.Next
	}
}

// purgeEnded waits for a terminated instance to end, then purges it with its
// sub-orchestrations; one purged earlier as another's child counts for nothing.
func (s *Server) purgeEnded(ctx context.Context, x *taskhub.Instances, id api.InstanceID) (int, error) {
	wctx, cancel := context.WithTimeout(ctx, terminateWait)
	defer cancel()
	if _, err := s.hub.Client().WaitForOrchestrationCompletion(wctx, id); err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
		return 0, fmt.Errorf("wait for the workflow to end: %w", err)
	}
	n, err := x.Purge(ctx, id)
	if errors.Is(err, api.ErrInstanceNotFound) {
		return 0, nil
	}
	return n, err
}
