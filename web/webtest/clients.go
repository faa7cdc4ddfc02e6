package webtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Browser is a signed-in browser session: cookies kept, CSRF token sent with every form.
type Browser struct {
	App    *App
	Client *http.Client
}

// Login signs in through the login form and fails the test if it does not work.
func (a *App) Login(t testing.TB, email, password string) *Browser {
	t.Helper()
	b := &Browser{App: a, Client: Client(t)}
	resp := b.PostForm(t, "/login", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login as %s: status %d", email, resp.StatusCode)
	}
	return b
}

// Anonymous is a browser that has not signed in.
func (a *App) Anonymous(t testing.TB) *Browser {
	return &Browser{App: a, Client: Client(t)}
}

// Get fetches a path and returns the response with its body read.
func (b *Browser) Get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	resp, err := b.Client.Get(b.App.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, readBody(t, resp)
}

// PostForm posts a form with the session's CSRF token (fetching a page first if the browser
// has no token cookie yet, as a real browser would have).
func (b *Browser) PostForm(t testing.TB, path string, form url.Values) *http.Response {
	t.Helper()
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.CSRF(t))
	}
	resp, err := b.Client.PostForm(b.App.URL+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	readBody(t, resp)
	return resp
}

// PostFormBody is PostForm that also returns the body.
func (b *Browser) PostFormBody(t testing.TB, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.CSRF(t))
	}
	resp, err := b.Client.PostForm(b.App.URL+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp, readBody(t, resp)
}

// CSRF returns the session's CSRF token, loading the login page to get one if needed.
func (b *Browser) CSRF(t testing.TB) string {
	t.Helper()
	u, _ := url.Parse(b.App.URL)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == "membership_csrf" {
			return c.Value
		}
	}
	b.Get(t, "/login")
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == "membership_csrf" {
			return c.Value
		}
	}
	t.Fatal("no CSRF cookie after loading /login")
	return ""
}

// API calls the JSON API with a bearer token.
type API struct {
	App   *App
	Token string
}

// API returns a client for the JSON API with a token of the given role.
func (a *App) API(t testing.TB, role string) *API {
	return &API{App: a, Token: a.Token(t, role)}
}

// Do sends a request (body marshalled to JSON unless it is a string or []byte) and returns the
// response with its body.
func (c *API) Do(t testing.TB, method, path string, body any, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	contentType := "application/json"
	switch v := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		bs, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(bs)
	}
	req, err := http.NewRequest(method, c.App.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := Client(t).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, []byte(readBody(t, resp))
}

// DecodeJSON unmarshals a body into v or fails the test.
func DecodeJSON(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}
