package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/members"
	"membership/notify/notifytest"
)

// crashKills is how many times TestRepeatedCrashes kills the server.
const crashKills = 5

// TestRepeatedCrashes SIGKILLs a real server five times, at moments a seeded random source
// picks across one campaign's run (after k% of its notices), while phone verifications wait
// for their codes and fee reminders wait between their steps, and starts it again each time
// on the same data folder. After the last start: every recipient of the campaign got its
// e-mail, repeated no more often than sends were in flight at the kills (never, through the
// outbox, which keeps a message once per key); every code sent before or between the kills
// still verifies its phone; no durable timer of any instance fired twice; and each fee
// reminder ended as it should, with one notice per step. MEMBERSHIP_TEST_CRASH_SEED repeats
// a run's kill points.
func TestRepeatedCrashes(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MEMBERSHIP_TEST_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("MEMBERSHIP_TEST_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("kill points from seed %d (MEMBERSHIP_TEST_CRASH_SEED=%d repeats them)", seed, seed)
	// The outbox takes a campaign's batch at once, so its run needs more members to last as
	// long as the SMTP run, which is held to 100 e-mails a second.
	t.Run("outbox", func(t *testing.T) { repeatedCrashes(t, seed, 1200, nil) })
	t.Run("smtp", func(t *testing.T) { repeatedCrashes(t, seed+1, 600, notifytest.NewSMTPSink(t)) })
}

// crashKill is what one kill interrupted.
type crashKill struct {
	at       float64       // the share of the campaign's notices sent that triggered it
	sent     int           // campaign notices sent when the process was dead
	inFlight int           // campaign notices left "sending": each may go out once more
	pending  []string      // their addresses
	resumed  time.Duration // from the next start to the campaign's next notice sent
	fees     int           // fee reminder notices left "sending"
	codes    int           // verification notices left "sending"
}

// crashVerification is a phone verification the test started, and the code it got.
type crashVerification struct {
	memberID   int64
	phone      string
	instanceID string
	startedAt  int // how many kills came before its start
}

// repeatedCrashes is one run of TestRepeatedCrashes on a club of that many members: the
// campaign's e-mails go to the outbox, or to sink when it is given (which sees every repeated
// send).
func repeatedCrashes(t *testing.T, seed uint64, club int, sink *notifytest.SMTPSink) {
	dir, addr := t.TempDir(), freeAddr(t)
	gdb := openCrashDB(t, dir)
	token := seedClub(t, gdb, club)
	var phones []struct {
		ID    int64
		Phone string
	}
	err := gdb.Raw(`SELECT id, phone FROM members WHERE phone <> '' AND email <> '' AND status = 'active'
		ORDER BY id LIMIT 8`).Scan(&phones).Error
	if err != nil || len(phones) < 8 {
		t.Fatalf("eight members with a phone and an e-mail address: %v, %v", phones, err)
	}
	// Two fees, not due for years (the scheduler leaves them to the test): one goes all the way
	// to overdue across the kills, the other is paid after its first step.
	var fees []struct{ ID, MemberID int64 }
	for _, p := range phones[6:] {
		var fee struct{ ID, MemberID int64 }
		if err := gdb.Raw("SELECT id, member_id FROM fees WHERE member_id = ? ORDER BY id LIMIT 1", p.ID).Scan(&fee).Error; err != nil || fee.ID == 0 {
			t.Fatalf("a fee of member %d: %v", p.ID, err)
		}
		fees = append(fees, fee)
		if err := gdb.Exec("UPDATE fees SET status = 'open', paid_on = NULL, due_on = '2099-01-01' WHERE id = ?", fee.ID).Error; err != nil {
			t.Fatal(err)
		}
		if err := gdb.Exec("UPDATE members SET sms_consent = TRUE, email_consent = TRUE WHERE id = ?", p.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	releaseCrashTest(t, dir)

	// Small batches make the campaign run through many batch orchestrations for a few seconds,
	// so that the kills fall inside it: one at a time through the outbox, which keeps a batch's
	// e-mails at once; over SMTP, at 100 e-mails a second.
	extra := []string{"MEMBERSHIP_CAMPAIGNS_QUIET_HOURS=", "MEMBERSHIP_FEES_RUN_AT=23:59"}
	if sink == nil {
		extra = append(extra, "MEMBERSHIP_CAMPAIGNS_BATCH_SIZE=5", "MEMBERSHIP_TASKHUB_PARALLELISM=1")
	} else {
		extra = append(extra, "MEMBERSHIP_CAMPAIGNS_BATCH_SIZE=10")
		extra = append(extra, "MEMBERSHIP_NOTIFY_EMAIL_PROVIDER=smtp", "MEMBERSHIP_NOTIFY_EMAIL_SMTP_HOST="+sink.Host,
			"MEMBERSHIP_NOTIFY_EMAIL_SMTP_PORT="+strconv.Itoa(sink.Port), "MEMBERSHIP_NOTIFY_EMAIL_SMTP_TLS=none",
			"MEMBERSHIP_NOTIFY_EMAIL_RATE_LIMIT=100")
	}
	srv := startChild(t, dir, addr, extra...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the last server's output:\n%s", srv.stderr)
		}
	})
	waitFor(t, 30*time.Second, "server ready", func() bool { return ready(addr) })

	var verifications []crashVerification
	startVerification := func(memberID int64, phone string, kills int) {
		t.Helper()
		var started struct{ ID string }
		if status := crashAPI(t, addr, token, http.MethodPost, fmt.Sprintf("/api/v1/members/%d/verifications/phone", memberID), "", &started); status != http.StatusAccepted {
			t.Fatalf("start phone verification of member %d: %d", memberID, status)
		}
		verifications = append(verifications, crashVerification{memberID: memberID, phone: phone, instanceID: started.ID, startedAt: kills})
	}
	for _, p := range phones[:2] {
		startVerification(p.ID, p.Phone, 0)
	}
	// The overdue one's steps come due across the kills, some while the server is down; the
	// paid one waits for its payment past the end of the test.
	const smsAfter, overdueAfter = 1500 * time.Millisecond, 3 * time.Second
	reminders := []string{fmt.Sprintf("fee-reminder:%d", fees[0].ID), fmt.Sprintf("fee-reminder:%d", fees[1].ID)}
	for i, in := range []string{
		fmt.Sprintf(`{"fee_id": %d, "sms_after": %d, "overdue_after": %d}`, fees[0].ID, smsAfter, overdueAfter),
		fmt.Sprintf(`{"fee_id": %d, "sms_after": %d, "overdue_after": %d}`, fees[1].ID, time.Hour, 2*time.Hour),
	} {
		var started struct{ ID string }
		if status := crashAPI(t, addr, token, http.MethodPost, "/runtime/webhooks/durabletask/orchestrators/FeeReminder/"+url.PathEscape(reminders[i]), in, &started); status != http.StatusAccepted {
			t.Fatalf("start %s: %d", reminders[i], status)
		}
	}
	began := time.Now()
	campaign := postCrashCampaign(t, addr, token)
	// The audience is frozen at once, with those the campaign skips (no consent, no address):
	// total is what it sends.
	var total int
	waitFor(t, 30*time.Second, "the campaign's audience selected", func() bool {
		c := getCrashCampaign(t, addr, token, campaign).Counts
		total = c.Total - c.Skipped
		return c.Total > 0
	})

	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	points := make([]float64, crashKills)
	for i := range points {
		points[i] = 0.05 + 0.85*rng.Float64()
	}
	slices.Sort(points)
	sentNow := func() int {
		return countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sent'", campaign)
	}
	var kills []crashKill
	last := 0
	var restarted time.Time
	for i, at := range points {
		// The campaign runs on while the server starts: a point it passed meanwhile is taken
		// at its next step, so that each kill interrupts a server at work.
		deadline := time.Now().Add(60 * time.Second)
		for {
			done := sentNow()
			if done > last && i > 0 && kills[i-1].resumed == 0 {
				kills[i-1].resumed = time.Since(restarted)
			}
			if done >= total || done >= int(at*float64(total)) && done > last {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kill %d at %.0f%% of %d: %d sent after 60s", i+1, 100*at, total, done)
			}
			time.Sleep(2 * time.Millisecond)
		}
		switch i {
		case 2, 3:
			// A verification started just before the kill: its code is issued and sent while
			// the process dies, or right after the start.
			waitFor(t, 30*time.Second, fmt.Sprintf("server ready for kill %d", i+1), func() bool { return ready(addr) })
			startVerification(phones[2+i].ID, phones[2+i].Phone, i)
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		case 4:
			// The right code entered just before the kill: the check is under way, or done,
			// or not yet asked for, when the process dies.
			waitFor(t, 30*time.Second, "server ready for the last kill", func() bool { return ready(addr) })
			v := verifications[0]
			code := crashOutboxCodes(t, addr, token)[v.phone]
			if len(code) != 1 {
				t.Fatalf("member %d: codes %v in the outbox, want one", v.memberID, code)
			}
			go crashEnterCode(addr, token, v.memberID, code[0])
			time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		}
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-srv.done
		k := crashKill{at: at, sent: sentNow(),
			inFlight: countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE campaign_id = ? AND status = 'sending'", campaign),
			fees:     countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE key LIKE 'fee:%' AND status = 'sending'"),
			codes:    countRows(t, gdb, "SELECT COUNT(*) FROM notices WHERE key LIKE 'verification:%' AND status = 'sending'")}
		err := gdb.Raw(`SELECT m.email FROM notices n JOIN members m ON m.id = n.member_id
			WHERE n.campaign_id = ? AND n.status = 'sending'`, campaign).Scan(&k.pending).Error
		if err != nil {
			t.Fatal(err)
		}
		kills = append(kills, k)
		last = k.sent
		// Down for a while, so that timers fall due while nothing runs.
		down := time.Duration(100+rng.IntN(500)) * time.Millisecond
		t.Logf("kill %d at %.0f%% (%.1fs in): %d of %d sent, %d campaign sends in flight, %d fee and %d code notices sending; down %s",
			i+1, 100*at, time.Since(began).Seconds(), k.sent, total, k.inFlight, k.fees, k.codes, down)
		time.Sleep(down)
		srv, restarted = startChild(t, dir, addr, extra...), time.Now()
		switch i {
		case 0:
			// Started between kills: their codes are issued while the next kills come.
			waitFor(t, 30*time.Second, "server ready after kill 1", func() bool { return ready(addr) })
			for _, p := range phones[2:4] {
				startVerification(p.ID, p.Phone, 1)
			}
		case 1:
			waitFor(t, 30*time.Second, "server ready after kill 2", func() bool { return ready(addr) })
			// A wrong code uses one attempt; the right one still works after the kills to come.
			v := verifications[1]
			code := crashOutboxCodes(t, addr, token)[v.phone]
			if len(code) != 1 {
				t.Fatalf("member %d: codes %v in the outbox, want one", v.memberID, code)
			}
			wrong := fmt.Sprintf("%06d", (mustAtoi(t, code[0])+1)%1_000_000)
			var res struct {
				Result       string `json:"result"`
				AttemptsLeft int    `json:"attempts_left"`
			}
			path := fmt.Sprintf("/api/v1/members/%d/verifications/phone/code", v.memberID)
			if status := crashAPI(t, addr, token, http.MethodPost, path, fmt.Sprintf(`{"code": %q}`, wrong), &res); status != http.StatusOK || res.Result != "wrong" || res.AttemptsLeft != 4 {
				t.Fatalf("a wrong code: %d %+v, want 200 wrong with 4 attempts left", status, res)
			}
			var fee map[string]any
			body := fmt.Sprintf(`{"paid_on": %q, "method": "cash"}`, time.Now().Format(time.DateOnly))
			if status := crashAPI(t, addr, token, http.MethodPost, fmt.Sprintf("/api/v1/fees/%d/paid", fees[1].ID), body, &fee); status != http.StatusOK {
				t.Fatalf("pay fee %d: %d %v", fees[1].ID, status, fee)
			}
		}
	}
	waitFor(t, 30*time.Second, "server ready after the last kill", func() bool { return ready(addr) })
	for i, k := range kills {
		if k.resumed > 0 {
			t.Logf("start %d to the campaign's next send: %s", i+2, k.resumed.Round(time.Millisecond))
		}
	}

	var after members.Campaign
	waitFor(t, 60*time.Second, "the campaign completes after the last restart", func() bool {
		after = getCrashCampaign(t, addr, token, campaign)
		return after.Status == members.CampaignCompleted
	})
	inside := 0
	for _, k := range kills {
		if k.sent < total {
			inside++
		}
	}
	t.Logf("campaign of %d recipients: completed %s after its start; %d of the %d kills came before its last send",
		total, time.Since(began).Round(time.Millisecond), inside, len(kills))

	t.Run("campaign", func(t *testing.T) { crashCampaignDelivered(t, gdb, sink, campaign, after, kills) })
	t.Run("verifications", func(t *testing.T) { crashCodesWork(t, addr, token, verifications) })
	t.Run("fee reminders", func(t *testing.T) { crashRemindersEnd(t, addr, token, gdb, sink, fees, reminders) })
	t.Run("timers", func(t *testing.T) { crashTimersOnce(t, addr, token) })
}

// crashCampaignDelivered checks that every recipient got the campaign's e-mail, repeated at
// most as often as sends were in flight at the kills.
func crashCampaignDelivered(t *testing.T, gdb *gorm.DB, sink *notifytest.SMTPSink, id int64, c members.Campaign, kills []crashKill) {
	want := c.Counts.Total - c.Counts.Skipped
	if c.Counts.Sent != want || c.Counts.Failed != 0 || want == 0 {
		t.Errorf("final counts %+v, want all %d sent", c.Counts, want)
	}
	var recipients []string
	err := gdb.Raw(`SELECT m.email FROM notices n JOIN members m ON m.id = n.member_id
		WHERE n.campaign_id = ? AND n.status = 'sent'`, id).Scan(&recipients).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(recipients) != want {
		t.Errorf("%d notices sent, want one per recipient: %d", len(recipients), want)
	}
	got := map[string]int{}
	if sink == nil {
		var rows []struct{ ToAddr string }
		if err := gdb.Raw("SELECT to_addr FROM outbox_messages WHERE subject = ?", crashSubject).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got[r.ToAddr]++
		}
	} else {
		for _, m := range sink.Messages() {
			if m.Header.Get("Subject") != crashSubject {
				continue
			}
			for _, to := range m.To {
				got[to]++
			}
		}
	}
	lost, dup, inFlight := 0, 0, 0
	for _, r := range recipients {
		if got[r] == 0 {
			lost++
		}
	}
	// An address may get the e-mail once more for each kill that found its notice in flight.
	allowed := map[string]int{}
	for _, k := range kills {
		inFlight += k.inFlight
		for _, a := range k.pending {
			allowed[a]++
		}
	}
	for a, n := range got {
		dup += n - 1
		if n-1 > allowed[a] {
			t.Errorf("%s got the e-mail %d times, but its send was in flight at only %d kills", a, n, allowed[a])
		}
	}
	t.Logf("%d recipients, %d got the e-mail, %d lost, %d duplicates; %d sends were in flight at the %d kills",
		want, len(got), lost, dup, inFlight, len(kills))
	if lost != 0 || len(got) != want {
		t.Errorf("%d recipients without the e-mail, %d addresses got it; want all %d, and only they", lost, len(got), want)
	}
	if dup > inFlight {
		t.Errorf("%d duplicates, but only %d sends were in flight at the kills", dup, inFlight)
	}
	if sink == nil && dup != 0 {
		t.Errorf("%d duplicates through the outbox, want none: it keeps one message per key", dup)
	}
}

