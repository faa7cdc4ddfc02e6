package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"

	"membership/config"
	"membership/members"
	"membership/members/sepa"
	"membership/web/webtest"
	"membership/workflows"
)

// germanIBAN is a valid German IBAN for account n at bank code 37040044.
func germanIBAN(n int) string { return sepa.IBANFor("DE", fmt.Sprintf("37040044%010d", n)) }

// collectionRig is a fee rig with the club's creditor data and members with mandates.
type collectionRig struct {
	*feeRig
	// offset moves the collection activities' clock: ahead to the settlement day.
	offset atomic.Int64
}

func newCollectionRig(t *testing.T) *collectionRig {
	t.Helper()
	r := &collectionRig{feeRig: newFeeRig(t, func(cfg *config.Config) { cfg.Fees.RunAt = config.ClockTime{} })}
	r.s.Collections.Now = func() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) }
	r.put(t, "/api/v1/collection-settings", members.CollectionSettings{CreditorName: "Karate-Dojo Musterstadt e.V.",
		CreditorID: "DE98ZZZ09999999999", IBAN: "DE89370400440532013000", PrenotifyDays: 1, ReturnDays: 1})
	return r
}

func (r *collectionRig) put(t *testing.T, path string, body any) []byte {
	t.Helper()
	resp, out := r.admin.Do(t, http.MethodPut, path, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}

// collection reads a run through the API.
func (r *collectionRig) collection(t *testing.T, id int64) members.CollectionSummary {
	t.Helper()
	resp, body := r.admin.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/collections/%d", id), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET collection %d: %d %s", id, resp.StatusCode, body)
	}
	var c members.CollectionSummary
	webtest.DecodeJSON(t, body, &c)
	return c
}

func (r *collectionRig) waitStatus(t *testing.T, id int64, want members.CollectionStatus) members.CollectionSummary {
	t.Helper()
	var c members.CollectionSummary
	within(t, 60*time.Second, fmt.Sprintf("collection %d %s", id, want), func() bool {
		c = r.collection(t, id)
		return c.Status == want
	})
	return c
}

