package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// challenge is what tells the phone run from the e-mail run: the event it waits for and the
// activities it calls.
type challenge struct {
	event              string
	issue, check, mark string
}

// runChallenge is a verification run: send a code, wait for what the person does until the code
// expires, and end Verified, Expired, Failed or Cancelled.
//
// Within one challenge every wait ends when the code expires, so the timers of earlier waits
// fire with the last one. A new code (a new expiry) continues as new: a timer of the old code
// firing during a later wait would otherwise end that wait early (the engine drops the pending
// wait of an event name when a stale timeout of the same name fires).
func runChallenge(ctx *task.OrchestrationContext, c challenge) (any, error) {
	var in VerificationInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	id := string(ctx.ID)
	issued := in.Issued
	if issued == nil {
		var out IssuedCode
		err := issueFirst(ctx, c, in, &out)
		switch {
		case err != nil:
			// The activity's error may quote the provider; the run's record says only what happened.
			return end(ctx, in.MemberID, Failed, "the code could not be sent")
		case out.Refused != "":
			return end(ctx, in.MemberID, Failed, out.Detail)
		}
		issued = &out
	}
	st := VerificationStatus{State: "code_sent", Challenge: issued.Challenge, AttemptsLeft: issued.AttemptsLeft,
		ExpiresAt: issued.ExpiresAt, ResendAfter: issued.ResendAfter}
	for {
		setStatus(ctx, st)
		var ev ChallengeEvent
		err := ctx.WaitForSingleEvent(c.event, max(issued.ExpiresAt.Sub(ctx.CurrentTimeUtc), 0)).Await(&ev)
		switch {
		case errors.Is(err, task.ErrTaskCanceled):
			return end(ctx, in.MemberID, Expired, "no code was entered in time")
		case err != nil:
			continue // a payload that is no ChallengeEvent: nothing to act on
		}
		switch ev.Kind {
		case EventCode:
			var res CheckOutput
			if err := call(ctx, c.check, CheckInput{InstanceID: id, CheckID: ev.CheckID, Hash: ev.Hash}, &res); err != nil {
				return nil, err
			}
			switch res.Result {
			case "wrong":
				st.AttemptsLeft, st.Notice = res.AttemptsLeft, ""
				continue
			case "locked":
				return end(ctx, in.MemberID, Failed, "every attempt was used")
			case "expired":
				return end(ctx, in.MemberID, Expired, "the code had expired")
			}
			var m MarkOutput
			if err := call(ctx, c.mark, MarkInput{InstanceID: id, MemberID: in.MemberID}, &m); err != nil {
				return nil, err
			}
			if m.Changed {
				// Marking found the address changed and ended the run.
				setStatus(ctx, VerificationStatus{State: "failed", Reason: "the address changed while the code was out"})
				return Failed, nil
			}
			setStatus(ctx, VerificationStatus{State: "verified"})
			return Verified, nil
		case EventResend:
			if ctx.CurrentTimeUtc.Before(issued.ResendAfter) {
				st.Notice = "cooldown"
				continue
			}
			var next IssuedCode
			if err := call(ctx, c.issue, IssueInput{InstanceID: id, MemberID: in.MemberID, Challenge: issued.Challenge + 1}, &next); err != nil {
				st.Notice = "send_failed"
				continue // the old code still holds
			}
			if next.Refused != "" {
				st.Notice = next.Refused
				if next.ResendAfter.After(st.ResendAfter) {
					st.ResendAfter = next.ResendAfter
				}
				continue
			}
			ctx.ContinueAsNew(VerificationInput{MemberID: in.MemberID, Challenge: next.Challenge, Issued: &next, Version: in.Version, ProviderWait: in.ProviderWait},
				task.WithKeepUnprocessedEvents())
			return nil, nil
		case EventCancel:
			return end(ctx, in.MemberID, Cancelled, "cancelled by an admin")
		}
	}
}

// issueFirst issues and sends the run's first code. Version 0 gives up when the send retries
// run out; from version 1 on the run then waits for the provider — durable timers growing from
// in.ProviderWait to maxProviderWait, "waiting_for_provider" in its status — and tries again,
// for up to verificationPatience. Issuing is idempotent per challenge and the code's expiry
// starts when it is finally issued, so the code that arrives late still has its whole time.
func issueFirst(ctx *task.OrchestrationContext, c challenge, in VerificationInput, out *IssuedCode) error {
	id := string(ctx.ID)
	wait := cmp.Or(in.ProviderWait, DefaultProviderWait)
	var waited time.Duration
	for {
		setStatus(ctx, VerificationStatus{State: "sending"})
		issue := IssueInput{InstanceID: id, MemberID: in.MemberID, Challenge: max(in.Challenge, 1)}
		if in.Version < 1 {
			return call(ctx, c.issue, issue, out)
		}
		// A few quick tries; a provider that is down then gets the growing waits below.
		err := ctx.CallActivity(c.issue, task.WithActivityInput(issue), task.WithActivityRetryPolicy(providerRetryPolicy())).Await(out)
		if err == nil || waited >= verificationPatience {
			return err
		}
		// The status names no provider answer: it may quote the address.
		setStatus(ctx, VerificationStatus{State: "waiting_for_provider", RetryAt: ctx.CurrentTimeUtc.Add(wait)})
		if err := ctx.CreateTimer(wait).Await(nil); err != nil {
			return err
		}
		waited += wait
		wait = min(wait*2, maxProviderWait)
	}
}

// end closes the run's record with outcome (Expired, Failed, Cancelled) and returns it.
func end(ctx *task.OrchestrationContext, memberID int64, outcome, reason string) (any, error) {
	status := strings.ToLower(outcome)
	if err := call(ctx, EndVerificationActivity, EndInput{InstanceID: string(ctx.ID), MemberID: memberID, Status: status, Reason: reason}, nil); err != nil {
		return nil, err
	}
	setStatus(ctx, VerificationStatus{State: status, Reason: reason})
	return outcome, nil
}
