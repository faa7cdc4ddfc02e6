package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// contentionSubject marks the campaign's e-mails in the outbox.
const contentionSubject = "Contention: renew your membership"

// contentionWriters is how many API clients create and change members at once.
const contentionWriters = 20

// TestContention runs a campaign to the whole club, 20 API writers creating and changing
// members, CSV exports of the whole club and the member list paged through the API and the UI,
// all at once against one serving process on SQLite: no answer is a 5xx or mentions a locked
// database, the campaign settles every recipient and the outbox holds each e-mail once, and
// every write that was answered 2xx reads back as written. The latencies and durations are
// logged, never asserted. The club has the fault suite's 10,000 members, in every run and in CI:
// some 30 s under -race on 2 cores.
func TestContention(t *testing.T) {
	const n = 10000
	s := startContract(t)
	seeded := time.Now()
	s.cli(t, "seed-demo", "-members", strconv.Itoa(n), "-seed", "15")
	// Every seeded member is active and takes e-mail at an address of their own; the writers'
	// members are paused, so the audience (status active) is the seeded club, whenever the
	// campaign freezes it, and every one of them is sent to.
	gdb := openCrashDB(t, s.dir)
	err := gdb.Exec(`UPDATE members SET status = 'active', email_consent = TRUE,
		email = CASE WHEN email = '' THEN 'member' || id || '@contention.example.org' ELSE email END`).Error
	if err != nil {
		t.Fatal(err)
	}
	var seededIDs []int64
	if err := gdb.Raw("SELECT id FROM members ORDER BY id").Scan(&seededIDs).Error; err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d members in %s", len(seededIDs), time.Since(seeded).Round(time.Millisecond))
	if len(seededIDs) != n {
		t.Fatalf("seed-demo made %d members, want %d", len(seededIDs), n)
	}

	cl := &contentionClient{base: s.base, token: s.Admin, c: &http.Client{Timeout: 60 * time.Second}}
	ui := &contentionClient{base: s.base, c: s.login(t).c}
	stop := make(chan struct{})
	var wg sync.WaitGroup

	writers := make([]*contentionWriter, contentionWriters)
	for i := range writers {
		w := &contentionWriter{n: i, cl: cl, created: map[int64]string{}, patched: map[int64]string{}}
		for j := i; j < len(seededIDs); j += contentionWriters {
			w.seeded = append(w.seeded, seededIDs[j])
		}
		writers[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); w.run(stop) }()
	}
	var pages atomic.Int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		pageList(cl, "/api/v1/members?per_page=100&sort=last_name&page=", stop, &pages)
	}()
	go func() { defer wg.Done(); pageList(ui, "/members?page=", stop, &pages) }()
	exports := make(chan contentionExport, 1)
	go func() {
		start := time.Now()
		r := cl.do(http.MethodGet, "/api/v1/members/export.csv", nil)
		exports <- contentionExport{r: r, took: time.Since(start)}
	}()

	started := time.Now()
	body := map[string]any{"name": "Contention", "channels": []string{"email"}, "audience": map[string]any{"status": "active"},
		"subject": contentionSubject, "message": "Hello {{.FirstName}}"}
	r := cl.do(http.MethodPost, "/api/v1/campaigns", body)
	if r.err != nil || r.status != http.StatusAccepted {
		close(stop)
		wg.Wait()
		t.Fatalf("start the campaign: %d %v %s", r.status, r.err, r.body)
	}
	var startedAs struct {
		CampaignID int64 `json:"campaign_id"`
	}
	if err := json.Unmarshal(r.body, &startedAs); err != nil {
		t.Fatal(err)
	}
	var campaign struct {
		Status       string `json:"status"`
		AudienceSize int    `json:"audience_size"`
		Counts       struct{ Total, Sent, Failed, Skipped int }
	}
	deadline := time.Now().Add(3 * time.Minute)
	for campaign.Status != "completed" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		r := cl.do(http.MethodGet, fmt.Sprintf("/api/v1/campaigns/%d", startedAs.CampaignID), nil)
		if r.status == http.StatusOK {
			_ = json.Unmarshal(r.body, &campaign)
		}
	}
	took := time.Since(started)
	export := <-exports
	close(stop)
	wg.Wait()

	// What every client was told.
	var all []contentionReply
	all = append(all, cl.replies()...)
	all = append(all, ui.replies()...)
	bad := 0
	for _, r := range all {
		// Every request of the test is one the server should do: anything but 2xx is wrong,
		// and a 5xx or a locked database is what this test is about.
		if r.err != nil || r.status < 200 || r.status > 299 || r.locked {
			if bad++; bad <= 10 {
				t.Errorf("%s %s: %d %v %.300s", r.method, r.path, r.status, r.err, r.body)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d requests failed or answered other than 2xx", bad, len(all))
	}
	if log := s.child.stderr.String(); strings.Contains(log, "database is locked") {
		t.Errorf("the server logged a locked database %d times", strings.Count(log, "database is locked"))
	}

	// The campaign: every recipient settled, each e-mail in the outbox once.
	t.Logf("campaign to %d members: %s, %+v after %s", campaign.AudienceSize, campaign.Status, campaign.Counts, took.Round(time.Millisecond))
	if campaign.Status != "completed" {
		t.Fatalf("the campaign did not complete within 3 minutes: %s %+v", campaign.Status, campaign.Counts)
	}
	c := campaign.Counts
	if campaign.AudienceSize != n || c.Total != n || c.Sent+c.Failed+c.Skipped != n || c.Failed != 0 || c.Sent != n {
		t.Errorf("campaign counts %+v of %d members, want all %d sent", c, campaign.AudienceSize, n)
	}
	var mail struct{ Messages, Addresses int }
	err = gdb.Raw("SELECT COUNT(*) AS messages, COUNT(DISTINCT to_addr) AS addresses FROM outbox_messages WHERE subject = ?", contentionSubject).Scan(&mail).Error
	if err != nil {
		t.Fatal(err)
	}
	if mail.Messages != c.Sent || mail.Addresses != c.Sent {
		t.Errorf("outbox: %d e-mails to %d addresses, want %d, each once", mail.Messages, mail.Addresses, c.Sent)
	}

	// The export: the whole club, in one piece.
	rows := bytes.Count(export.r.body, []byte("\r\n")) - 1
	t.Logf("CSV export: %d rows, %d KiB in %s", rows, len(export.r.body)>>10, export.took.Round(time.Millisecond))
	if export.r.status != http.StatusOK || rows < n {
		t.Errorf("export: %d, %d rows, want all %d members", export.r.status, rows, n)
	}

	// The writes: everything answered 2xx reads back as written.
	var lat []time.Duration
	created, patched := 0, 0
	for _, w := range writers {
		lat = append(lat, w.latencies...)
		created += len(w.created)
		patched += w.patches
	}
	if len(lat) == 0 {
		t.Fatal("no write was made")
	}
	t.Logf("%d writes (%d creates, %d patches) by %d writers: %s", len(lat), created, patched, len(writers), percentiles(lat))
	var apiPages, uiPages []time.Duration
	for _, r := range cl.replies() {
		if strings.HasPrefix(r.path, "/api/v1/members?") {
			apiPages = append(apiPages, r.took)
		}
	}
	for _, r := range ui.replies() {
		uiPages = append(uiPages, r.took)
	}
	t.Logf("%d list pages read: API (100 a page) %s; UI %s", pages.Load(), percentiles(apiPages), percentiles(uiPages))
	lost := 0
	for _, w := range writers {
		for id, want := range w.created {
			lost += readBack(t, cl, id, "last_name", want)
		}
		for id, want := range w.patched {
			lost += readBack(t, cl, id, "notes", want)
		}
	}
	if lost > 0 {
		t.Errorf("%d acknowledged writes lost", lost)
	}
}

// percentiles describes latencies by their p50, p99 and maximum.
func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	d = slices.Clone(d)
	slices.Sort(d)
	at := func(p float64) time.Duration {
		return d[min(len(d)-1, int(p*float64(len(d))))].Round(time.Millisecond / 10)
	}
	return fmt.Sprintf("p50 %s, p99 %s, max %s", at(0.50), at(0.99), d[len(d)-1].Round(time.Millisecond/10))
}

