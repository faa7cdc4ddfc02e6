package activities

import (
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
// is not idempotent by key (SMTP, SendGrid, Twilio): up to settleEvery queued and as many
// being written. A crash loses the outcomes not yet recorded — those notices stay "sending"
// and go out once more on the retry — so a crash duplicates at most 2 × settleEvery plus the
// sends in flight per running batch (taskhub.parallelism of them): 4 × (16 + 8) with eight in
// flight. Recording each outcome alone would make that one per send in flight, at the price
// of a transaction per notice. The outbox, idempotent by key, repeats none.
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

// deliverEach sends the drafts at `at` one by one, concurrency at a time, while one goroutine
// records the outcomes as they come, those that came while it wrote the last ones together —
// up to settleEvery in a transaction. The senders never wait for the database unless
// settleEvery outcomes are queued already. It returns only an error recording them.
func (n *Notices) deliverEach(ctx context.Context, drafts []*noticeDraft, at []int, concurrency int) error {
	if len(at) == 0 {
		return nil
	}
	outcomes := make(chan members.NoticeOutcome, settleEvery)
	settled := make(chan error, 1)
	go func() {
		var err error
		for o := range outcomes {
			group := append(make([]members.NoticeOutcome, 0, settleEvery), o)
			for queued := true; queued && len(group) < settleEvery; {
				select {
				case o, ok := <-outcomes:
					if queued = ok; ok {
						group = append(group, o)
					}
				default:
					queued = false
				}
			}
			if err == nil {
				// The provider has these messages: record them even when ctx has ended.
				err = n.whileDiskFull(ctx, "batch", func() error { return n.Members.SettleNotices(context.WithoutCancel(ctx), group) })
			}
		}
		settled <- err
	}()
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
				outcomes <- d.outcome
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
	close(outcomes)
	return <-settled
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
