package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestContractAuthEveryRoute walks every row of the README's API section: without a token each
// API route answers 401 (problem JSON), a trainer token on an admin route 403, and a webhook
// without a valid signature 403 — before any handler looks at the path's ids or the body.
func TestContractAuthEveryRoute(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	routes, err := readmeRoutes(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	s := startContract(t)
	for _, r := range routes {
		path := strings.NewReplacer("{functionName}", "PhoneVerification", "{instanceId}", "some-id", "{eventName}", "SomeEvent", "{id}", "1").Replace(r.path)
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			switch r.token {
			case "signature":
				wantStatus(t, "without a signature", s.api(t, "", r.method, path, "a=b", "Content-Type", "application/x-www-form-urlencoded"), http.StatusForbidden)
				return
			case "admin":
				wantProblem(t, "with a trainer token", s.api(t, s.Trainer, r.method, path, "{}"), http.StatusForbidden)
			case "any":
			default:
				t.Fatalf("the README gives the token %q; want admin, any or signature", r.token)
			}
			wantProblem(t, "without a token", s.api(t, "", r.method, path, "{}"), http.StatusUnauthorized)
			wantProblem(t, "with a wrong token", s.api(t, "not-a-token", r.method, path, "{}"), http.StatusUnauthorized)
		})
	}
}
