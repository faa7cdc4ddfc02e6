package activities

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"membership/members"
	"membership/notify"
)

// settleEvery bounds the outcomes of sends a batch has not recorded yet, with a provider that
// is not idempotent by key (SMTP, SendGrid, Twilio) and no send journal (PostgreSQL): up to
// settleEvery queued and as many being written. A crash loses the outcomes not yet recorded —
// those notices stay "sending" and go out once more on the retry — so a crash duplicates at
// most 2 × settleEvery plus the sends in flight per running batch (taskhub.parallelism of
// them): 4 × (16 + 8) with eight in flight. With a journal (SQLite) each outcome is in its
// file as soon as the provider answers, and a crash repeats at most the sends in flight,
// 4 × 8. The outbox, idempotent by key, repeats none.
const settleEvery = 8

// sendBatch is Notices.Send for the notices of one campaign batch, with the same guarantees —
// each key sent at most once (a crash: once more for the sends in flight and the outcomes not
// yet recorded), consent and contact respected, a permanent refusal settled as failed, a
// transient error returned for the retry after the results of the others are recorded — but
// with the ledger written a few times per batch instead of four times per notice: members read
// at once, notices claimed and marked "sending" in one transaction, outcomes recorded in
// groups. Measured on SQLite (membership bench, 10,000 recipients, 2 cores): Send one by one
// 560 notices/s; this 4,400–5,900/s through the outbox, 3,100–3,400/s over SMTP. results[i]
// answers reqs[i]; a request whose send failed transiently has no Status.
func (n *Notices) sendBatch(ctx context.Context, reqs []NoticeRequest, concurrency int) ([]NoticeResult, error) {
	results := make([]NoticeResult, len(reqs))
	if len(reqs) == 0 {
		return results, nil
	}
	ids := make([]int64, len(reqs))
	for i, req := range reqs {
		if err := req.validate(); err != nil {
			return nil, err
		}
		ids[i] = req.MemberID
	}
	if _, err := n.RecoverSends(ctx); err != nil {
		return nil, err
	}
	ms, err := n.Members.MembersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	drafts, rows, sendKeys := n.draft(reqs, ms)
	claimed, err := n.Members.ClaimNotices(ctx, rows, sendKeys)
	if err != nil {
		return nil, err
	}
	var todo []int
	for i, d := range drafts {
		notice := claimed[reqs[i].Key]
		if notice == nil {
			return nil, fmt.Errorf("notice %s was not claimed", reqs[i].Key)
		}
		d.notice = notice
		switch {
		case notice.Status.Done():
			results[i] = resultOf(notice)
		case d.skip != "":
			// Left queued by an earlier attempt; consent or contact went meanwhile.
			if results[i], err = n.skip(ctx, notice, d.skip); err != nil {
				return nil, err
			}
		default:
			todo = append(todo, i)
		}
	}
	sendErr := n.deliverAll(ctx, drafts, todo, results, concurrency)
	return results, sendErr
}

// RecoverSends writes to the database the outcomes a killed process (or a batch whose final
// write failed) left in the send journal, before any batch claims its notices again, and
// answers how many. Without a journal it does nothing.
func (n *Notices) RecoverSends(ctx context.Context) (int, error) {
	if n.Journal == nil {
		return 0, nil
	}
	return n.Journal.settleOrphans(ctx, n.settleNow)
}

// noticeDraft is one request of a batch, rendered for its member (or why it is not sent).
type noticeDraft struct {
	to      recipient
	msg     Message
	skip    string
	notice  *members.Notice
	outcome members.NoticeOutcome
	result  NoticeResult
	err     error
}

