package main

// The contract suite (contract_*_test.go) checks the published contracts of shared/DESIGN.md
// and the README from outside, as a client that knows only those documents: a real serving
// process (this test binary as a child, see TestMain), configured only through MEMBERSHIP_*
// variables, spoken to over HTTP. It imports nothing of the app to build its requests or read
// its answers: paths, fields and status codes are written out as the documents give them, so
// that a change to the code that breaks a documented promise fails here even when the code's
// own tests were changed along with it.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// contractServer is one serving process on a data folder of its own.
type contractServer struct {
	dir, addr, base string
	env             []string // the MEMBERSHIP_* variables it was started with
	child           *child
	// Admin and Trainer are API tokens printed by `membership token create`.
	Admin, Trainer string
	// AdminPassword is the first admin's password, printed once on the first start.
	AdminPassword string
}

// startContract starts a server with the defaults, the data folder in t.TempDir() and env on
// top (KEY=value pairs, later ones win), waits until it is ready and makes one token per role.
func startContract(t *testing.T, env ...string) *contractServer {
	t.Helper()
	dir, addr := t.TempDir(), freeAddr(t)
	// The process tests' own orchestration (CrashTest) runs in every child; let it finish.
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Campaigns and fee runs must not wait for the hour the suite happens to run at.
	env = append([]string{"MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=", "MEMBERSHIP_FEES_RUN_AT=23:59"}, env...)
	s := &contractServer{dir: dir, addr: addr, base: "http://" + addr, env: env}
	s.child = startChild(t, dir, addr, env...)
	waitFor(t, 30*time.Second, "server ready", func() bool {
		select {
		case <-s.child.done:
			t.Fatalf("the server exited: %v\n%s", s.child.err, s.child.stderr.String())
		default:
		}
		return ready(addr)
	})
	m := regexp.MustCompile(`(?m)^First start: created the admin \S+ with the password\n\n    (\S+)$`).FindStringSubmatch(s.child.stderr.String())
	if m == nil {
		t.Fatalf("no first admin password printed:\n%s", s.child.stderr.String())
	}
	s.AdminPassword = m[1]
	s.Admin = s.cli(t, "token", "create", "contract admin", "-role", "admin")
	s.Trainer = s.cli(t, "token", "create", "contract trainer", "-role", "trainer")
	return s
}

// cli runs a subcommand beside the serving process, on the same configuration, and returns its
// standard output trimmed.
func (s *contractServer) cli(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	environ := append(os.Environ(), s.child.cmd.Env...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := append([]string(nil), args...)
	if err := run(ctx, cmd, strings.NewReader(""), &out, &errOut, environ); err != nil {
		t.Fatalf("membership %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// reply is an answer as a client sees it.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r reply) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("answer %d is not JSON (%v): %s", r.Status, err, r.Body)
	}
}

// Object decodes the body as one JSON object.
func (r reply) Object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// api sends a request with a bearer token (none when token is ""). body is sent as JSON unless
// it is a string or []byte, which are sent as they are; headers are name, value pairs.
func (s *contractServer) api(t *testing.T, token, method, path string, body any, headers ...string) reply {
	t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.send(t, http.DefaultClient, req)
}

func (s *contractServer) send(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	answered.record(req.Method, req.URL.Path, resp.StatusCode)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", req.Method, req.URL, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// browser is a signed-in browser session: a cookie jar, no redirects followed.
type browser struct {
	s *contractServer
	c *http.Client
}

// anonymous is a browser that has not signed in.
func (s *contractServer) anonymous(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{s: s, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login signs in as the first admin through the login form.
func (s *contractServer) login(t *testing.T) *browser {
	t.Helper()
	b := s.anonymous(t)
	r := b.post(t, "/login", url.Values{"email": {firstAdminEmail}, "password": {s.AdminPassword}})
	if r.Status != http.StatusSeeOther && r.Status != http.StatusFound {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return b
}

// get fetches a page.
func (b *browser) get(t *testing.T, path string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.s.send(t, b.c, req)
}

var csrfField = regexp.MustCompile(`name="_csrf"\s+value="([^"]+)"|value="([^"]+)"\s+name="_csrf"`)

// post submits a form as the page at path would, with the CSRF token a page of the session
// carries.
func (b *browser) post(t *testing.T, path string, form url.Values) reply {
	t.Helper()
	if form.Get("_csrf") == "" {
		page := b.get(t, "/login")
		if p := b.get(t, "/"); p.Status == http.StatusOK {
			page = p
		}
		m := csrfField.FindSubmatch(page.Body)
		if m == nil {
			t.Fatalf("no CSRF token on the page:\n%s", page.Body)
		}
		form.Set("_csrf", string(m[1])+string(m[2]))
	}
	req, err := http.NewRequest(http.MethodPost, b.s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.s.send(t, b.c, req)
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, what string, r reply, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
}

// wantProblem fails unless r is RFC 9457 problem JSON with status want.
func wantProblem(t *testing.T, what string, r reply, want int) map[string]any {
	t.Helper()
	wantStatus(t, what, r, want)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	p := r.Object(t)
	for _, f := range []string{"type", "title", "status"} {
		if _, ok := p[f]; !ok {
			t.Errorf("%s: problem has no %q: %s", what, f, r.Body)
		}
	}
	if st, _ := p["status"].(float64); int(st) != want {
		t.Errorf("%s: problem status %v, want %d", what, p["status"], want)
	}
	return p
}

// wantFields fails unless the object has every field.
func wantFields(t *testing.T, what string, obj map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := obj[f]; !ok {
			t.Errorf("%s: no field %q in %v", what, f, obj)
		}
	}
}

// contractWait bounds how long the suite waits for background work a client would poll for.
const contractWait = 30 * time.Second
