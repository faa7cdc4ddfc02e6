package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The README's API section lists, for each method and path, the status codes it answers. The
// contract suite records every answer it gets (answered, through contractServer.send); after a
// whole run, checkREADMEStatuses compares the two both ways: a code the server gave that the
// README does not list, and a code the README lists that no test saw, both fail the run. So
// the README cannot drift from what the code returns, and every documented code is exercised.

// answered is package state because it spans every test of the run: TestMain reads it after
// m.Run.
var answered = &answers{seen: map[string]map[int]bool{}}

type answers struct {
	mu   sync.Mutex
	seen map[string]map[int]bool // "METHOD /path" → statuses
}

func (a *answers) record(method, path string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := method + " " + path
	if a.seen[k] == nil {
		a.seen[k] = map[int]bool{}
	}
	a.seen[k][status] = true
}

// documentedRoute is one row of the README's API tables.
type documentedRoute struct {
	method, path string
	token        string // "admin", "any" or "signature"
	pattern      *regexp.Regexp
	statuses     []int
}

var (
	apiRow    = regexp.MustCompile("^\\| `([A-Z]+) (/[^`]*)` \\|([^|]*)\\|(.*)\\|\\s*$")
	statusNum = regexp.MustCompile(`\b[1-5]\d\d\b`)
	pathParam = regexp.MustCompile(`\\\{[^}]*\\\}`)
)

// readmeRoutes reads the rows "| `METHOD /path/{param}` | token | 200, 404 … |" of the
// README's "## API" section: the method and path, who may call it, and the codes it answers.
func readmeRoutes(readme string) ([]documentedRoute, error) {
	_, section, ok := strings.Cut(readme, "\n## API\n")
	if !ok {
		return nil, fmt.Errorf("the README has no \"## API\" section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var routes []documentedRoute
	for _, line := range strings.Split(section, "\n") {
		m := apiRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		r := documentedRoute{method: m[1], path: m[2], token: strings.TrimSpace(m[3])}
		r.pattern = regexp.MustCompile("^" + pathParam.ReplaceAllString(regexp.QuoteMeta(m[2]), `[^/]+`) + "$")
		for _, n := range statusNum.FindAllString(strings.ReplaceAll(m[4], `\|`, " "), -1) {
			code, _ := strconv.Atoi(n)
			if !slices.Contains(r.statuses, code) {
				r.statuses = append(r.statuses, code)
			}
		}
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		return nil, fmt.Errorf("the README's API section lists no routes")
	}
	return routes, nil
}

// checkREADMEStatuses compares what the suite saw with the README and reports each mismatch;
// it is empty when they agree. A request matches the first row whose pattern fits, so list a
// literal path ("/members/export.csv") before a parameter in the same place ("/members/{id}").
func checkREADMEStatuses(readme string, seen map[string]map[int]bool) []string {
	routes, err := readmeRoutes(readme)
	if err != nil {
		return []string{err.Error()}
	}
	got := make([]map[int]bool, len(routes))
	for k, statuses := range seen {
		method, path, _ := strings.Cut(k, " ")
		for i, r := range routes {
			if r.method == method && r.pattern.MatchString(path) {
				if got[i] == nil {
					got[i] = map[int]bool{}
				}
				for st := range statuses {
					got[i][st] = true
				}
				break
			}
		}
	}
	var problems []string
	for i, r := range routes {
		for st := range got[i] {
			if !slices.Contains(r.statuses, st) {
				problems = append(problems, fmt.Sprintf("%s %s answered %d, which the README does not list", r.method, r.path, st))
			}
		}
		for _, st := range r.statuses {
			if !got[i][st] {
				problems = append(problems, fmt.Sprintf("%s %s: the README lists %d, but no contract test saw it", r.method, r.path, st))
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// wholeContractRun reports whether this run holds every contract test: the check would fail
// spuriously on a run of a few.
func wholeContractRun() bool {
	f := flag.Lookup("test.run")
	return f == nil || f.Value.String() == "" || f.Value.String() == "TestContract"
}

// readmeStatusesAgree runs the check after the tests; false when the README disagrees.
func readmeStatusesAgree() bool {
	if !wholeContractRun() {
		return true
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		fmt.Fprintln(os.Stderr, "contract: read README:", err)
		return false
	}
	answered.mu.Lock()
	defer answered.mu.Unlock()
	problems := checkREADMEStatuses(string(readme), answered.seen)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "contract: README API section:", p)
	}
	return len(problems) == 0
}
