package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	wf "membership/workflows"
)

// verificationRoutes mounts the public join and confirmation pages, the admin actions on a
// member's verifications and their JSON API. Without a verification store there are none.
func (s *Server) verificationRoutes(g routeGroups) {
	if s.verifications == nil || s.hub == nil {
		return
	}
	// Public pages: no login, CSRF-checked forms.
	g.ui.GET("/join", s.joinForm)
	g.ui.POST("/join", s.join)
	g.ui.GET("/join/:token/phone", s.joinStatus)
	g.ui.POST("/join/:token/phone", s.joinPhoneCode)
	g.ui.POST("/join/:token/resend", s.joinResend)
	g.ui.GET("/verify/email/:token", s.verifyEmail)

	g.user.GET("/members/:id/verification", s.verificationFragment)
	g.admin.POST("/members/:id/verify-phone", s.verifyPhoneStart)
	g.admin.POST("/members/:id/verify-email", s.verifyEmailStart)
	g.admin.POST("/members/:id/verifications/cancel", s.verificationsCancel)
	g.admin.POST("/members/verify", s.verifyBulk)

	g.api.GET("/members/:id/verifications", s.apiVerifications)
	g.apiAdmin.POST("/members/:id/verifications/phone", s.apiVerificationStart(members.VerifyPhone))
	g.apiAdmin.POST("/members/:id/verifications/email", s.apiVerificationStart(members.VerifyEmail))
	g.apiAdmin.POST("/members/:id/verifications/phone/code", s.apiPhoneCode)
	g.apiAdmin.POST("/members/:id/verifications/cancel", s.apiVerificationsCancel)
}

// orchestratorOf is the orchestrator that runs a kind of verification, and the event it waits for.
func orchestratorOf(kind members.VerificationKind) (name, event string) {
	if kind == members.VerifyPhone {
		return wf.PhoneVerificationName, wf.SmsChallengeResponseEvent
	}
	return wf.EmailVerificationName, wf.EmailConfirmedEvent
}

// eventOf is the event a run waits for: a sign-in's own, else its kind's.
func eventOf(run *members.Verification) string {
	if run.Purpose == members.PurposeSignIn {
		return wf.SignInCodeEvent
	}
	_, event := orchestratorOf(run.Kind)
	return event
}

// startVerification records a run of kind for the member and starts its orchestration. A run
// recorded as under way whose instance has stopped (failed, terminated, purged) is closed first,
// so it holds nothing up; one that still runs answers a *members.RunningError.
func (s *Server) startVerification(ctx context.Context, actor string, memberID int64, kind members.VerificationKind) (*members.Verification, error) {
	return s.startRun(ctx, actor, memberID, kind, members.PurposeVerify, "")
}

// startRun is startVerification for a purpose: a portal change confirming newAddress, or a
// portal sign-in sending its code to newAddress (MemberSignIn).
func (s *Server) startRun(ctx context.Context, actor string, memberID int64, kind members.VerificationKind, purpose, newAddress string) (*members.Verification, error) {
	begin := func() (*members.Verification, error) {
		return s.verifications.BeginFor(ctx, actor, memberID, kind, purpose, newAddress)
	}
	run, err := begin()
	var running *members.RunningError
	if errors.As(err, &running) {
		stale, serr := s.closeIfStopped(ctx, actor, running.Running)
		if serr != nil {
			return nil, serr
		}
		if !stale {
			return nil, err
		}
		run, err = begin()
	}
	if err != nil {
		return nil, err
	}
	name, _ := orchestratorOf(kind)
	if purpose == members.PurposeSignIn {
		name = wf.MemberSignInName
	}
	_, err = s.hub.Client().ScheduleNewOrchestration(ctx, name, api.WithInstanceID(api.InstanceID(run.InstanceID)),
		api.WithInput(wf.VerificationInput{MemberID: memberID, Version: wf.VerificationVersion}))
	if err != nil {
		if endErr := s.verifications.End(ctx, actor, run.InstanceID, members.VerificationFailed, "the workflow could not start"); endErr != nil {
			err = errors.Join(err, fmt.Errorf("close the run: %w", endErr))
		}
		return nil, fmt.Errorf("start %s: %w", run.InstanceID, err)
	}
	s.log.InfoContext(ctx, "verification started", slog.String("instance_id", run.InstanceID), slog.Int64("member_id", memberID), slog.String("actor", actor))
	return run, nil
}

