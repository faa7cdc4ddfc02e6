package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"membership/members"
	"membership/notify"
	"membership/web/i18n"
)

// maxRetryAfterWait bounds how long a send waits out a provider's Retry-After before it
// returns the error to the retry policy.
const maxRetryAfterWait = 30 * time.Second

// Send sends req once: it inserts the notice row if absent (unique key), returns at once if it
// is already done, otherwise renders, respects consent and contact presence (skipped with a
// reason), marks the notice sending, sends and records the provider's id. A permanent provider
// error answers Status "failed" and a nil error; a transient one is returned so that the
// activity's retry policy retries, after waiting out the provider's Retry-After (at most 30 s).
//
// A crash after the provider accepted the message and before the notice is recorded leaves it
// "sending"; the retry sends it again: at most one duplicate per send in flight at a crash.
func (n *Notices) Send(ctx context.Context, req NoticeRequest) (NoticeResult, error) {
	if err := req.validate(); err != nil {
		return NoticeResult{}, err
	}
	row := members.Notice{Key: req.Key, MemberID: &req.MemberID, Purpose: req.Purpose, Channel: req.Channel, Template: req.Template}
	if req.CampaignID != 0 {
		row.CampaignID = &req.CampaignID
	}
	notice, err := n.Members.ClaimNotice(ctx, row)
	if err != nil {
		return NoticeResult{}, err
	}
	if notice.Status.Done() {
		return resultOf(notice), nil
	}
	m, err := n.Members.Get(ctx, req.MemberID)
	if errors.Is(err, members.ErrNotFound) {
		return n.skip(ctx, notice, "member not found")
	}
	if err != nil {
		return NoticeResult{}, err
	}
	if reason := skipReason(req, m); reason != "" {
		return n.skip(ctx, notice, reason)
	}
	var msg, stored Message
	err = n.recovered("", func() (err error) {
		msg, stored, err = n.texts().ForMember(req, m)
		return err
	})
	if err != nil {
		return n.fail(ctx, notice, "template", err.Error())
	}
	return n.dispatch(ctx, notice, recipientOf(req, m), msg, stored)
}

// validate rejects a request no retry can mend: a caller's mistake.
func (req NoticeRequest) validate() error {
	switch {
	case req.Key == "":
		return errors.New("notice request without key")
	case req.MemberID <= 0:
		return fmt.Errorf("notice %s: no member id", req.Key)
	case req.Channel != ChannelSMS && req.Channel != ChannelEmail:
		return fmt.Errorf("notice %s: channel %q is not sms or email", req.Key, req.Channel)
	case req.Purpose == "":
		return fmt.Errorf("notice %s: no purpose", req.Key)
	case req.Template == "":
		return fmt.Errorf("notice %s: no template", req.Key)
	}
	return nil
}

// skipReason says why req must not go to m, or "" when it may: an erased member, a missing
// phone number or address, and for campaigns and reminders by SMS, campaigns by e-mail, a
// missing consent. Transactional notices (codes, links) need no consent.
func skipReason(req NoticeRequest, m *members.Member) string {
	if m.ErasedAt != nil {
		return "member erased"
	}
	switch req.Channel {
	case ChannelSMS:
		if recipientOf(req, m).phone == "" {
			return "no phone number"
		}
		if !req.Transactional && (req.Purpose == PurposeCampaign || req.Purpose == PurposeReminder) && !m.SMSConsent {
			return "no sms consent"
		}
	case ChannelEmail:
		if recipientOf(req, m).email == "" {
			return "no e-mail address"
		}
		if !req.Transactional && req.Purpose == PurposeCampaign && !m.EmailConsent {
			return "no e-mail consent"
		}
	}
	return ""
}

// recipientOf is where req goes for m: the member, or for a Guardian notice about a minor
// with a guardian's address, the guardian.
func recipientOf(req NoticeRequest, m *members.Member) recipient {
	if req.To != "" {
		to := recipient{name: m.FullName()}
		if strings.EqualFold(req.To, m.GuardianEmail) || req.To == m.GuardianPhone {
			to.name = m.GuardianName
		}
		if req.Channel == ChannelSMS {
			to.phone = req.To
		} else {
			to.email = req.To
		}
		return to
	}
	if req.Guardian && req.Channel == ChannelEmail && m.GuardianEmail != "" {
		if age := m.Age(members.DateOf(time.Now())); m.Email == "" || (age >= 0 && age < 18) {
			return recipient{name: m.GuardianName, email: m.GuardianEmail}
		}
	}
	return recipient{name: m.FullName(), phone: m.Phone, email: m.Email}
}

// recipient is where a notice goes.
type recipient struct {
	name, phone, email string
}