func (r *collectionRig) fee(t *testing.T, id int64) *members.Fee {
	t.Helper()
	f, err := r.app.Members.GetFee(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFeeCollectionEndToEnd: mandates → run → pre-notifications → pain.008 file (valid against
// the schema) → a return booked from the bank's CSV → the returned fee's reminder → the others
// paid when the return days are over.
func TestFeeCollectionEndToEnd(t *testing.T) {
	r := newCollectionRig(t)
	ms, fees := r.owing(t, 4)
	refs := make([]string, 3)
	for i := range 3 { // member 3 has no mandate: its fee stays out
		holder := ""
		if i == 2 {
			holder = "Yuki Sato" // a parent pays
		}
		var m members.Mandate
		webtest.DecodeJSON(t, r.put(t, fmt.Sprintf("/api/v1/members/%d/mandate", ms[i].ID),
			members.MandateInput{IBAN: germanIBAN(1000 + i), Holder: holder}), &m)
		if m.Status != members.MandateActive || m.Sequence() != "FRST" {
			t.Fatalf("mandate = %+v", m)
		}
		refs[i] = m.Reference
	}

	loc := r.app.Config.Club.Location()
	now := time.Now().In(loc)
	collectOn := members.DateOf(now).AddDays(1)
	// The run settles at 00:00 a day (return_days) after the collection day: put the
	// activities' clock 15 s before that, so the run waits 15 s for returns.
	settleAt := collectOn.AddDays(1).Time(loc)
	r.offset.Store(int64(settleAt.Sub(now) - 15*time.Second))

	resp, body := r.admin.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"collect_on": collectOn})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/collections: %d %s", resp.StatusCode, body)
	}
	var started struct {
		ID           string `json:"id"`
		CollectionID int64  `json:"collection_id"`
	}
	webtest.DecodeJSON(t, body, &started)
	if started.ID != workflows.FeeCollectionID(started.CollectionID) {
		t.Fatalf("instance %q for collection %d", started.ID, started.CollectionID)
	}
	col := r.waitStatus(t, started.CollectionID, members.CollectionFileReady)
	if col.Fees != 3 || col.Total != 3*3500 || col.First != 3 || col.Notified != 3 || col.Submitted != 3 {
		t.Fatalf("counts = %+v; want 3 first debits of 35.00, notified and submitted", col.CollectionCounts)
	}

	// The pre-notifications: one e-mail per payer with amount, day, mandate and creditor id.
	within(t, 10*time.Second, "3 pre-notifications", func() bool { return len(r.s.SendGrid.Messages()) >= 3 })
	for _, msg := range r.s.SendGrid.Messages() {
		i := strings.Index(msg.To, "@") - 1
		n := int(msg.To[i] - '0')
		for _, want := range []string{refs[n], "DE98ZZZ09999999999", "35.00", sepa.MaskIBAN(germanIBAN(1000 + n)), collectOn.String()[:4]} {
			if !strings.Contains(msg.Text, want) {
				t.Errorf("pre-notification to %s lacks %q:\n%s", msg.To, want, msg.Text)
			}
		}
	}

	// The bank file: three FRST debits, valid against the pain.008.001.08 schema.
	resp, file := r.admin.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/collections/%d/file", col.ID), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), ".xml") {
		t.Fatalf("file: %d %v", resp.StatusCode, resp.Header)
	}
	validatePain008(t, file)
	for _, want := range []string{"<SeqTp>FRST</SeqTp>", "<NbOfTxs>3</NbOfTxs>", "<CtrlSum>105.00</CtrlSum>", "DE98ZZZ09999999999", "Yuki Sato", refs[0]} {
		if !strings.Contains(string(file), want) {
			t.Errorf("file lacks %q", want)
		}
	}
	for i := range 3 {
		if f := r.fee(t, fees[i].ID); f.Status != members.FeeSubmitted {
			t.Errorf("fee %d is %s, want submitted", f.ID, f.Status)
		}
	}
	if f := r.fee(t, fees[3].ID); f.Status != members.FeeOpen {
		t.Errorf("fee without mandate is %s, want open", f.Status)
	}

	// The bank returns member 1's debit (insufficient funds) as a CSV.
	csv := "IBAN;Mandatsreferenz;Betrag;Rückgabegrund\r\n" + germanIBAN(1001) + ";" + refs[1] + ";-35,00;AM04\r\n" +
		"DE89370400440532013000;NO-SUCH-REF;10,00;AC04\r\n"
	resp, body = r.admin.Do(t, http.MethodPost, "/api/v1/collection-returns", []byte(csv))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("returns: %d %s", resp.StatusCode, body)
	}
	var report struct {
		Results   []members.ReturnResult `json:"results"`
		Reminders int                    `json:"reminders"`
	}
	webtest.DecodeJSON(t, body, &report)
	if len(report.Results) != 2 || report.Results[0].Status != members.ReturnRecorded || report.Results[0].FeeID != fees[1].ID ||
		report.Results[1].Status != members.ReturnUnmatched || report.Results[1].Line != 3 || report.Reminders != 1 {
		t.Fatalf("report = %s", body)
	}
	if f := r.fee(t, fees[1].ID); f.Status != members.FeeOpen || f.ReturnReason != "AM04" {
		t.Errorf("returned fee = %s %q, want open AM04", f.Status, f.ReturnReason)
	}
	// Booking the same file again books nothing twice and starts no second reminder.
	_, body = r.admin.Do(t, http.MethodPost, "/api/v1/collection-returns", []byte(csv))
	webtest.DecodeJSON(t, body, &report)
	if report.Results[0].Status != members.ReturnAlready || report.Reminders != 0 {
		t.Errorf("second import = %s", body)
	}
	// The returned fee's reminder writes to its member.
	reminder := api.InstanceID(workflows.FeeReturnReminderID(fees[1].ID, report.Results[0].ItemID))
	within(t, 30*time.Second, "the returned fee's reminder e-mail", func() bool {
		return len(r.noticeKeys(t, ms[1])) >= 2
	})
	r.instance(t, reminder, api.RUNTIME_STATUS_RUNNING, api.RUNTIME_STATUS_COMPLETED)

	// The return days end: the other two are paid by direct debit on the collection day.
	id := api.InstanceID(started.ID)
	done := r.instance(t, id, api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED)
	var tally workflows.CollectionTally
	if err := json.Unmarshal([]byte(done.SerializedOutput), &tally); err != nil || done.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("run ended %s with %s: %v", done.RuntimeStatus, done.SerializedOutput, done.FailureDetails)
	}
	if tally.Paid != 2 || tally.Returned != 1 {
		t.Errorf("tally = %+v, want 2 paid and 1 returned", tally)
	}
	for _, i := range []int{0, 2} {
		if f := r.fee(t, fees[i].ID); f.Status != members.FeePaid || f.Method != "direct_debit" || f.PaidOn != collectOn {
			t.Errorf("fee %d = %s %s %s, want paid by direct_debit on %s", f.ID, f.Status, f.Method, f.PaidOn, collectOn)
		}
	}
	if f := r.fee(t, fees[1].ID); f.Status != members.FeeOpen {
		t.Errorf("returned fee is %s after settling, want open", f.Status)
	}
	// A returned first debit makes the next one a first debit again; the others recur.
	for i, want := range []string{"RCUR", "FRST", "RCUR"} {
		m, err := r.app.Members.ActiveMandate(context.Background(), ms[i].ID)
		if err != nil || string(m.Sequence()) != want {
			t.Errorf("member %d's next debit = %v (%v), want %s", i, m, err, want)
		}
	}
	saveGolden(t, r.app.Hub, id, "collection_settled")
}