// crashCode finds the code the outbox holds for phone: the one SMS with a code sent to it.
var crashCode = regexp.MustCompile(`\b[0-9]{6}\b`)

// crashCodesWork enters each verification's code, as read from the outbox API, and checks
// that it verifies the phone: the run ends Verified and the member's phone is verified.
func crashCodesWork(t *testing.T, addr, token string, vs []crashVerification) {
	box := crashOutboxCodes(t, addr, token)
	for _, v := range vs {
		codes := box[v.phone]
		if len(codes) != 1 {
			t.Errorf("member %d (verification started after %d kills): %d SMS with a code, want one: %v", v.memberID, v.startedAt, len(codes), codes)
			continue
		}
		var res struct {
			Result string `json:"result"`
		}
		path := fmt.Sprintf("/api/v1/members/%d/verifications/phone/code", v.memberID)
		if status := crashAPI(t, addr, token, http.MethodPost, path, fmt.Sprintf(`{"code": %q}`, codes[0]), &res); status != http.StatusOK || res.Result != "verified" {
			t.Errorf("member %d (verification started after %d kills): the code answers %d %q, want 200 verified", v.memberID, v.startedAt, status, res.Result)
			continue
		}
		var st durableStatus
		waitFor(t, 10*time.Second, "the verification ends", func() bool {
			st = instanceHistory(t, addr, token, v.instanceID)
			return st.RuntimeStatus == "Completed"
		})
		var out string
		if err := json.Unmarshal(st.Output, &out); err != nil || out != "Verified" {
			t.Errorf("%s ended %s, want \"Verified\"", v.instanceID, st.Output)
		}
		var m struct {
			PhoneVerifiedAt *time.Time `json:"phone_verified_at"`
		}
		if status := crashAPI(t, addr, token, http.MethodGet, fmt.Sprintf("/api/v1/members/%d", v.memberID), "", &m); status != http.StatusOK || m.PhoneVerifiedAt == nil {
			t.Errorf("member %d: %d, phone_verified_at %v, want set", v.memberID, status, m.PhoneVerifiedAt)
		}
	}
}