// dispatch hands msg to the channel's provider for notice, recording stored (the copy with
// secrets masked) and the outcome.
func (n *Notices) dispatch(ctx context.Context, notice *members.Notice, to recipient, msg, stored Message) (NoticeResult, error) {
	provider := n.SMSProvider
	if notice.Channel == ChannelEmail {
		provider = n.EmailProvider
	}
	body := stored.Text
	if err := n.Members.MarkNoticeSending(ctx, notice.ID, provider, stored.Subject, body); errors.Is(err, members.ErrConflict) {
		// Another run of the same activity finished it meanwhile.
		return n.current(ctx, notice.Key)
	} else if err != nil {
		return NoticeResult{}, err
	}
	var providerID string
	err := n.recovered(provider, func() (err error) {
		switch notice.Channel {
		case ChannelSMS:
			providerID, err = n.SMS.SendSMS(ctx, notify.SMS{To: to.phone, Body: msg.Text, IdempotencyKey: notice.Key})
		default:
			providerID, err = n.Email.SendEmail(ctx, notify.Email{To: to.email, ToName: to.name, From: n.EmailFrom,
				Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, IdempotencyKey: notice.Key})
		}
		return err
	})
	if err != nil {
		return n.sendFailed(ctx, notice, err)
	}
	// The provider has the message. A crash from here until the row says "sent" makes the
	// retry send it once more: the one duplicate the ledger allows (none with a provider that
	// is idempotent by key, such as the outbox).
	err = n.whileDiskFull(ctx, notice.Key, func() error { return n.Members.MarkNoticeSent(ctx, notice.ID, providerID) })
	if errors.Is(err, members.ErrConflict) {
		return n.current(ctx, notice.Key)
	} else if err != nil {
		return NoticeResult{}, err
	}
	n.log().Info("notice sent", slog.Int64("notice_id", notice.ID), slog.String("key", notice.Key), slog.String("provider", provider))
	return NoticeResult{NoticeID: notice.ID, Status: ResultSent}, nil
}

// whileDiskFull runs write, the record of sends the provider already has, and while it fails
// for a full disk tries again every diskFullRetry until it succeeds, fails otherwise or ctx
// ends. Returned, the error would leave the notices "sending" and the retry would send them
// again: on a full disk every send of the stretch, not only those in flight at a crash. Held
// here, the batch also sends nothing more until space is freed.
func (n *Notices) whileDiskFull(ctx context.Context, what string, write func() error) error {
	err := write()
	if !errors.Is(err, members.ErrDiskFull) {
		return err
	}
	n.log().Error("disk full: holding sent notices until they can be recorded", slog.String("record", what), slog.Any("error", err))
	for errors.Is(err, members.ErrDiskFull) {
		if serr := sleep(ctx, diskFullRetry); serr != nil {
			return errors.Join(err, serr)
		}
		err = write()
	}
	if err == nil {
		n.log().Info("disk has room again: sent notices recorded", slog.String("record", what))
	}
	return err
}

// diskFullRetry is how often a record of sends is tried again while the disk is full.
const diskFullRetry = 250 * time.Millisecond

// sendFailed records a refused or failed send: a permanent refusal fails the notice for good,
// anything else is returned for a retry.
func (n *Notices) sendFailed(ctx context.Context, notice *members.Notice, err error) (NoticeResult, error) {
	code, message := errorFields(err)
	if notify.IsPermanent(err) {
		return n.fail(ctx, notice, code, message)
	}
	n.log().Warn("notice send failed, will retry", slog.Int64("notice_id", notice.ID), slog.String("key", notice.Key), slog.Any("error", err))
	// Record the error even when ctx has ended: the row should say why it is not sent.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := n.Members.RecordNoticeError(rctx, notice.ID, code, message); rerr != nil {
		n.log().Error("record notice error", slog.Int64("notice_id", notice.ID), slog.Any("error", rerr))
	}
	// Waiting out Retry-After here makes the policy's next attempt come after it; an ended ctx
	// cuts the wait short and the error below says why the send failed.
	_ = sleep(ctx, min(notify.RetryAfterOf(err), maxRetryAfterWait))
	return NoticeResult{}, fmt.Errorf("send notice %s: %w", notice.Key, err)
}

// errorFields is what the ledger keeps of a send error: the provider's code, and a message
// that names the provider and ends with the provider's hint. The ledger's message is what the
// member's timeline, the campaign's report and a verification's status show an admin, so it
// must say who refused and what to change, not only what the log says.
func errorFields(err error) (code, message string) {
	var ne *notify.Error
	if !errors.As(err, &ne) {
		return "error", err.Error()
	}
	code = ne.Code
	if code == "" && ne.Status != 0 {
		code = strconv.Itoa(ne.Status)
	}
	message = ne.Message
	if message == "" && ne.Err != nil {
		message = ne.Err.Error() // the server's reply (SMTP) or why the provider was not reached
	}
	message = cmp.Or(message, "refused")
	if ne.Provider != "" {
		message = ne.Provider + ": " + message
	}
	if ne.Hint != "" {
		message = strings.TrimRight(message, ". ") + ". Hint: " + ne.Hint
	}
	return cmp.Or(code, "error"), message
}