// closeIfStopped ends a run whose orchestration no longer runs and reports whether it did.
func (s *Server) closeIfStopped(ctx context.Context, actor string, run *members.Verification) (bool, error) {
	md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, api.InstanceID(run.InstanceID))
	var why string
	switch {
	case errors.Is(err, api.ErrInstanceNotFound):
		why = "its workflow no longer exists"
	case err != nil:
		return false, fmt.Errorf("look up %s: %w", run.InstanceID, err)
	case md.IsComplete():
		why = "its workflow stopped (" + strings.ToLower(strings.TrimPrefix(md.RuntimeStatus.String(), "ORCHESTRATION_STATUS_")) + ")"
	default:
		return false, nil
	}
	return true, s.verifications.End(ctx, actor, run.InstanceID, members.VerificationFailed, why)
}

// cancelRequested cancels the runs of the member the request's :id names, for its principal.
func (s *Server) cancelRequested(c echo.Context) (memberID int64, cancelled int, err error) {
	if memberID, err = idParam(c); err != nil {
		return 0, 0, err
	}
	cancelled, err = s.cancelVerifications(c.Request().Context(), principal(c).Actor(), memberID)
	return memberID, cancelled, err
}

// cancelVerifications asks every run of the member still under way to stop, and returns how
// many it asked. A run whose orchestration has stopped is closed at once.
func (s *Server) cancelVerifications(ctx context.Context, actor string, memberID int64) (int, error) {
	if _, err := s.members.Get(ctx, memberID); err != nil {
		return 0, err
	}
	runs, err := s.verifications.Running(ctx, memberID)
	if err != nil {
		return 0, err
	}
	for i := range runs {
		run := &runs[i]
		if stale, err := s.closeIfStopped(ctx, actor, run); err != nil || stale {
			if err != nil {
				return i, err
			}
			continue
		}
		if err := s.raise(ctx, run.InstanceID, eventOf(run), wf.ChallengeEvent{Kind: wf.EventCancel}); err != nil {
			return i, err
		}
	}
	return len(runs), nil
}

func (s *Server) raise(ctx context.Context, instanceID, event string, ev wf.ChallengeEvent) error {
	if err := s.hub.Client().RaiseEvent(ctx, api.InstanceID(instanceID), event, api.WithEventPayload(ev)); err != nil {
		return fmt.Errorf("raise %s on %s: %w", event, instanceID, err)
	}
	return nil
}

// codeWait bounds how long a code submission waits for the run to react; codePoll is how often
// it looks at the run unwoken, for a run another process (PostgreSQL) moves on.
const (
	codeWait = 10 * time.Second
	codePoll = 100 * time.Millisecond
)

// CodeResult answers a code submission: verified, wrong, expired or locked (pending when the
// run did not react in time), with the attempts left.
type CodeResult struct {
	Result       string `json:"result"`
	AttemptsLeft int    `json:"attempts_left"`
}

// resultPending is what a submission answers when the run did not react within codeWait.
const resultPending = "pending"

// errNoCode means no code of the run can be entered (yet).
var errNoCode = fmt.Errorf("no code has been sent yet; wait for the message or ask for a new one: %w", members.ErrConflict)

// submitCode hashes what the person typed for a challenge of a run, raises the run's event with
// the hash (never the code) and waits until the run has checked it and, if it was right, marked
// the member. challenge 0 means the run's current one.
func (s *Server) submitCode(ctx context.Context, instanceID string, challenge int, code string) (CodeResult, error) {
	run, err := s.verifications.Get(ctx, instanceID)
	if err != nil {
		return CodeResult{}, err
	}
	if r, ok := settledResult(run); ok {
		return r, nil
	}
	if !run.CodeOut() {
		if run, err = s.awaitCodeOut(ctx, run); err != nil {
			return CodeResult{}, err
		}
	}
	if challenge == 0 {
		challenge = run.Challenge
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return CodeResult{}, fmt.Errorf("make check id: %w", err)
	}
	checkID := hex.EncodeToString(b[:])
	err = s.raise(ctx, instanceID, eventOf(run), wf.ChallengeEvent{Kind: wf.EventCode, CheckID: checkID,
		Hash: s.verifications.HashCode(instanceID, challenge, normalizeCode(code))})
	if err != nil {
		return CodeResult{}, err
	}
	return s.awaitCheck(ctx, instanceID, checkID)
}

