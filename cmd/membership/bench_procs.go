package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"membership/activities"
	"membership/config"
	"membership/db"
	"membership/members"
	"membership/web/auth"
)

// benchChildEnv is added to every serve child's environment. Tests set it so that their own
// binary, which is what os.Executable names there, serves (see TestMain).
var benchChildEnv []string

// benchStall is how long the campaign may go without a notice sent before the bench gives up.
const benchStall = 90 * time.Second

// benchChild is one serve process of the bench, and what it keeps across a restart: its
// address, folder and config file.
type benchChild struct {
	n        int
	addr     string
	dir      string
	config   string
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	peakKB   int           // the highest VmHWM sampled of this process
	restarts []int         // the peaks of the processes it replaced
}

// benchProcesses seeds the club into the app database, makes an admin API token, starts
// o.processes serve children on both stores, starts the campaign through the JSON API as a
// client would, polls it until its final report (killing and restarting child 1 at -kill-at),
// and prints the history's length to out, what the children and the sink saw to after. It
// returns the time from the start request to the final report.
func benchProcesses(ctx context.Context, cfg *config.Config, userConfig, dir string, o benchOptions, log *slog.Logger, sink *smtpSink, out, after io.Writer) (time.Duration, error) {
	gdb, _, err := openBenchClub(ctx, cfg, o.members, log)
	if err != nil {
		return 0, err
	}
	defer db.Close(gdb)
	users := auth.NewStore(gdb, authOptions(cfg), log)
	// The first admin made here, not by children starting side by side, who would race for it.
	if _, err := users.EnsureFirstAdmin(ctx, firstAdminEmail); err != nil {
		return 0, err
	}
	token, _, err := users.CreateToken(ctx, "bench", auth.RoleAdmin, nil)
	if err != nil {
		return 0, err
	}
	var addrs []string
	if err := gdb.Raw("SELECT email FROM members").Scan(&addrs).Error; err != nil {
		return 0, fmt.Errorf("bench: the audience's addresses: %w", err)
	}

	children := make([]*benchChild, o.processes)
	defer func() {
		for _, c := range children {
			if c != nil {
				c.stop()
			}
		}
	}()
	for i := range children {
		c, err := newBenchChild(i+1, dir, cfg, userConfig)
		if err != nil {
			return 0, err
		}
		children[i] = c
		if err := c.start(); err != nil {
			return 0, err
		}
	}
	for _, c := range children {
		if err := c.waitReady(ctx); err != nil {
			return 0, err
		}
	}
	api := benchAPI{token: token}

	start := time.Now()
	var started struct {
		CampaignID int64 `json:"campaign_id"`
	}
	body, _ := json.Marshal(map[string]any{"name": "Bench", "channels": []string{members.CampaignEmail}, "audience": map[string]any{},
		"subject": benchSubject, "message": benchMessage})
	if status, err := api.do(ctx, http.MethodPost, children[0].addr, "/api/v1/campaigns", body, &started); err != nil || status != http.StatusAccepted {
		return 0, fmt.Errorf("bench: start the campaign: %d, %v", status, err)
	}

	var (
		c                         members.Campaign
		longest, historyErrs      int
		sampled, progressed       = time.Now(), time.Now()
		lastSent                  = -1
		killed                    bool
		sentAtKill, sendingAtKill int
		journaledAtKill           int
		inFlightAtKill            int
	)
	for !c.Status.Finished() {
		time.Sleep(10 * time.Millisecond)
		for _, ch := range children {
			ch.sample()
		}
		live := liveChild(children)
		if live == nil {
			return 0, errors.New("bench: every serve child has exited")
		}
		var next members.Campaign
		status, err := api.do(ctx, http.MethodGet, live.addr, fmt.Sprintf("/api/v1/campaigns/%d", started.CampaignID), nil, &next)
		if err != nil || status != http.StatusOK {
			// A child still starting (after the kill) answers nothing yet: ask again.
			if time.Since(progressed) > benchStall {
				return 0, fmt.Errorf("bench: read the campaign: %d, %v", status, err)
			}
			continue
		}
		c = next
		if c.Counts.Sent != lastSent {
			lastSent, progressed = c.Counts.Sent, time.Now()
		} else if time.Since(progressed) > benchStall {
			return 0, fmt.Errorf("bench: the campaign sent nothing for %s: %+v", benchStall, c.Counts)
		}
		if o.killAt > 0 && !killed && float64(c.Counts.Sent) >= o.killAt*float64(o.members) && !c.Status.Finished() {
			killed = true
			if err := children[0].kill(); err != nil {
				return 0, err
			}
			sentAtKill = c.Counts.Sent
			// The notices a send was claimed for and never recorded: each may go out again.
			if err := gdb.Raw("SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sending'", started.CampaignID).Scan(&sendingAtKill).Error; err != nil {
				return 0, fmt.Errorf("bench: count the sends in flight: %w", err)
			}
			// Of those, the ones whose outcome is in the child's send journal are settled when
			// it starts again, before any batch sends.
			if journaledAtKill, inFlightAtKill, err = activities.JournalCounts(filepath.Join(children[0].dir, "sends")); err != nil {
				return 0, err
			}
			if err := children[0].start(); err != nil {
				return 0, err
			}
			continue
		}
		if time.Since(sampled) >= 250*time.Millisecond {
			sampled = time.Now()
			if n, err := api.historyLength(ctx, live.addr, c.InstanceID); err == nil {
				longest = max(longest, n)
			} else {
				historyErrs++
			}
		}
	}
	took := time.Since(start)
	for _, ch := range children {
		ch.sample()
	}
	if c.Status != members.CampaignCompleted || c.Counts.Sent != o.members {
		return 0, fmt.Errorf("bench: the campaign ended %s with %+v (%s)", c.Status, c.Counts, c.Error)
	}
	fmt.Fprintf(out, "history: the campaign's orchestration held at most %d events at a time (sampled every 250 ms through the management API, %d samples failed)\n", longest, historyErrs)
	for _, ch := range children {
		ch.stop()
		fmt.Fprintf(after, "child %d: peak RSS (VmHWM) %s", ch.n, megabytes(ch.peakKB))
		for _, kb := range ch.restarts {
			fmt.Fprintf(after, ", before its restart %s", megabytes(kb))
		}
		fmt.Fprintln(after)
	}
	if sink != nil {
		st := sink.stats()
		st.report(after)
		if killed {
			fmt.Fprintf(after, "kill at %.0f %%: lost %d (recipients never received), repeated %d (recipients received more than once); killed at %d sent, %d notices left sending, %d of them with their outcome in the send journal, %d in flight (the most that may repeat)\n",
				100*o.killAt, st.lost(addrs), st.repeated(), sentAtKill, sendingAtKill, journaledAtKill, inFlightAtKill)
		}
	}
	return took, nil
}