// readBack answers 1 (and reports it) when member id's field does not hold want.
func readBack(t *testing.T, cl *contentionClient, id int64, field, want string) int {
	t.Helper()
	r := cl.do(http.MethodGet, fmt.Sprintf("/api/v1/members/%d", id), nil)
	var m map[string]any
	if r.status != http.StatusOK || json.Unmarshal(r.body, &m) != nil || m[field] != want {
		t.Errorf("member %d: %d, %s %v, want %q", id, r.status, field, m[field], want)
		return 1
	}
	return 0
}

type contentionExport struct {
	r    contentionReply
	took time.Duration
}

// pageList reads the pages of a list from the first to the last and over again until stop.
func pageList(cl *contentionClient, path string, stop <-chan struct{}, pages *atomic.Int64) {
	for page := 1; ; page++ {
		select {
		case <-stop:
			return
		default:
		}
		r := cl.do(http.MethodGet, path+strconv.Itoa(page), nil)
		pages.Add(1)
		if r.status != http.StatusOK {
			return // recorded: the test reports it
		}
		if page >= 20 {
			page = 0
		}
	}
}

// contentionWriter is one API client: it creates a paused member and changes it, and changes
// the notes of its share of the seeded members, remembering what the server acknowledged.
type contentionWriter struct {
	n         int
	cl        *contentionClient
	seeded    []int64          // its share of the seeded members, which no other writer changes
	created   map[int64]string // member → the last name last acknowledged
	patched   map[int64]string // seeded member → the notes last acknowledged
	patches   int
	latencies []time.Duration
}