// validatePain008 checks a bank file against the checked-in pain.008.001.08 schema with
// xmllint (libxml2-utils; .ci/run installs it, and CI fails without it).
func validatePain008(t *testing.T, file []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is missing (apt-get install libxml2-utils)")
		}
		t.Skip("xmllint is missing (apt-get install libxml2-utils); CI runs this")
	}
	path := filepath.Join(t.TempDir(), "pain008.xml")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", filepath.Join("..", "members", "sepa", "testdata", "pain.008.001.08.xsd"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("the bank file is not valid pain.008.001.08: %v\n%s", err, out)
	}
}

// TestFeeCollectionNothingDue: a run finds no fee with a mandate: it sends nothing, builds no
// file and ends "empty", its collection settled.
func TestFeeCollectionNothingDue(t *testing.T) {
	r := newCollectionRig(t)
	r.owing(t, 2) // fees, but no mandates
	collectOn := members.DateOf(time.Now().In(r.app.Config.Club.Location())).AddDays(1)
	resp, body := r.admin.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"collect_on": collectOn})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/collections: %d %s", resp.StatusCode, body)
	}
	var started struct {
		ID           string `json:"id"`
		CollectionID int64  `json:"collection_id"`
	}
	webtest.DecodeJSON(t, body, &started)
	md := r.instance(t, api.InstanceID(started.ID), api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED)
	var st workflows.FeeCollectionStatus
	if err := json.Unmarshal([]byte(md.SerializedCustomStatus), &st); err != nil || st.Stage != workflows.CollectionStageEmpty {
		t.Fatalf("status = %s (%v), want stage empty", md.SerializedCustomStatus, err)
	}
	c := r.collection(t, started.CollectionID)
	if c.Status != members.CollectionSettled || c.HasFile() || c.Fees != 0 || len(r.s.SendGrid.Messages()) != 0 {
		t.Fatalf("collection = %+v, %d e-mails; want settled, no file, nothing sent", c, len(r.s.SendGrid.Messages()))
	}
	resp, _ = r.admin.Do(t, http.MethodGet, fmt.Sprintf("/api/v1/collections/%d/file", c.ID), nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("file of an empty run: %d, want 409", resp.StatusCode)
	}
	saveGolden(t, r.app.Hub, api.InstanceID(started.ID), "collection_empty")
}
