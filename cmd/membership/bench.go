package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
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
	memProfile  string
	processes   int     // 0: the campaign runs in the bench's own process; N: in N serve children
	postgres    string  // a PostgreSQL server's URL: both stores go to fresh databases on it
	killAt      float64 // 0, or the share of the audience sent at which child 1 is SIGKILLed
}

// The bench campaign's e-mails: the sink tells them from others by the subject's start.
const (
	benchSubjectPrefix = "Your membership, "
	benchSubject       = benchSubjectPrefix + "{{.FirstName}}"
	benchMessage       = "Hello {{.FirstName}},\n\nplease renew your membership at {{.Club}}."
)

const benchUsage = `usage: membership bench [flags]

Whole-system figures of one renewal campaign by e-mail to -members members of a seeded club,
from the start request to the final report, with the peak memory and the bare engine's rate.

  -processes 0   the campaign runs in this process (the default)
  -processes N   N real "membership serve" children (this binary, a config.yaml of their own
                 in the bench's temp folder); the club is seeded and an admin API token made
                 before they start, the campaign is started and polled through the JSON API as
                 a client would, and each child's peak RSS is sampled from /proc while it runs.
                 Over SQLite N is 1 (one serve per task hub); N > 1 needs -postgres.
  -postgres URL  both stores on PostgreSQL, in two fresh databases made on that server for the
                 run and dropped after it (unless -keep), e.g.
                 postgres://postgres@127.0.0.1:5432/test?sslmode=disable
  -kill-at F     (-provider smtp, -processes >= 1) SIGKILL child 1 once the campaign has sent F
                 of its audience, start it again and let the campaign finish; the sink's counts
                 per recipient give the lost and the repeated e-mails.
  -memprofile F  (in-process) a heap profile written when half of the audience is sent.

The SMTP sink runs in this process in both modes. MEMBERSHIP_* variables are not passed to the
children: what they need is in their config.yaml, on top of the -config file if one is given.
For the two-process ratio, run -processes 1 and -processes 2 with the same -postgres.

flags:
`

