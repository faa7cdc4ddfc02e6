package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
	"gorm.io/gorm"

	"membership/activities"
	"membership/config"
	"membership/db"
	"membership/members"
	"membership/taskhub"
	"membership/taskhub/taskhubtest"
	"membership/web"
	"membership/web/auth"
	"membership/workflows"
)

// benchOptions are the bench subcommand's flags.
type benchOptions struct {
	members     int
	provider    string // outbox or smtp
	batch       int
	concurrency int
	parallelism int
	baseline    bool
	keep        bool
	cpuProfile  string
}

// bench measures the whole system in this process: a campaign by e-mail to -members members,
// from its start to its final report, through the outbox or over SMTP to a sink in this
// process, with the process's peak memory; then the bare engine on the same task hub — as
// many no-op activities in batches of 100 — for the ratio.
func bench(ctx context.Context, e env) error {
	var o benchOptions
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.IntVar(&o.members, "members", 10000, "recipients of the campaign")
	fs.StringVar(&o.provider, "provider", "outbox", "e-mail provider: outbox or smtp (a sink in this process)")
	fs.IntVar(&o.batch, "batch", 100, "campaigns.batch_size")
	fs.IntVar(&o.concurrency, "concurrency", 0, "sends in flight per batch (0: as serve sets it for the provider)")
	fs.IntVar(&o.parallelism, "parallelism", 0, "taskhub.parallelism (0: the configured value)")
	fs.BoolVar(&o.baseline, "baseline", true, "also run the bare-engine baseline")
	fs.BoolVar(&o.keep, "keep", false, "keep the data folder")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the campaign to this file")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	if o.provider != "outbox" && o.provider != "smtp" {
		return fmt.Errorf("bench: -provider %q: use outbox or smtp", o.provider)
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "membership-bench-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	benchConfig(cfg, dir, o)
	// Errors only: under load the app database logs every write that waited as a slow query.
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var sink *smtpSink
	if o.provider == "smtp" {
		if sink, err = startSMTPSink(); err != nil {
			return err
		}
		defer sink.close()
		cfg.Notify.Email.SMTP = config.SMTP{Host: sink.host, Port: sink.port, TLS: "none"}
	}

	took, err := benchCampaign(ctx, cfg, o, log, e.stdout)
	if err != nil {
		return err
	}
	rate := float64(o.members) / took.Seconds()
	fmt.Fprintf(e.stdout, "campaign: %d e-mails through %s, start to final report %s: %.0f/s\n", o.members, o.provider, took.Round(time.Millisecond), rate)
	if sink != nil {
		fmt.Fprintf(e.stdout, "smtp sink: %d e-mails received over %d connections\n", sink.received.Load(), sink.sessions.Load())
	}
	fmt.Fprintf(e.stdout, "peak RSS (VmHWM): %s\n", peakRSS())
	if !o.baseline {
		return nil
	}
	base, err := benchBaseline(ctx, cfg, o.members, log)
	if err != nil {
		return err
	}
	baseRate := float64(o.members) / base.Seconds()
	fmt.Fprintf(e.stdout, "engine baseline: %d no-op activities in batches of 100, %s: %.0f/s; the campaign runs at %.2f× the bare engine\n",
		o.members, base.Round(time.Millisecond), baseRate, rate/baseRate)
	return nil
}

// benchConfig points the stores into dir and takes away what would measure something else:
// quiet hours, rate limits, the fee scheduler's catch-up run.
func benchConfig(cfg *config.Config, dir string, o benchOptions) {
	cfg.Server.DataDir = dir
	cfg.Database = config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "membership.db")}
	cfg.TaskHub.Backend, cfg.TaskHub.DSN = taskhub.BackendSQLite, filepath.Join(dir, "taskhub.db")
	if o.parallelism > 0 {
		cfg.TaskHub.Parallelism = o.parallelism
	}
	cfg.Campaigns.BatchSize, cfg.Campaigns.QuietHours = o.batch, config.QuietHours{}
	cfg.Notify.Email.Provider, cfg.Notify.Email.RateLimit = o.provider, 0
}