func (n *Notices) skip(ctx context.Context, notice *members.Notice, reason string) (NoticeResult, error) {
	if err := n.Members.MarkNoticeSkipped(ctx, notice.ID, reason); errors.Is(err, members.ErrConflict) {
		return n.current(ctx, notice.Key)
	} else if err != nil {
		return NoticeResult{}, err
	}
	return NoticeResult{NoticeID: notice.ID, Status: ResultSkipped, Reason: reason}, nil
}

func (n *Notices) fail(ctx context.Context, notice *members.Notice, code, message string) (NoticeResult, error) {
	if err := n.Members.MarkNoticeFailed(ctx, notice.ID, code, message); errors.Is(err, members.ErrConflict) {
		return n.current(ctx, notice.Key)
	} else if err != nil {
		return NoticeResult{}, err
	}
	n.log().Warn("notice failed", slog.Int64("notice_id", notice.ID), slog.String("key", notice.Key), slog.String("code", code))
	return NoticeResult{NoticeID: notice.ID, Status: ResultFailed, Reason: reasonOf(code, message)}, nil
}

// current answers the notice as it is stored now.
func (n *Notices) current(ctx context.Context, key string) (NoticeResult, error) {
	notice, err := n.Members.NoticeByKey(ctx, key)
	if err != nil {
		return NoticeResult{}, err
	}
	if !notice.Status.Done() {
		return NoticeResult{}, fmt.Errorf("notice %s is %s elsewhere", key, notice.Status)
	}
	return resultOf(notice), nil
}

// resultOf is the result a done notice answers: delivered counts as sent, undeliverable as
// failed.
func resultOf(n *members.Notice) NoticeResult {
	r := NoticeResult{NoticeID: n.ID}
	switch n.Status {
	case members.NoticeSent, members.NoticeDelivered:
		r.Status = ResultSent
	case members.NoticeSkipped:
		r.Status, r.Reason = ResultSkipped, n.ErrorMessage
	default:
		r.Status, r.Reason = ResultFailed, reasonOf(n.ErrorCode, n.ErrorMessage)
	}
	return r
}

func reasonOf(code, message string) string {
	if code == "" {
		return message
	}
	return code + ": " + message
}

// texts are n.Texts, or the compiled-in English ones.
func (n *Notices) texts() *Texts {
	n.defaultTexts.Do(func() {
		if n.Texts == nil {
			t, err := LoadTexts("", fallbackLanguage, "")
			if err != nil {
				panic(err) // the compiled-in templates are tested to parse
			}
			n.Texts = t
		}
	})
	return n.Texts
}

func (n *Notices) log() *slog.Logger {
	if n.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Log
}

// AdminMessage words an e-mail to the admins in one language: its subject and text.
type AdminMessage func(l *i18n.Localizer) (subject, text string)

// TellAdmins e-mails the message to every active admin user, each in their language, once per key and admin
// (notice key "<key>:admin:<user id>:email"), so a retried activity writes no one twice.
// Sends to all admins are tried; the errors of those that failed are returned together.
func (n *Notices) TellAdmins(ctx context.Context, key string, say AdminMessage) error {
	return n.TellAdminsBut(ctx, key, "", say)
}

// TellAdminsBut is TellAdmins leaving out the admin the actor names (a campaign's author, who
// may not approve it).
func (n *Notices) TellAdminsBut(ctx context.Context, key, actor string, say AdminMessage) error {
	if n.Admins == nil {
		return errors.New("tell admins: no admin directory")
	}
	admins, err := n.Admins(ctx)
	if err != nil {
		return fmt.Errorf("tell admins: %w", err)
	}
	var errs []error
	for _, a := range admins {
		if actor != "" && members.UserActor(a.ID) == actor {
			continue
		}
		texts := n.texts().In(a.Language)
		subject, text := say(texts.loc)
		msg := Message{Subject: subject, Text: text + "\n"}
		if msg.HTML, err = texts.html(nil, msg, nil); err != nil {
			return err
		}
		notice, err := n.Members.ClaimNotice(ctx, members.Notice{Key: key + ":admin:" + strconv.FormatInt(a.ID, 10) + ":email",
			Purpose: PurposeAdmin, Channel: ChannelEmail, Template: PurposeAdmin})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if notice.Status.Done() {
			continue
		}
		if a.Email == "" {
			_, err = n.skip(ctx, notice, "no e-mail address")
		} else {
			_, err = n.dispatch(ctx, notice, recipient{name: a.Name, email: a.Email}, msg, msg)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