// bench measures the whole system: a campaign by e-mail to -members members, from its start
// to its final report, through the outbox or over SMTP to a sink in this process, with the
// peak memory; in this process or in -processes serve children; then the bare engine on a
// task hub of the same kind — as many no-op activities in batches of 100 — for the ratio.
func bench(ctx context.Context, e env) error {
	var o benchOptions
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	fs.IntVar(&o.members, "members", 10000, "recipients of the campaign")
	fs.StringVar(&o.provider, "provider", "outbox", "e-mail provider: outbox or smtp (a sink in this process)")
	fs.IntVar(&o.batch, "batch", 100, "campaigns.batch_size")
	fs.IntVar(&o.concurrency, "concurrency", 0, "sends in flight per batch (0: as serve sets it for the provider; in-process only)")
	fs.IntVar(&o.parallelism, "parallelism", 0, "taskhub.parallelism (0: the configured value)")
	fs.BoolVar(&o.baseline, "baseline", true, "also run the bare-engine baseline")
	fs.BoolVar(&o.keep, "keep", false, "keep the data folder (and the PostgreSQL databases)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the campaign to this file (in-process only)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file when half of the audience is sent (in-process only)")
	fs.IntVar(&o.processes, "processes", 0, "serve children that run the campaign (0: this process)")
	fs.StringVar(&o.postgres, "postgres", "", "PostgreSQL server URL: app database and task hub in fresh databases there")
	fs.Float64Var(&o.killAt, "kill-at", 0, "SIGKILL child 1 at this share of the audience sent (0 < F < 1), then restart it")
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "membership-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(e.stdout, "data folder: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	benchConfig(cfg, dir, o)
	if o.postgres != "" {
		appDSN, hubDSN, drop, err := benchPostgres(ctx, o.postgres, o.keep, e.stdout)
		if err != nil {
			return err
		}
		defer drop()
		cfg.Database = config.Database{Driver: "postgres", DSN: appDSN}
		cfg.TaskHub.Backend, cfg.TaskHub.DSN = taskhub.BackendPostgres, hubDSN
	}
	// Errors only: under load the app database logs every write that waited as a slow query.
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var sink *smtpSink
	if o.provider == "smtp" {
		if sink, err = startSMTPSink(benchSubjectPrefix); err != nil {
			return err
		}
		defer sink.close()
		cfg.Notify.Email.SMTP = config.SMTP{Host: sink.host, Port: sink.port, TLS: "none"}
	}

	var took time.Duration
	var children bytes.Buffer // the children's and the sink's lines, after the campaign's
	if o.processes == 0 {
		took, err = benchCampaign(ctx, cfg, o, log, e.stdout)
	} else {
		took, err = benchProcesses(ctx, cfg, e.configPath, dir, o, log, sink, e.stdout, &children)
	}
	if err != nil {
		return err
	}
	rate := float64(o.members) / took.Seconds()
	fmt.Fprintf(e.stdout, "campaign: %d e-mails through %s, start to final report %s: %.0f/s\n", o.members, o.provider, took.Round(time.Millisecond), rate)
	where := "the campaign ran in this process"
	if o.processes > 0 {
		where = "serve children"
	}
	fmt.Fprintf(e.stdout, "processes: %d (%s; app database %s, task hub %s)\n", o.processes, where, cfg.Database.Driver, cfg.TaskHub.Backend)
	if sink != nil && o.processes == 0 {
		sink.stats().report(e.stdout)
	}
	_, _ = children.WriteTo(e.stdout)
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

// check refuses flag combinations that would measure nothing meaningful.
func (o benchOptions) check() error {
	switch {
	case o.provider != "outbox" && o.provider != "smtp":
		return fmt.Errorf("bench: -provider %q: use outbox or smtp", o.provider)
	case o.members < 1:
		return fmt.Errorf("bench: -members %d: at least 1", o.members)
	case o.processes < 0:
		return fmt.Errorf("bench: -processes %d: 0 (in this process) or more children", o.processes)
	case o.processes > 1 && o.postgres == "":
		return fmt.Errorf("bench: -processes %d needs -postgres: a SQLite task hub has one serve process", o.processes)
	case o.killAt != 0 && (o.killAt <= 0 || o.killAt >= 1):
		return fmt.Errorf("bench: -kill-at %v: a share between 0 and 1", o.killAt)
	case o.killAt != 0 && (o.processes < 1 || o.provider != "smtp"):
		return fmt.Errorf("bench: -kill-at needs -processes >= 1 and -provider smtp (the sink counts what arrived)")
	case o.processes > 0 && (o.cpuProfile != "" || o.memProfile != "" || o.concurrency > 0):
		return fmt.Errorf("bench: -cpuprofile, -memprofile and -concurrency apply in this process only (-processes 0)")
	}
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
	gdb, store, err := openBenchClub(ctx, cfg, o.members, log)
	if err != nil {
		return 0, err
	}
	defer db.Close(gdb)
	hub, err := openTaskHub(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer hub.Shutdown(context.WithoutCancel(ctx))
	r := task.NewTaskRegistry()
	notices, err := wireNotify(ctx, cfg, gdb, auth.NewStore(gdb, authOptions(cfg), log), log, r, web.NewMetrics())
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
		Subject: benchSubject, Message: benchMessage})
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
	longest, sampled, profiled := 0, time.Now(), o.memProfile == ""
	for !c.Status.Finished() {
		time.Sleep(10 * time.Millisecond)
		if c, err = store.GetCampaign(ctx, c.ID); err != nil {
			return 0, err
		}
		if !profiled && 2*c.Counts.Sent >= o.members {
			profiled = true
			if err := writeHeapProfile(o.memProfile); err != nil {
				return 0, err
			}
			fmt.Fprintf(out, "heap profile: %s, at %d of %d sent\n", o.memProfile, c.Counts.Sent, o.members)
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

// writeHeapProfile writes the heap profile to path, after a collection so that it shows what
// is live now rather than as of the last cycle.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	return f.Close()
}

// historyLength is how many events the history of instance id holds now.
func historyLength(ctx context.Context, hub *taskhub.Hub, id string) (int, error) {
	state, err := hub.Backend().GetOrchestrationRuntimeState(ctx, &backend.OrchestrationWorkItem{InstanceID: api.InstanceID(id)})
	if err != nil {
		return 0, err
	}
	return len(state.OldEvents()) + len(state.NewEvents()), nil
}

// openBenchClub opens the app database and seeds the bench's club of n members into it.
func openBenchClub(ctx context.Context, cfg *config.Config, n int, log *slog.Logger) (*gorm.DB, *members.Store, error) {
	gdb, err := openAppDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	store := members.NewStore(gdb, membersOptions(cfg), log)
	if err := seedBenchClub(ctx, store, gdb, n); err != nil {
		return nil, nil, errors.Join(err, db.Close(gdb))
	}
	return gdb, store, nil
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
	// On PostgreSQL the campaign's task hub database, idle now, takes the baseline's instance
	// beside the finished campaign; a SQLite task hub gets a file of its own.
	if cfg.TaskHub.Backend != taskhub.BackendPostgres {
		cfg.TaskHub.DSN = filepath.Join(cfg.Server.DataDir, "baseline.db")
	}
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
	kb, err := vmHWM("self")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return megabytes(kb)
}

func megabytes(kb int) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

// vmHWM is the peak resident memory in kB of process pid ("self" for this one).
func vmHWM(pid string) (int, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			if fields := strings.Fields(v); len(fields) > 0 {
				return strconv.Atoi(fields[0])
			}
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmHWM in /proc/" + pid + "/status")
}