// draft renders each request for its member and makes the ledger row to claim: "queued" for
// those to send (their keys in sendKeys), "skipped" or "failed" (a template that does not
// render) for the others, with the stored text (secrets masked) on each.
func (n *Notices) draft(reqs []NoticeRequest, ms map[int64]*members.Member) ([]*noticeDraft, []members.Notice, []string) {
	texts := n.texts()
	drafts := make([]*noticeDraft, len(reqs))
	rows := make([]members.Notice, len(reqs))
	var sendKeys []string
	for i, req := range reqs {
		d := &noticeDraft{}
		drafts[i] = d
		row := members.Notice{Key: req.Key, MemberID: &reqs[i].MemberID, Purpose: req.Purpose, Channel: req.Channel,
			Template: req.Template, Provider: n.provider(req.Channel), Status: members.NoticeQueued}
		if req.CampaignID != 0 {
			row.CampaignID = &reqs[i].CampaignID
		}
		m := ms[req.MemberID]
		switch {
		case m == nil:
			d.skip = "member not found"
		default:
			d.skip = skipReason(req, m)
		}
		if d.skip == "" {
			stored, err := n.render(texts, req, m, d)
			if err != nil {
				row.Status, row.ErrorCode, row.ErrorMessage = members.NoticeFailed, "template", err.Error()
			} else {
				row.Subject, row.Body = stored.Subject, stored.Text
				sendKeys = append(sendKeys, req.Key)
			}
		} else {
			row.Status, row.ErrorMessage = members.NoticeSkipped, d.skip
		}
		rows[i] = row
	}
	return drafts, rows, sendKeys
}