// liveChild is the first child whose process runs, the one the bench asks.
func liveChild(children []*benchChild) *benchChild {
	for _, c := range children {
		if c.cmd != nil && !c.exited() {
			return c
		}
	}
	return nil
}

// newBenchChild prepares child n: a free port, a folder of its own under dir and a config.yaml
// there, which is the -config file (if any) with the bench's keys laid over it.
func newBenchChild(n int, dir string, cfg *config.Config, userConfig string) (*benchChild, error) {
	c := &benchChild{n: n, dir: filepath.Join(dir, "child"+strconv.Itoa(n))}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	c.addr = addr
	doc := map[string]any{}
	if userConfig != "" {
		b, err := os.ReadFile(userConfig)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", userConfig, err)
		}
		if doc == nil {
			doc = map[string]any{}
		}
	}
	keys := map[string]any{
		"server.addr": addr, "server.base_url": "http://" + addr, "server.data_dir": c.dir,
		"database.driver": cfg.Database.Driver, "database.dsn": cfg.Database.DSN,
		"taskhub.backend": cfg.TaskHub.Backend, "taskhub.dsn": cfg.TaskHub.DSN, "taskhub.parallelism": cfg.TaskHub.Parallelism,
		"campaigns.batch_size": cfg.Campaigns.BatchSize, "campaigns.quiet_hours": "",
		"notify.email.provider": cfg.Notify.Email.Provider, "notify.email.rate_limit": 0,
		"notify.email.smtp.host": cfg.Notify.Email.SMTP.Host, "notify.email.smtp.port": cfg.Notify.Email.SMTP.Port,
		"notify.email.smtp.tls": cfg.Notify.Email.SMTP.TLS,
		// The fee scheduler's run would send reminders to the same club meanwhile (the sink
		// tells them apart by subject, but they cost time): late in the day it waits.
		"fees.run_at": "23:59",
	}
	for k, v := range keys {
		setKey(doc, strings.Split(k, "."), v)
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	c.config = filepath.Join(c.dir, "config.yaml")
	return c, os.WriteFile(c.config, b, 0o600)
}