func (w *contentionWriter) run(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		last := fmt.Sprintf("Writer%02d-%d", w.n, i)
		start := time.Now()
		r := w.cl.do(http.MethodPost, "/api/v1/members", map[string]any{"first_name": "Conny", "last_name": last,
			"email": fmt.Sprintf("writer%02d.%d@contention.example.org", w.n, i), "status": "paused"})
		w.latencies = append(w.latencies, time.Since(start))
		var m struct {
			ID int64 `json:"id"`
		}
		if r.status == http.StatusCreated && json.Unmarshal(r.body, &m) == nil && m.ID > 0 {
			w.created[m.ID] = last
			last += "-changed"
			if w.patch(m.ID, map[string]any{"last_name": last, "rank": "5. Kyu"}) {
				w.created[m.ID] = last
			}
		}
		if len(w.seeded) > 0 {
			// Spread over the club, into batches the campaign is sending.
			id := w.seeded[(i*37)%len(w.seeded)]
			notes := fmt.Sprintf("Contention note %d by writer %d", i, w.n)
			if w.patch(id, map[string]any{"notes": notes}) {
				w.patched[id] = notes
			}
		}
	}
}

func (w *contentionWriter) patch(id int64, body map[string]any) bool {
	start := time.Now()
	r := w.cl.do(http.MethodPatch, fmt.Sprintf("/api/v1/members/%d", id), body)
	w.latencies = append(w.latencies, time.Since(start))
	w.patches++
	return r.status == http.StatusOK
}

// contentionClient sends requests from many goroutines and keeps every answer: what each
// client was told is checked once everything has stopped.
type contentionClient struct {
	base, token string
	c           *http.Client
	mu          sync.Mutex
	log         []contentionReply
}

type contentionReply struct {
	method, path string
	status       int
	body         []byte // kept in the log only in part
	locked       bool   // the body mentions a locked database
	took         time.Duration
	err          error
}

func (cl *contentionClient) do(method, path string, body any) contentionReply {
	r := contentionReply{method: method, path: path}
	start := time.Now()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			r.err = err
			return r
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, cl.base+path, rd)
	if err == nil {
		if rd != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if cl.token != "" {
			req.Header.Set("Authorization", "Bearer "+cl.token)
		}
		var resp *http.Response
		if resp, err = cl.c.Do(req); err == nil {
			r.status = resp.StatusCode
			r.body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	}
	r.err, r.took = err, time.Since(start)
	r.locked = bytes.Contains(bytes.ToLower(r.body), []byte("database is locked"))
	kept := r
	kept.body = r.body[:min(len(r.body), 300)]
	cl.mu.Lock()
	cl.log = append(cl.log, kept)
	cl.mu.Unlock()
	return r
}

func (cl *contentionClient) replies() []contentionReply {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return slices.Clone(cl.log)
}