// benchCampaign seeds the club, runs one campaign to all of it and returns how long it took
// from its start to its final report.
func benchCampaign(ctx context.Context, cfg *config.Config, o benchOptions, log *slog.Logger, out io.Writer) (time.Duration, error) {
	gdb, err := openAppDB(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer db.Close(gdb)
	store := members.NewStore(gdb, membersOptions(cfg), log)
	if err := seedBenchClub(ctx, store, gdb, o.members); err != nil {
		return 0, err
	}
	hub, err := openTaskHub(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer hub.Shutdown(context.WithoutCancel(ctx))
	r := task.NewTaskRegistry()
	notices, err := wireNotify(cfg, gdb, auth.NewStore(gdb, authOptions(cfg), log), log, r, web.NewMetrics())
	if err != nil {
		return 0, err
	}
	defer notices.close()
	campaigns := activities.NewCampaigns(cfg, store, notices.notices, log)
	if o.concurrency > 0 {
		campaigns.Concurrency = o.concurrency
	}
	if err := errors.Join(workflows.RegisterCampaigns(r), campaigns.Register(r)); err != nil {
		return 0, err
	}
	if err := hub.Start(ctx, r); err != nil {
		return 0, err
	}
	c, err := store.CreateCampaign(ctx, members.ActorSystem, members.CampaignInput{Name: "Bench", Channels: []string{members.CampaignEmail},
		Subject: "Your membership, {{.FirstName}}", Message: "Hello {{.FirstName}},\n\nplease renew your membership at {{.Club}}."})
	if err != nil {
		return 0, err
	}
	// The profile covers the campaign alone, not the seeding before it.
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return 0, err
	}
	defer stopProfile()
	start := time.Now()
	_, err = hub.Client().ScheduleNewOrchestration(ctx, workflows.RenewalCampaignName, api.WithInstanceID(api.InstanceID(c.InstanceID)),
		api.WithInput(workflows.RenewalCampaignInput{CampaignID: c.ID, StartAt: c.StartAt}))
	if err != nil {
		return 0, err
	}
	// The parent's history, sampled while it runs (rarely: the engine reads and writes its
	// store on one connection): ContinueAsNew must keep it short.
	longest, sampled := 0, time.Now()
	for !c.Status.Finished() {
		time.Sleep(10 * time.Millisecond)
		if c, err = store.GetCampaign(ctx, c.ID); err != nil {
			return 0, err
		}
		if time.Since(sampled) < 250*time.Millisecond {
			continue
		}
		sampled = time.Now()
		if n, err := historyLength(ctx, hub, c.InstanceID); err == nil {
			longest = max(longest, n)
		}
	}
	took := time.Since(start)
	if c.Status != members.CampaignCompleted || c.Counts.Sent != o.members {
		return 0, fmt.Errorf("bench: the campaign ended %s with %+v (%s)", c.Status, c.Counts, c.Error)
	}
	fmt.Fprintf(out, "history: the campaign's orchestration held at most %d events at a time (sampled every 250 ms)\n", longest)
	return took, nil
}

// startCPUProfile writes a CPU profile to path until the returned stop is called; an empty
// path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// historyLength is how many events the history of instance id holds now.
func historyLength(ctx context.Context, hub *taskhub.Hub, id string) (int, error) {
	state, err := hub.Backend().GetOrchestrationRuntimeState(ctx, &backend.OrchestrationWorkItem{InstanceID: api.InstanceID(id)})
	if err != nil {
		return 0, err
	}
	return len(state.OldEvents()) + len(state.NewEvents()), nil
}

// seedBenchClub adds a demo club of n members and makes every one of them a recipient: an
// address of their own, e-mail consent, active.
func seedBenchClub(ctx context.Context, store *members.Store, gdb *gorm.DB, n int) error {
	if err := store.SeedDemo(ctx, n, rand.New(rand.NewPCG(1, 1))); err != nil {
		return err
	}
	return gdb.Exec("UPDATE members SET email = 'member' || id || '@bench.example', email_consent = TRUE, status = 'active'").Error
}

// benchBaseline runs n no-op activities in batches of 100 on a fresh task hub and returns how
// long they took.
func benchBaseline(ctx context.Context, cfg *config.Config, n int, log *slog.Logger) (time.Duration, error) {
	cfg.TaskHub.DSN = filepath.Join(cfg.Server.DataDir, "baseline.db")
	hub, err := openTaskHub(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer hub.Shutdown(context.WithoutCancel(ctx))
	r := task.NewTaskRegistry()
	if err := taskhubtest.RegisterFanOut(r, taskhubtest.NewExecutions()); err != nil {
		return 0, err
	}
	if err := hub.Start(ctx, r); err != nil {
		return 0, err
	}
	start := time.Now()
	id, err := hub.Client().ScheduleNewOrchestration(ctx, taskhubtest.FanOutOrchestrator,
		api.WithInput(taskhubtest.FanOutInput{Activities: n, BatchSize: 100}))
	if err != nil {
		return 0, err
	}
	for {
		md, err := hub.Client().FetchOrchestrationMetadata(ctx, id)
		if err != nil {
			return 0, err
		}
		if md.IsComplete() {
			if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
				return 0, fmt.Errorf("bench: baseline ended %s", md.RuntimeStatus)
			}
			return time.Since(start), nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// peakRSS is the process's peak resident memory as the kernel counts it (VmHWM).
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			fields := strings.Fields(v)
			if kb, err := strconv.Atoi(fields[0]); err == nil {
				return fmt.Sprintf("%.1f MB", float64(kb)/1024)
			}
		}
	}
	return "unknown"
}
