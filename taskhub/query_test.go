package taskhub_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/taskhub"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// listFixture: instances with distinct creation times (one a second apart, the last two in
// the same instant to test the id tie-break), ids with characters that mean something to GLOB
// and LIKE, and several names and statuses.
var listFixture = []seedRow{
	{"phone-verification:member:7:1", "PhoneVerification", api.RUNTIME_STATUS_COMPLETED, t0},
	{"phone-verification:member:71:1", "PhoneVerification", api.RUNTIME_STATUS_FAILED, t0.Add(1 * time.Second)},
	{"email-verification:member:7:2", "EmailVerification", api.RUNTIME_STATUS_RUNNING, t0.Add(2 * time.Second)},
	{"member:7", "MemberOnboarding", api.RUNTIME_STATUS_SUSPENDED, t0.Add(3 * time.Second)},
	{"fee-reminder:311", "FeeReminder", api.RUNTIME_STATUS_PENDING, t0.Add(4 * time.Second)},
	{"Fee-reminder:312", "FeeReminder", api.RUNTIME_STATUS_TERMINATED, t0.Add(5 * time.Second)},
	{"odd*id_%[x]", "Odd", api.RUNTIME_STATUS_CONTINUED_AS_NEW, t0.Add(6 * time.Second)},
	{"campaign:42:a", "RenewalCampaign", api.RUNTIME_STATUS_COMPLETED, t0.Add(7 * time.Second)},
	{"campaign:42:b", "RenewalCampaign", api.RUNTIME_STATUS_COMPLETED, t0.Add(7 * time.Second)},
}

func ids(insts []taskhub.Instance) []string {
	out := make([]string, len(insts))
	for i, inst := range insts {
		out[i] = string(inst.ID)
	}
	return out
}

func TestList(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, s *store) {
		s.seed(t, listFixture)
		tests := []struct {
			name string
			q    taskhub.Query
			want []string
		}{
			{"everything, newest first, ties by id", taskhub.Query{}, []string{
				"campaign:42:b", "campaign:42:a", "odd*id_%[x]", "Fee-reminder:312", "fee-reminder:311",
				"member:7", "email-verification:member:7:2", "phone-verification:member:71:1", "phone-verification:member:7:1"}},
			{"one status", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED}},
				[]string{"campaign:42:b", "campaign:42:a", "phone-verification:member:7:1"}},
			{"several statuses", taskhub.Query{Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_PENDING, api.RUNTIME_STATUS_SUSPENDED}},
				[]string{"fee-reminder:311", "member:7", "phone-verification:member:71:1"}},
			{"created range, both ends inclusive", taskhub.Query{CreatedFrom: t0.Add(2 * time.Second), CreatedTo: t0.Add(4 * time.Second)},
				[]string{"fee-reminder:311", "member:7", "email-verification:member:7:2"}},
			{"created range in another zone", taskhub.Query{CreatedFrom: t0.Add(6 * time.Second).In(time.FixedZone("CET", 3600))},
				[]string{"campaign:42:b", "campaign:42:a", "odd*id_%[x]"}},
			{"prefix is case-sensitive", taskhub.Query{IDPrefix: "fee-"}, []string{"fee-reminder:311"}},
			{"prefix with GLOB and LIKE characters", taskhub.Query{IDPrefix: "odd*id_%["}, []string{"odd*id_%[x]"}},
			{"prefix star is literal", taskhub.Query{IDPrefix: "*"}, nil},
			{"id part matches whole parts anywhere", taskhub.Query{IDPart: "member:7"},
				[]string{"member:7", "email-verification:member:7:2", "phone-verification:member:7:1"}},
			{"name", taskhub.Query{Name: "FeeReminder"}, []string{"Fee-reminder:312", "fee-reminder:311"}},
			{"everything at once", taskhub.Query{
				Statuses: []api.OrchestrationStatus{api.RUNTIME_STATUS_COMPLETED}, Name: "PhoneVerification",
				IDPrefix: "phone-", IDPart: "member:7", CreatedTo: t0}, []string{"phone-verification:member:7:1"}},
			{"nothing matches", taskhub.Query{Name: "Nope"}, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				page, err := s.x.List(t.Context(), tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(page.Instances); !slices.Equal(got, tc.want) {
					t.Errorf("ids = %q, want %q", got, tc.want)
				}
				if page.Next != "" {
					t.Errorf("next = %q on the only page", page.Next)
				}
			})
		}
	})
}

