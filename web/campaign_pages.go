package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/activities"
	"membership/members"
	"membership/web/templates"
)

// previewSamples is how many members the preview renders the texts for.
const previewSamples = 3

func (s *Server) campaignsList(c echo.Context) error {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	const perPage = 50
	items, total, err := s.members.ListCampaigns(c.Request().Context(), page, perPage)
	if err != nil {
		return err
	}
	v := templates.CampaignsView{Total: total, Page: page, PerPage: perPage}
	for _, cp := range items {
		v.Items = append(v.Items, templates.CampaignRow{Campaign: cp, StartAt: s.clubTime(&cp.StartAt)})
	}
	if v.Approval, err = s.members.CampaignSettings(c.Request().Context()); err != nil {
		return err
	}
	return s.campaignsPage(c, http.StatusOK, v)
}

func (s *Server) campaignsPage(c echo.Context, status int, v templates.CampaignsView) error {
	title := t(c, "campaigns.title")
	return s.page(c, status, title, "campaigns", templates.Campaigns(s.ctx(c, title, "campaigns"), v))
}

// campaignApprovalSettings saves the club's approval rule from the list page's form; refused,
// the list comes back with the input and the reasons next to the fields.
func (s *Server) campaignApprovalSettings(c echo.Context) error {
	ctx := c.Request().Context()
	in := members.CampaignSettings{ApprovalMinAudience: -1, ApprovalHours: -1}
	errs := templates.FieldErrors{}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"approval_min_audience", &in.ApprovalMinAudience}, {"approval_hours", &in.ApprovalHours}} {
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(f.name)))
		if err != nil {
			errs[f.name] = t(c, "campaigns.approval_settings.not_a_number")
			continue
		}
		*f.dst = n
	}
	if len(errs) == 0 {
		_, err := s.members.SaveCampaignSettings(ctx, principal(c).Actor(), in)
		if err == nil {
			return s.redirectWith(c, "/campaigns", "ok", t(c, "campaigns.approval_settings.saved"))
		}
		if errs = fieldErrors(loc(c), err); errs == nil {
			return err
		}
	}
	items, total, err := s.members.ListCampaigns(ctx, 1, 50)
	if err != nil {
		return err
	}
	v := templates.CampaignsView{Total: total, Page: 1, PerPage: 50, Approval: in, ApprovalErrors: errs,
		ApprovalTyped: map[string]string{"approval_min_audience": c.FormValue("approval_min_audience"), "approval_hours": c.FormValue("approval_hours")}}
	for _, cp := range items {
		v.Items = append(v.Items, templates.CampaignRow{Campaign: cp, StartAt: s.clubTime(&cp.StartAt)})
	}
	return s.campaignsPage(c, http.StatusUnprocessableEntity, v)
}

// campaignNew shows the form. The member list links here with its filters in the query, so a
// campaign "to everyone this search shows" starts from exactly that audience.
func (s *Server) campaignNew(c echo.Context) error {
	form := templates.CampaignForm{When: "now", Channels: []string{members.CampaignEmail}, Audience: templates.AudienceForm{Status: string(members.StatusActive)}}
	if q := c.QueryParams(); len(q) > 0 {
		form.Audience = audienceForm(q)
	}
	return s.campaignForm(c, http.StatusOK, templates.CampaignNewView{Form: form})
}

// audienceForm is the audience part of the campaign form as typed (or as the list passed it).
func audienceForm(v url.Values) templates.AudienceForm {
	return templates.AudienceForm{Q: v.Get("q"), Status: v.Get("status"), Plan: v.Get("plan"), Rank: v.Get("rank"),
		FeeOverdue: v.Get("fee_overdue"), Verified: v.Get("verified"), EndsWithin: strings.TrimSpace(v.Get("ends_within_days"))}
}

// campaignForm renders the new-campaign page.
func (s *Server) campaignForm(c echo.Context, status int, v templates.CampaignNewView) error {
	plans, err := s.members.ListPlans(c.Request().Context())
	if err != nil {
		return err
	}
	v.Plans, v.TimeZone = plans, s.cfg.Club.TimeZone
	title := t(c, "campaigns.form.title")
	return s.page(c, status, title, "campaigns", templates.CampaignNew(s.ctx(c, title, "campaigns"), v))
}