// crashOutboxCodes reads the codes the outbox API holds, by phone number: the SMS with a code.
func crashOutboxCodes(t *testing.T, addr, token string) map[string][]string {
	t.Helper()
	codes := map[string][]string{}
	for page, seen := 1, 0; ; page++ {
		var box struct {
			Items []struct{ Channel, To, Body string }
			Total int
		}
		if status := crashAPI(t, addr, token, http.MethodGet, fmt.Sprintf("/api/v1/outbox?per_page=500&page=%d", page), "", &box); status != http.StatusOK {
			t.Fatalf("read the outbox: %d", status)
		}
		for _, m := range box.Items {
			if c := crashCode.FindString(m.Body); m.Channel == "sms" && c != "" {
				codes[m.To] = append(codes[m.To], c)
			}
		}
		if seen += len(box.Items); seen >= box.Total || len(box.Items) == 0 {
			return codes
		}
	}
}

// crashEnterCode enters a code through the API from a goroutine the kill may cut off: what it
// answers is not looked at.
func crashEnterCode(addr, token string, memberID int64, code string) {
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/api/v1/members/%d/verifications/phone/code", addr, memberID),
		strings.NewReader(fmt.Sprintf(`{"code": %q}`, code)))
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// crashRemindersEnd checks the fee reminders' ends: the first overdue after its three steps,
// the second paid after its first, each step's notice sent once.
func crashRemindersEnd(t *testing.T, addr, token string, gdb *gorm.DB, sink *notifytest.SMTPSink, fees []struct{ ID, MemberID int64 }, ids []string) {
	for i, want := range []struct {
		output        string
		steps         []string
		emails, texts int // what the member's mailbox and phone got
	}{
		{"Overdue", []string{"step:1:member:%d:email", "step:2:member:%d:sms", "step:3:member:%d:email"}, 2, 1},
		{"Paid", []string{"step:1:member:%d:email"}, 1, 0},
	} {
		var st durableStatus
		waitFor(t, 30*time.Second, ids[i]+" ends", func() bool {
			st = instanceHistory(t, addr, token, ids[i])
			return st.RuntimeStatus == "Completed"
		})
		var out string
		if err := json.Unmarshal(st.Output, &out); err != nil || out != want.output {
			t.Errorf("%s ended %s, want %q: %v", ids[i], st.Output, want.output, eventTypes(st))
		}
		var notices []struct{ Key, Status string }
		if err := gdb.Raw("SELECT key, status FROM notices WHERE key LIKE ? ORDER BY key", fmt.Sprintf("fee:%d:step:%%", fees[i].ID)).Scan(&notices).Error; err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, n := range notices {
			keys = append(keys, n.Key+" "+n.Status)
		}
		var wantKeys []string
		for _, s := range want.steps {
			wantKeys = append(wantKeys, fmt.Sprintf("fee:%d:", fees[i].ID)+fmt.Sprintf(s, fees[i].MemberID)+" sent")
		}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("%s: notices %v, want one sent per step: %v", ids[i], keys, wantKeys)
		}
		// What reached the member, besides the campaign: one message per step.
		var to struct{ Email, Phone string }
		if err := gdb.Raw("SELECT email, phone FROM members WHERE id = ?", fees[i].MemberID).Scan(&to).Error; err != nil {
			t.Fatal(err)
		}
		texts := countRows(t, gdb, "SELECT COUNT(*) FROM outbox_messages WHERE channel = 'sms' AND to_addr = ?", to.Phone)
		emails := countRows(t, gdb, "SELECT COUNT(*) FROM outbox_messages WHERE channel = 'email' AND to_addr = ? AND subject <> ?", to.Email, crashSubject)
		if sink != nil {
			for _, m := range sink.Messages() {
				if m.Header.Get("Subject") != crashSubject && slices.Contains(m.To, to.Email) {
					emails++
				}
			}
		}
		if emails != want.emails || texts != want.texts {
			t.Errorf("%s: the member got %d e-mails and %d SMS, want %d and %d", ids[i], emails, texts, want.emails, want.texts)
		}
	}
}