func TestListPages(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, s *store) {
		s.seed(t, listFixture)
		all, err := s.x.List(t.Context(), taskhub.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, top := range []int{1, 2, 4, 8} {
			var got []string
			pages := 0
			q := taskhub.Query{Top: top}
			for {
				page, err := s.x.List(t.Context(), q)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if len(page.Instances) > top {
					t.Fatalf("top %d: page of %d", top, len(page.Instances))
				}
				got = append(got, ids(page.Instances)...)
				if page.Next == "" {
					break
				}
				q.After = page.Next
			}
			if want := ids(all.Instances); !slices.Equal(got, want) {
				t.Errorf("top %d: pages give %q, want %q", top, got, want)
			}
			if want := (len(listFixture) + top - 1) / top; pages != want {
				t.Errorf("top %d: %d pages, want %d", top, pages, want)
			}
		}

		for _, bad := range []string{"not base64!", "bm90IGpzb24", "e30"} {
			if _, err := s.x.List(t.Context(), taskhub.Query{After: bad}); !errors.Is(err, taskhub.ErrBadToken) {
				t.Errorf("after %q: error %v, want ErrBadToken", bad, err)
			}
		}
	})
}

func TestGetAndCounts(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, s *store) {
		s.seed(t, listFixture)
		inst, err := s.x.Get(t.Context(), "member:7")
		if err != nil {
			t.Fatal(err)
		}
		if inst.Name != "MemberOnboarding" || inst.Status != api.RUNTIME_STATUS_SUSPENDED || !inst.CreatedAt.Equal(t0.Add(3*time.Second)) || inst.Input != `{"id":"member:7"}` {
			t.Errorf("instance = %+v", inst)
		}
		if _, err := s.x.Get(t.Context(), "nobody"); !errors.Is(err, api.ErrInstanceNotFound) {
			t.Errorf("unknown id: error %v, want ErrInstanceNotFound", err)
		}
		if _, err := s.x.History(t.Context(), "nobody"); !errors.Is(err, api.ErrInstanceNotFound) {
			t.Errorf("history of unknown id: error %v, want ErrInstanceNotFound", err)
		}

		counts, err := s.x.Counts(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got := make(map[string]int64)
		for _, c := range counts {
			got[c.Name+"/"+taskhub.StatusName(c.Status)] = c.N
		}
		want := map[string]int64{
			"PhoneVerification/Completed": 1, "PhoneVerification/Failed": 1, "EmailVerification/Running": 1,
			"MemberOnboarding/Suspended": 1, "FeeReminder/Pending": 1, "FeeReminder/Terminated": 1,
			"Odd/ContinuedAsNew": 1, "RenewalCampaign/Completed": 2,
		}
		if len(got) != len(want) {
			t.Errorf("counts = %v, want %v", got, want)
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("count %s = %d, want %d", k, got[k], n)
			}
		}
	})
}

func TestParseStatus(t *testing.T) {
	for _, name := range taskhub.StatusNames() {
		st, err := taskhub.ParseStatus(name)
		if err != nil || taskhub.StatusName(st) != name {
			t.Errorf("ParseStatus(%q) = %v, %v; its name %q", name, st, err, taskhub.StatusName(st))
		}
	}
	if st, err := taskhub.ParseStatus("running"); err != nil || st != api.RUNTIME_STATUS_RUNNING {
		t.Errorf("ParseStatus(running) = %v, %v; want Running (case ignored)", st, err)
	}
	for _, bad := range []string{"", "Runing", "RUNTIME_STATUS_RUNNING"} {
		if _, err := taskhub.ParseStatus(bad); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", bad)
		}
	}
}