// campaignCreate previews the form's campaign (action "preview") or plans and starts it.
func (s *Server) campaignCreate(c echo.Context) error {
	form, in, errs := s.campaignInput(c)
	v := templates.CampaignNewView{Form: form, Errors: errs}
	if len(errs) > 0 {
		return s.campaignForm(c, http.StatusUnprocessableEntity, v)
	}
	ctx := c.Request().Context()
	if c.FormValue("action") == "preview" {
		p, err := s.members.PreviewCampaign(ctx, &in, previewSamples)
		if v.Errors = fieldErrors(loc(c), err); v.Errors != nil {
			return s.campaignForm(c, http.StatusUnprocessableEntity, v)
		}
		if err != nil {
			return err
		}
		v.Preview = p
		if v.Samples, err = s.campaignSamples(in, p.Samples); err != nil {
			return err
		}
		return s.campaignForm(c, http.StatusOK, v)
	}
	cp, err := s.members.CreateCampaign(ctx, principal(c).Actor(), in)
	if v.Errors = fieldErrors(loc(c), err); v.Errors != nil {
		return s.campaignForm(c, http.StatusUnprocessableEntity, v)
	}
	if status, why := s.notSaved(c, err); status != 0 {
		v.NotSaved = why
		return s.campaignForm(c, status, v)
	}
	if err != nil {
		return err
	}
	if err := s.startCampaign(ctx, cp); err != nil {
		return err
	}
	msg := t(c, "campaigns.flash.started")
	if cp.StartAt.After(time.Now()) {
		msg = t(c, "campaigns.flash.planned", "At", loc(c).DateTime(s.clubTime(&cp.StartAt)))
	}
	return s.redirectWith(c, campaignPath(cp.ID), "ok", msg)
}

// campaignInput reads the form into the form as typed and the campaign input; errs holds what
// cannot be read at all (a number that is none, a date without a time). The audience is read
// by the member list's own filter reader.
func (s *Server) campaignInput(c echo.Context) (templates.CampaignForm, members.CampaignInput, templates.FieldErrors) {
	params, err := c.FormParams()
	if err != nil {
		// A body that is no form at all: read nothing, so every required field says so.
		s.log.Warn("campaign form unreadable", slog.Any("error", err))
		params = url.Values{}
	}
	f := templates.CampaignForm{
		Name: params.Get("name"), Subject: params.Get("subject"), Message: params.Get("message"),
		Channels: params["channels"], Audience: audienceForm(params),
		When: params.Get("when"), StartDate: params.Get("start_date"), StartTime: params.Get("start_time"),
		MissedPolicy: params.Get("missed_policy"), SMSFallback: params.Get("sms_fallback") != "",
	}
	filter, bad := readFilter(params)
	in := members.CampaignInput{Name: f.Name, Channels: f.Channels, Subject: f.Subject, Message: f.Message,
		Audience: members.CampaignAudience(filter), MissedPolicy: f.MissedPolicy, SMSFallback: f.SMSFallback}
	errs := templates.FieldErrors{}
	for _, e := range bad {
		errs[e.Field] = e.Message
	}
	if f.When == "later" {
		at, err := time.ParseInLocation("2006-01-02 15:04", f.StartDate+" "+f.StartTime, s.cfg.Club.Location())
		if err != nil {
			errs["start_at"] = t(c, "campaigns.error.start_at")
		} else {
			in.StartAt = &at
		}
	}
	return f, in, errs
}