// codeOutWait bounds how long a code typed before its run recorded the send waits for that
// record: an SMS can reach the phone before the activity that sent it has written "sent".
const codeOutWait = 3 * time.Second

// awaitCodeOut waits a moment for a run whose code is being sent to record the send, and
// answers errNoCode when it does not.
func (s *Server) awaitCodeOut(ctx context.Context, run *members.Verification) (*members.Verification, error) {
	if !run.Running() || run.Challenge == 0 {
		return nil, errNoCode
	}
	ctx, cancel := context.WithTimeout(ctx, codeOutWait)
	defer cancel()
	poll := time.NewTicker(codePoll)
	defer poll.Stop()
	for {
		changed := s.verifications.Changed()
		next, err := s.verifications.Get(ctx, run.InstanceID)
		switch {
		case err == nil && next.CodeOut():
			return next, nil
		case err != nil && ctx.Err() == nil:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, errNoCode
		case <-changed:
		case <-poll.C:
		}
	}
}

// awaitCheck waits until the run has checked the entry checkID (and, for a right code, stamped
// the member), or ended. The run's row is the one place both the orchestration and this
// handler see; the store wakes the handler when a run of this process changes, and the
// handler looks at the row every codePoll as well, for a run another process moves on.
func (s *Server) awaitCheck(ctx context.Context, instanceID, checkID string) (CodeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, codeWait)
	defer cancel()
	poll := time.NewTicker(codePoll)
	defer poll.Stop()
	left := 0
	for {
		changed := s.verifications.Changed()
		run, err := s.verifications.Get(ctx, instanceID)
		if err != nil && ctx.Err() == nil {
			return CodeResult{}, err
		}
		if err == nil {
			left = run.AttemptsLeft
			checked := run.LastCheckID == checkID
			switch {
			case checked && run.LastResult != members.CodeVerified:
				return CodeResult{Result: run.LastResult, AttemptsLeft: run.AttemptsLeft}, nil
			case !run.Running() || (checked && run.Status == members.VerificationVerified):
				r, _ := settledResult(run)
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return CodeResult{Result: resultPending, AttemptsLeft: left}, nil
		case <-changed:
		case <-poll.C:
		}
	}
}

// settledResult is the answer for a run no code can change any more.
func settledResult(run *members.Verification) (CodeResult, bool) {
	switch run.Status {
	case members.VerificationVerified:
		return CodeResult{Result: members.CodeVerified, AttemptsLeft: run.AttemptsLeft}, true
	case members.VerificationFailed:
		if run.AttemptsLeft <= 0 && run.Challenge > 0 {
			return CodeResult{Result: members.CodeLocked}, true
		}
		return CodeResult{Result: members.CodeExpired, AttemptsLeft: run.AttemptsLeft}, true
	case members.VerificationExpired, members.VerificationCancelled:
		return CodeResult{Result: members.CodeExpired, AttemptsLeft: run.AttemptsLeft}, true
	}
	return CodeResult{}, false
}

// normalizeCode drops what people type around a code: spaces and dashes.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, code)
}

// requestResend asks a run for a new code. The cooldown is checked here too, so the person is
// told at once; the run checks it again with the per-number limit.
func (s *Server) requestResend(ctx context.Context, run *members.Verification) error {
	if !run.Running() {
		return fmt.Errorf("the verification has ended: %w", members.ErrConflict)
	}
	if run.SentAt != nil {
		if wait := time.Until(run.SentAt.Add(s.verifications.Options().ResendCooldown)); wait > 0 {
			return &members.LimitError{RetryAt: time.Now().Add(wait)}
		}
	}
	return s.raise(ctx, run.InstanceID, eventOf(run), wf.ChallengeEvent{Kind: wf.EventResend})
}

// cancelRun asks a run's orchestration to stop; one that has stopped already is left alone.
func (s *Server) cancelRun(ctx context.Context, run *members.Verification) error {
	md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, api.InstanceID(run.InstanceID))
	switch {
	case errors.Is(err, api.ErrInstanceNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("look up %s: %w", run.InstanceID, err)
	case md.IsComplete():
		return nil
	}
	return s.raise(ctx, run.InstanceID, eventOf(run), wf.ChallengeEvent{Kind: wf.EventCancel})
}
