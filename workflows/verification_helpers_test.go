package workflows_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership"
	"membership/config"
	"membership/db/dbtest"
	"membership/members"
	"membership/taskhub"
	"membership/taskhub/postgres"
	"membership/web/webtest"
	"membership/workflows"
)

// rig is the verification area on a real task hub in a temp dir, a real app database and the
// real provider clients against the Twilio and SendGrid fakes. Its hub can be stopped and
// started again on the same files, as a restarted server would.
type rig struct {
	cfg   *config.Config
	store *members.Store
	v     *webtest.Verifying
	dsn   string
	hub   *taskhub.Hub
	// pg runs the task hub on PostgreSQL (dsn is then the database's URL).
	pg bool
	// phones hands each member a number of their own, so the per-number limit is per test.
	phones atomic.Int64
}

func newRig(t *testing.T, configure func(*config.Config)) *rig {
	t.Helper()
	cfg, err := config.Load(membership.DefaultConfig, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.BaseURL = "http://membership.test"
	if configure != nil {
		configure(cfg)
	}
	store := members.NewStore(dbtest.SQLite(t), webtest.MembersOptions(cfg), dbtest.Log())
	r := &rig{cfg: cfg, store: store, v: webtest.NewVerifying(t, cfg, store, nil), dsn: filepath.Join(t.TempDir(), "taskhub.db")}
	// MEMBERSHIP_TEST_TASKHUB=postgres runs the same cases on the PostgreSQL task hub.
	if os.Getenv("MEMBERSHIP_TEST_TASKHUB") == taskhub.BackendPostgres {
		r.pg, r.dsn = true, dbtest.PostgresDatabase(t)
	}
	r.start(t)
	return r
}

// start opens the task hub and runs its workers until the test ends (or restart).
func (r *rig) start(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	opts := taskhub.Options{DSN: r.dsn, Name: "test", LockTimeout: r.cfg.TaskHub.LockTimeout.Std(), Parallelism: 4}
	if r.pg {
		opts.Backend, opts.NewPostgres = taskhub.BackendPostgres, postgres.NewForHub
	}
	hub, err := taskhub.Open(ctx, opts, dbtest.Log())
	if err != nil {
		t.Fatal(err)
	}
	reg := task.NewTaskRegistry()
	if err := r.v.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := hub.Start(ctx, reg); err != nil {
		t.Fatal(err)
	}
	r.hub = hub
	t.Cleanup(func() { r.stop(t, hub) })
}

func (r *rig) stop(t *testing.T, hub *taskhub.Hub) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hub.Shutdown(ctx); err != nil {
		t.Errorf("task hub shutdown: %v", err)
	}
}

// restart stops the task hub and opens it again on the same file.
func (r *rig) restart(t *testing.T) {
	t.Helper()
	r.stop(t, r.hub)
	r.start(t)
}

// member creates a pending member with a phone number and an e-mail address of their own.
func (r *rig) member(t *testing.T) *members.Member {
	t.Helper()
	n := r.phones.Add(1)
	m, err := r.store.Create(context.Background(), "user:1", members.MemberInput{
		FirstName: "Aiko", LastName: fmt.Sprintf("Tanaka%d", n), Email: fmt.Sprintf("aiko%d@example.org", n),
		Phone: fmt.Sprintf("+491512345%04d", n), Status: members.StatusPending,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// begin records a run of kind for m and starts its orchestration.
func (r *rig) begin(t *testing.T, m *members.Member, kind members.VerificationKind) api.InstanceID {
	t.Helper()
	run, err := r.v.Verifications.Begin(context.Background(), "user:1", m.ID, kind)
	if err != nil {
		t.Fatal(err)
	}
	name := workflows.PhoneVerificationName
	if kind == members.VerifyEmail {
		name = workflows.EmailVerificationName
	}
	id := api.InstanceID(run.InstanceID)
	_, err = r.hub.Client().ScheduleNewOrchestration(context.Background(), name, api.WithInstanceID(id),
		api.WithInput(workflows.VerificationInput{MemberID: m.ID}))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// raise sends a ChallengeEvent to a run.
func (r *rig) raise(t *testing.T, id api.InstanceID, event string, ev workflows.ChallengeEvent) {
	t.Helper()
	if err := r.hub.Client().RaiseEvent(context.Background(), id, event, api.WithEventPayload(ev)); err != nil {
		t.Fatalf("raise %s on %s: %v", event, id, err)
	}
}

// enter types code into a run, as the handler does (hash first, then the event), and waits
// until the run has checked it.
func (r *rig) enter(t *testing.T, id api.InstanceID, code string) members.CheckResult {
	t.Helper()
	run, err := r.v.Verifications.Get(context.Background(), string(id))
	if err != nil {
		t.Fatal(err)
	}
	event := workflows.SmsChallengeResponseEvent
	switch {
	case run.Purpose == members.PurposeSignIn:
		event = workflows.SignInCodeEvent
	case run.Kind == members.VerifyEmail:
		event = workflows.EmailConfirmedEvent
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	checkID := hex.EncodeToString(b[:])
	r.raise(t, id, event, workflows.ChallengeEvent{Kind: workflows.EventCode, CheckID: checkID,
		Hash: r.v.Verifications.HashCode(string(id), run.Challenge, code)})
	var got *members.Verification
	r.eventually(t, "the run checks the code", func() bool {
		got, err = r.v.Verifications.Get(context.Background(), string(id))
		return err == nil && got.LastCheckID == checkID
	})
	return members.CheckResult{Result: got.LastResult, AttemptsLeft: got.AttemptsLeft}
}

// follow opens the link of a verification e-mail, as /verify/email/{token} does.
func (r *rig) follow(t *testing.T, link string) {
	t.Helper()
	l := r.openLink(t, link)
	r.raise(t, api.InstanceID(l.InstanceID()), workflows.EmailConfirmedEvent, workflows.ChallengeEvent{Kind: workflows.EventCode,
		CheckID: "link", Hash: r.v.Verifications.HashCode(l.InstanceID(), l.Challenge, l.Code)})
}

// openLink reads what the link of a verification e-mail carries.
func (r *rig) openLink(t *testing.T, link string) members.EmailLink {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.v.Verifications.OpenEmailLink(path.Base(u.Path))
	if err != nil {
		t.Fatalf("open %s: %v", link, err)
	}
	return l
}

// done waits for an instance to finish and returns its output.
func (r *rig) done(t *testing.T, id api.InstanceID) string {
	t.Helper()
	var md *api.OrchestrationMetadata
	r.eventually(t, string(id)+" finishes", func() bool {
		var err error
		md, err = r.hub.Client().FetchOrchestrationMetadata(context.Background(), id)
		return err == nil && md.IsComplete()
	})
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("%s ended %s: %v", id, md.RuntimeStatus, md.FailureDetails)
	}
	var out string
	if err := json.Unmarshal([]byte(md.SerializedOutput), &out); err != nil {
		t.Fatalf("output of %s: %q: %v", id, md.SerializedOutput, err)
	}
	return out
}

// status reads a run's custom status.
func (r *rig) status(t *testing.T, id api.InstanceID) workflows.VerificationStatus {
	t.Helper()
	md, err := r.hub.Client().FetchOrchestrationMetadata(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.VerificationStatus
	if md.SerializedCustomStatus != "" {
		if err := json.Unmarshal([]byte(md.SerializedCustomStatus), &st); err != nil {
			t.Fatalf("custom status %q: %v", md.SerializedCustomStatus, err)
		}
	}
	return st
}

// eventually polls cond until it holds, failing the test after 30 s.
func (r *rig) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wrongCode is a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}