// campaignSamples renders the campaign's texts for the preview's sample members, with the
// club's message templates, as the sends will.
func (s *Server) campaignSamples(in members.CampaignInput, sample []members.Member) ([]templates.CampaignSample, error) {
	texts, err := activities.LoadTexts(s.cfg.Club.Name, s.cfg.Club.Language, filepath.Join(s.cfg.Server.DataDir, "templates"))
	if err != nil {
		return nil, err
	}
	var out []templates.CampaignSample
	for i := range sample {
		m := &sample[i]
		for _, ch := range in.Channels {
			if members.Unreachable(m, ch) != "" {
				continue
			}
			one := templates.CampaignSample{Member: m.FullName(), Channel: ch}
			// In the member's language, as the send will be: {{.MembershipEndsOn}} is written their way.
			p, err := texts.In(m.Language).Preview(activities.NoticeRequest{Channel: ch, Template: activities.TemplateCampaign, Subject: in.Subject, Body: in.Message}, m)
			if err != nil {
				one.Error = err.Error()
			}
			one.Subject, one.Text, one.Chars, one.Segments = p.Subject, p.Text, p.Chars, p.Segments
			out = append(out, one)
		}
	}
	return out, nil
}

func (s *Server) campaignShow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cp, err := s.members.GetCampaign(ctx, id)
	if err != nil {
		return err
	}
	s.waitInClubZone(cp)
	failed, n, err := s.members.CampaignRecipients(ctx, id, members.RecipientQuery{Status: members.RecipientFailed, PerPage: 100})
	if err != nil {
		return err
	}
	retries, err := s.members.CampaignRetries(ctx, id)
	if err != nil {
		return err
	}
	v := templates.CampaignView{Campaign: *cp, StartAt: s.clubTime(&cp.StartAt), StartedAt: s.clubTime(cp.StartedAt),
		FinishedAt: s.clubTime(cp.FinishedAt), CreatedAt: s.clubTime(&cp.CreatedAt), Failed: failed, FailedTotal: n, Retries: retries}
	return s.page(c, http.StatusOK, cp.Name, "campaigns", templates.CampaignShow(s.ctx(c, cp.Name, "campaigns"), v))
}

// campaignProgress is the live fragment htmx polls. Once the campaign has finished, it asks
// htmx to reload the whole page, which then shows the report.
func (s *Server) campaignProgress(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cp, err := s.members.GetCampaign(c.Request().Context(), id)
	if err != nil {
		return err
	}
	s.waitInClubZone(cp)
	if cp.Status.Finished() && c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Refresh", "true")
	}
	return render(c, http.StatusOK, templates.CampaignProgress(*cp))
}

func (s *Server) campaignReportCSV(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.members.GetCampaign(ctx, id); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="campaign-`+strconv.FormatInt(id, 10)+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	return s.members.WriteCampaignReportCSV(ctx, c.Response(), id)
}

func (s *Server) campaignCancel(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.cancelCampaign(c.Request().Context(), principal(c).Actor(), id); err != nil {
		return s.campaignActionFailed(c, id, "campaigns.flash.cancel_refused", err)
	}
	return s.redirectWith(c, campaignPath(id), "ok", t(c, "campaigns.flash.cancelled"))
}

func (s *Server) campaignRetry(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	cp, err := s.retryCampaign(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return s.campaignActionFailed(c, id, "campaigns.flash.retry_refused", err)
	}
	return s.redirectWith(c, campaignPath(cp.ID), "ok", t(c, "campaigns.flash.retrying"))
}

// campaignActionFailed sends the browser back to the campaign with why an action could not be
// done (the message refused says: a campaign finished meanwhile); other errors are answered
// as errors.
func (s *Server) campaignActionFailed(c echo.Context, id int64, refused string, err error) error {
	if status, _ := statusOf(err); status == http.StatusConflict {
		return s.redirectWith(c, campaignPath(id), "error", t(c, refused))
	}
	return err
}

func campaignPath(id int64) string { return "/campaigns/" + strconv.FormatInt(id, 10) }

// clubTime is t in the club's time zone, for the page to write as its language does; zero for
// none.
// waitInClubZone puts the time a campaign waits for its provider into the club's zone, for the
// live progress, which shows it.
func (s *Server) waitInClubZone(cp *members.Campaign) {
	for _, t := range []**time.Time{&cp.WaitingUntil, &cp.QuietUntil, &cp.ApprovalDeadline} {
		if *t != nil {
			at := s.clubTime(*t)
			*t = &at
		}
	}
}

func (s *Server) clubTime(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.In(s.cfg.Club.Location())
}