// setKey sets the nested key path in doc, making the mappings on the way.
func setKey(doc map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := doc[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[k] = next
		}
		doc = next
	}
	doc[path[len(path)-1]] = v
}

// freePort is a loopback address whose port was free a moment ago: a child cannot be told to
// take port 0 and report it.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs the child's serve process, its output going to serve.log in its folder.
func (c *benchChild) start() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(c.dir, "serve.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-config", c.config, "serve")
	cmd.Dir = c.dir
	// The config file decides: the bench's own MEMBERSHIP_* overrides would win over it.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix) || strings.HasPrefix(kv, "MEMBERSHIP_LOG_LEVEL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, benchChildEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("bench: start child %d: %w", c.n, err)
	}
	if c.cmd != nil {
		c.restarts = append(c.restarts, c.peakKB)
		c.peakKB = 0
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	c.cmd, c.done = cmd, done
	return nil
}

func (c *benchChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// sample keeps the highest VmHWM of the running process.
func (c *benchChild) sample() {
	if c.cmd == nil || c.exited() {
		return
	}
	if kb, err := vmHWM(strconv.Itoa(c.cmd.Process.Pid)); err == nil {
		c.peakKB = max(c.peakKB, kb)
	}
}

// waitReady waits until the child answers /readyz, or fails with the end of its log.
func (c *benchChild) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if c.exited() {
			return fmt.Errorf("bench: child %d exited at start-up:\n%s", c.n, c.logTail())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.addr+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fmt.Errorf("bench: child %d not ready within 60 s:\n%s", c.n, c.logTail())
}

func (c *benchChild) logTail() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "serve.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// kill SIGKILLs the child and waits for it to be gone.
func (c *benchChild) kill() error {
	c.sample()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("bench: kill child %d: %w", c.n, err)
	}
	<-c.done
	return nil
}

// stop ends the child as an operator would (SIGTERM), killing it if it takes too long.
func (c *benchChild) stop() {
	if c.cmd == nil || c.exited() {
		return
	}
	c.sample()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// benchAPI is the bench as an API client of the children.
type benchAPI struct{ token string }

// do sends one request with the token and decodes a JSON answer into out.
func (a benchAPI) do(ctx context.Context, method, addr, path string, body []byte, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %d: %w", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// historyLength is how many events the management API shows in the history of instance id.
func (a benchAPI) historyLength(ctx context.Context, addr, id string) (int, error) {
	var st struct {
		HistoryEvents []json.RawMessage `json:"historyEvents"`
	}
	status, err := a.do(ctx, http.MethodGet, addr, "/runtime/webhooks/durabletask/instances/"+url.PathEscape(id)+"?showHistory=true", nil, &st)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK && status != http.StatusAccepted {
		return 0, fmt.Errorf("instance %s: %d", id, status)
	}
	return len(st.HistoryEvents), nil
}