// crashHistory is an instance's history from the management API, with the timers' due times.
type crashHistory struct {
	RuntimeStatus string `json:"runtimeStatus"`
	HistoryEvents []struct {
		EventType string `json:"EventType"`
		FireAt    string `json:"FireAt"`
	} `json:"historyEvents"`
}

// crashTimersOnce reads every instance's history and checks that no timer fired more often than
// it was created (a timer is known by its due time).
func crashTimersOnce(t *testing.T, addr, token string) {
	ids := crashInstances(t, addr, token)
	created, fired := 0, 0
	for _, id := range ids {
		var h crashHistory
		if status := crashAPI(t, addr, token, http.MethodGet, "/runtime/webhooks/durabletask/instances/"+url.PathEscape(id)+"?showHistory=true", "", &h); status >= 500 || status == http.StatusNotFound {
			t.Fatalf("history of %s: %d", id, status)
		}
		timers := map[string]int{}
		for _, e := range h.HistoryEvents {
			switch e.EventType {
			case "TimerCreated":
				timers[e.FireAt]++
				created++
			case "TimerFired":
				timers[e.FireAt]--
				fired++
			}
		}
		for at, n := range timers {
			if n < 0 {
				t.Errorf("%s: the timer due %s fired %d more times than it was created", id, at, -n)
			}
		}
	}
	t.Logf("%d instances: %d timers created, %d fired", len(ids), created, fired)
	if created == 0 {
		t.Error("no timers in any history: the test read nothing")
	}
}

// crashInstances lists every instance's id through the management API, page by page.
func crashInstances(t *testing.T, addr, token string) []string {
	t.Helper()
	var ids []string
	next := ""
	for {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/runtime/webhooks/durabletask/instances?top=200&showInput=false", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if next != "" {
			req.Header.Set("x-ms-continuation-token", next)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page []struct {
			InstanceID string `json:"instanceId"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("list instances: %d %v", resp.StatusCode, err)
		}
		for _, p := range page {
			ids = append(ids, p.InstanceID)
		}
		if next = resp.Header.Get("x-ms-continuation-token"); next == "" || len(page) == 0 {
			return ids
		}
	}
}