// render renders req for m into d and returns the copy to store (secrets masked).
func (n *Notices) render(texts *Texts, req NoticeRequest, m *members.Member, d *noticeDraft) (Message, error) {
	var msg, stored Message
	err := n.recovered("", func() (err error) {
		msg, stored, err = texts.ForMember(req, m)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	d.msg, d.to = msg, recipientOf(req, m)
	return stored, nil
}

// provider names the provider of channel in the ledger.
func (n *Notices) provider(channel string) string {
	if channel == ChannelEmail {
		return n.EmailProvider
	}
	return n.SMSProvider
}

// deliverAll hands the drafts at todo to their providers, records the outcomes, fills in
// results and returns the first transient error (after waiting out its Retry-After, at most
// maxRetryAfterWait). A provider that takes batches and keeps each key once (the outbox) gets
// all of its channel's drafts in one call, their outcomes recorded together: a send repeated
// after a crash finds the message kept before. The others get them one by one, concurrency in
// flight, the outcomes recorded settleEvery at a time.
func (n *Notices) deliverAll(ctx context.Context, drafts []*noticeDraft, todo []int, results []NoticeResult, concurrency int) error {
	var each []int
	for _, channel := range []string{ChannelSMS, ChannelEmail} {
		at := slices.DeleteFunc(slices.Clone(todo), func(i int) bool { return drafts[i].notice.Channel != channel })
		if len(at) == 0 {
			continue
		}
		if !n.keepsOnce(channel) {
			each = append(each, at...)
			continue
		}
		n.deliverAtOnce(ctx, channel, drafts, at)
		outcomes := make([]members.NoticeOutcome, len(at))
		for j, i := range at {
			outcomes[j] = drafts[i].outcome
		}
		err := n.whileDiskFull(ctx, channel+" batch", func() error { return n.Members.SettleNotices(context.WithoutCancel(ctx), outcomes) })
		if err != nil {
			return err
		}
	}
	if err := n.deliverEach(ctx, drafts, each, concurrency); err != nil {
		return err
	}
	var firstErr error
	for _, i := range todo {
		results[i] = drafts[i].result
		if err := drafts[i].err; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		_ = sleep(ctx, min(notify.RetryAfterOf(firstErr), maxRetryAfterWait))
	}
	return firstErr
}

// keepsOnce reports whether the provider of channel takes batches and is idempotent by key.
func (n *Notices) keepsOnce(channel string) bool {
	if channel == ChannelSMS {
		_, batches := n.SMS.(notify.SMSBatchSender)
		return batches && notify.Idempotent(n.SMS)
	}
	_, batches := n.Email.(notify.EmailBatchSender)
	return batches && notify.Idempotent(n.Email)
}

// deliverAtOnce sends the drafts at `at`, all of channel, in one batch, each under its
// notice's key, and settles each draft.
func (n *Notices) deliverAtOnce(ctx context.Context, channel string, drafts []*noticeDraft, at []int) {
	var sent []notify.Sent
	err := n.recovered(n.provider(channel), func() error {
		if channel == ChannelSMS {
			sms := make([]notify.SMS, len(at))
			for j, i := range at {
				sms[j] = n.sms(drafts[i])
			}
			sent = n.SMS.(notify.SMSBatchSender).SendSMSBatch(ctx, sms)
		} else {
			emails := make([]notify.Email, len(at))
			for j, i := range at {
				emails[j] = n.email(drafts[i])
			}
			sent = n.Email.(notify.EmailBatchSender).SendEmailBatch(ctx, emails)
		}
		return nil
	})
	if err != nil {
		// The batch send itself panicked: none of it is known to be sent.
		sent = make([]notify.Sent, len(at))
		for j := range sent {
			sent[j].Err = err
		}
	}
	for j, i := range at {
		n.settle(drafts[i], sent[j])
	}
}

// deliverEach sends the drafts at `at` one by one, concurrency at a time, each outcome handed
// to the batch's recorder as it comes (see newRecorder). It returns only an error recording
// them.
func (n *Notices) deliverEach(ctx context.Context, drafts []*noticeDraft, at []int, concurrency int) error {
	if len(at) == 0 {
		return nil
	}
	rec := n.newRecorder(ctx, len(at))
	jobs := make(chan int)
	// failing counts transient failures since the last success: at providerDown in a row the
	// provider is down, and the batch sends nothing more (the rest stay queued for the retry)
	// instead of meeting the same refusal once per recipient. A failure now and then among
	// successes does not stop it.
	var failing atomic.Int32
	var wg sync.WaitGroup
	for range min(max(concurrency, 1), len(at)) {
		wg.Go(func() {
			for i := range jobs {
				d := drafts[i]
				rec.handing(d.notice.ID)
				var sent notify.Sent
				sent.Err = n.recovered(n.provider(d.notice.Channel), func() (err error) {
					if d.notice.Channel == ChannelSMS {
						sent.ProviderID, err = n.SMS.SendSMS(ctx, n.sms(d))
					} else {
						sent.ProviderID, err = n.Email.SendEmail(ctx, n.email(d))
					}
					return err
				})
				n.settle(d, sent)
				if d.err != nil {
					failing.Add(1)
				} else {
					failing.Store(0)
				}
				rec.record(d.outcome)
			}
		})
	}
	for _, i := range at {
		if failing.Load() >= providerDown {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return rec.finish()
}

// recorder takes the outcomes of a batch's sends as they come and has them in the database by
// the time finish returns (with the first error writing them).
type recorder interface {
	// handing is told of a send about to go to its provider.
	handing(noticeID int64)
	record(members.NoticeOutcome)
	finish() error
}

// newRecorder is the recorder of a batch of size sends: its journal file when n has a
// journal and the file could be made, else settleEvery outcomes to a transaction.
func (n *Notices) newRecorder(ctx context.Context, size int) recorder {
	if n.Journal != nil {
		jf, err := n.Journal.begin()
		if err == nil {
			return &journalRecorder{n: n, ctx: ctx, jf: jf, outcomes: make([]members.NoticeOutcome, 0, size)}
		}
		// A full disk, say: the database path bounds a crash's repeats the older way.
		n.log().Warn("send journal unavailable, recording outcomes in groups", slog.Any("error", err))
	}
	return n.newSettleWriter(ctx)
}

// journalRecorder appends each outcome to the batch's journal file and writes them all to the
// database in one transaction at the end. An outcome the file refuses is written to the
// database at once instead, so none is ever only in memory while later sends go out.
type journalRecorder struct {
	n   *Notices
	ctx context.Context
	jf  *journalFile

	mu       sync.Mutex
	outcomes []members.NoticeOutcome
	err      error
}

// handing writes the send's "sending" line; if the file refuses it, record will say so.
func (r *journalRecorder) handing(noticeID int64) {
	_ = r.jf.record(members.NoticeOutcome{ID: noticeID, Status: members.NoticeSending})
}

func (r *journalRecorder) record(o members.NoticeOutcome) {
	if jerr := r.jf.record(o); jerr != nil {
		r.n.log().Warn("send journal write failed, recording the outcome at once", slog.Any("error", jerr))
		err := r.n.settleNow(r.ctx, []members.NoticeOutcome{o})
		r.mu.Lock()
		r.err = cmp.Or(r.err, err)
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	r.outcomes = append(r.outcomes, o)
	r.mu.Unlock()
}

func (r *journalRecorder) finish() error {
	err := r.n.settleNow(r.ctx, r.outcomes)
	if eerr := r.n.Journal.end(r.jf, err == nil); eerr != nil {
		r.n.log().Warn("send journal", slog.Any("error", eerr))
	}
	return cmp.Or(r.err, err)
}

// settleNow writes outcomes to the database, even when ctx has ended (the provider has
// these messages), waiting out a full disk.
func (n *Notices) settleNow(ctx context.Context, outcomes []members.NoticeOutcome) error {
	return n.whileDiskFull(ctx, "batch", func() error { return n.Members.SettleNotices(context.WithoutCancel(ctx), outcomes) })
}

// settleWriter records outcomes as they come from one goroutine, those that came while it
// wrote the last ones together — up to settleEvery in a transaction. The senders never wait
// for the database unless settleEvery outcomes are queued already.
type settleWriter struct {
	outcomes chan members.NoticeOutcome
	settled  chan error
}

func (n *Notices) newSettleWriter(ctx context.Context) *settleWriter {
	w := &settleWriter{outcomes: make(chan members.NoticeOutcome, settleEvery), settled: make(chan error, 1)}
	go func() {
		var err error
		for o := range w.outcomes {
			group := append(make([]members.NoticeOutcome, 0, settleEvery), o)
			for queued := true; queued && len(group) < settleEvery; {
				select {
				case o, ok := <-w.outcomes:
					if queued = ok; ok {
						group = append(group, o)
					}
				default:
					queued = false
				}
			}
			if err == nil {
				err = n.settleNow(ctx, group)
			}
		}
		w.settled <- err
	}()
	return w
}

func (w *settleWriter) handing(int64) {}

func (w *settleWriter) record(o members.NoticeOutcome) { w.outcomes <- o }

func (w *settleWriter) finish() error {
	close(w.outcomes)
	return <-w.settled
}

// providerDown is how many transient failures in a row stop a batch's sends.
const providerDown = 3

// sms and email are the messages of d, under its notice's key.
func (n *Notices) sms(d *noticeDraft) notify.SMS {
	return notify.SMS{To: d.to.phone, Body: d.msg.Text, IdempotencyKey: d.notice.Key}
}

func (n *Notices) email(d *noticeDraft) notify.Email {
	return notify.Email{To: d.to.email, ToName: d.to.name, From: n.EmailFrom,
		Subject: d.msg.Subject, Text: d.msg.Text, HTML: d.msg.HTML, IdempotencyKey: d.notice.Key}
}

// settle sets d's outcome for the ledger from what its send came to — sent, failed for good,
// or back to queued with the error, kept in d.err for the retry — and its result.
func (n *Notices) settle(d *noticeDraft, sent notify.Sent) {
	id := d.notice.ID
	if sent.Err == nil {
		d.outcome = members.NoticeOutcome{ID: id, Status: members.NoticeSent, ProviderMessageID: sent.ProviderID}
		d.result = NoticeResult{NoticeID: id, Status: ResultSent}
		return
	}
	code, message := errorFields(sent.Err)
	if notify.IsPermanent(sent.Err) {
		d.outcome = members.NoticeOutcome{ID: id, Status: members.NoticeFailed, ErrorCode: code, ErrorMessage: message}
		d.result = NoticeResult{NoticeID: id, Status: ResultFailed, Reason: reasonOf(code, message)}
		n.log().Warn("notice failed", slog.Int64("notice_id", id), slog.String("key", d.notice.Key), slog.String("code", code))
		return
	}
	d.outcome = members.NoticeOutcome{ID: id, Status: members.NoticeQueued, ErrorCode: code, ErrorMessage: message}
	d.result = NoticeResult{NoticeID: id}
	d.err = fmt.Errorf("send notice %s: %w", d.notice.Key, sent.Err)
	n.log().Warn("notice send failed, will retry", slog.Int64("notice_id", id), slog.String("key", d.notice.Key), slog.Any("error", sent.Err))
}
