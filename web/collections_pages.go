package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/members/sepa"
	"membership/web/templates"
	orchestrators "membership/workflows"
)

// collectionRowsPerPage is how many debits a run's page lists at a time.
const collectionRowsPerPage = 100

// collectionPageRoutes: the direct debit pages — runs, the creditor settings, the bank's
// returns. Like the API, they are the admins' alone.
func (s *Server) collectionPageRoutes(g routeGroups) {
	g.admin.GET("/collections", s.collectionsList)
	g.admin.POST("/collections", s.collectionCreate)
	g.admin.GET("/collections/settings", s.collectionSettingsForm)
	g.admin.POST("/collections/settings", s.collectionSettingsSave)
	g.admin.GET("/collections/returns", s.collectionReturnsForm)
	g.admin.POST("/collections/returns", s.collectionReturnsImport)
	g.admin.GET("/collections/:id", s.collectionShow)
	g.admin.GET("/collections/:id/progress", s.collectionProgress)
	g.admin.GET("/collections/:id/file", s.collectionFile)
	g.admin.POST("/collections/:id/cancel", s.collectionCancel)
	g.admin.POST("/members/:id/mandate", s.mandateSave)
	g.admin.POST("/members/:id/mandate/revoke", s.mandateRevoke)
}

func (s *Server) collectionsList(c echo.Context) error {
	return s.collectionsPage(c, http.StatusOK, "", nil)
}

// collectionsPage renders the list of runs with the new-run form; collectOn is the form's
// date as typed ("" for the default).
func (s *Server) collectionsPage(c echo.Context, status int, collectOn string, errs templates.FieldErrors) error {
	ctx := c.Request().Context()
	set, err := s.members.CollectionSettings(ctx)
	if err != nil {
		return err
	}
	items, err := s.members.Collections(ctx, 200)
	if err != nil {
		return err
	}
	if collectOn == "" && errs == nil {
		collectOn = s.today().AddDays(set.PrenotifyDays).String()
	}
	v := templates.CollectionsView{Items: items, Settings: set, CollectOn: collectOn, Errors: errs}
	title := t(c, "collections.title")
	return s.page(c, status, title, "collections", templates.Collections(s.ctx(c, title, "collections"), v))
}

// collectionCreate plans a run for the form's day and starts its workflow.
func (s *Server) collectionCreate(c echo.Context) error {
	typed := strings.TrimSpace(c.FormValue("collect_on"))
	on, err := members.ParseDate(typed)
	if err != nil {
		return s.collectionsPage(c, http.StatusUnprocessableEntity, typed, templates.FieldErrors{"collect_on": t(c, "collections.error.date")})
	}
	col, err := s.startCollection(c.Request().Context(), principal(c).Actor(), on)
	if errs := fieldErrors(loc(c), s.localDates(c, err)); errs != nil {
		return s.collectionsPage(c, http.StatusUnprocessableEntity, typed, errs)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, collectionPath(col.ID), "ok", t(c, "collections.flash.planned", "Date", loc(c).Date(col.CollectOn.Time(s.cfg.Club.Location()))))
}

func (s *Server) collectionSettingsForm(c echo.Context) error {
	set, err := s.members.CollectionSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return s.collectionSettingsPage(c, http.StatusOK, settingsFormValues(set), nil)
}

func (s *Server) collectionSettingsPage(c echo.Context, status int, values map[string]string, errs templates.FieldErrors) error {
	title := t(c, "collections.settings.title")
	return s.page(c, status, title, "collections", templates.CollectionSettingsPage(s.ctx(c, title, "collections"), templates.CollectionSettingsView{Values: values, Errors: errs}))
}

// settingsFields are the settings form's fields, named as in the JSON API.
var settingsFields = []string{"creditor_name", "creditor_id", "iban", "bic", "prenotify_days", "return_days"}

func settingsFormValues(set members.CollectionSettings) map[string]string {
	return map[string]string{"creditor_name": set.CreditorName, "creditor_id": set.CreditorID, "iban": set.IBAN, "bic": set.BIC,
		"prenotify_days": strconv.Itoa(set.PrenotifyDays), "return_days": strconv.Itoa(set.ReturnDays)}
}

func (s *Server) collectionSettingsSave(c echo.Context) error {
	values := make(map[string]string, len(settingsFields))
	for _, f := range settingsFields {
		values[f] = strings.TrimSpace(c.FormValue(f))
	}
	in := members.CollectionSettings{CreditorName: values["creditor_name"], CreditorID: values["creditor_id"], IBAN: values["iban"], BIC: values["bic"]}
	errs := templates.FieldErrors{}
	for _, f := range []struct {
		name string
		to   *int
	}{{"prenotify_days", &in.PrenotifyDays}, {"return_days", &in.ReturnDays}} {
		n, err := strconv.Atoi(values[f.name])
		if err != nil {
			errs[f.name] = t(c, "collections.error.days")
			continue
		}
		*f.to = n
	}
	if len(errs) > 0 {
		return s.collectionSettingsPage(c, http.StatusUnprocessableEntity, values, errs)
	}
	_, err := s.members.SaveCollectionSettings(c.Request().Context(), principal(c).Actor(), in)
	if errs := fieldErrors(loc(c), err); errs != nil {
		return s.collectionSettingsPage(c, http.StatusUnprocessableEntity, values, errs)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/collections", "ok", t(c, "collections.flash.settings_saved"))
}

func (s *Server) collectionShow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	ctx := c.Request().Context()
	sum, err := s.members.CollectionSummary(ctx, id)
	if err != nil {
		return err
	}
	rows, err := s.members.CollectionRows(ctx, id, page, collectionRowsPerPage)
	if err != nil {
		return err
	}
	v := templates.CollectionView{Summary: *sum, Rows: rows, Page: page, PerPage: collectionRowsPerPage,
		CreatedAt: s.clubTime(&sum.CreatedAt), FileAt: s.clubTime(sum.FileAt), WaitUntil: s.collectionWait(c, sum)}
	title := t(c, "collections.show.title", "Date", loc(c).Date(sum.CollectOn.Time(s.cfg.Club.Location())))
	return s.page(c, http.StatusOK, title, "collections", templates.CollectionShow(s.ctx(c, title, "collections"), v))
}

// collectionProgress is the live fragment htmx polls; once the run stops changing by itself
// (settled, cancelled, failed) it has htmx reload the page, which then shows the final table.
func (s *Server) collectionProgress(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	sum, err := s.members.CollectionSummary(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if !templates.CollectionLive(sum.Status) && c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Refresh", "true")
	}
	return render(c, http.StatusOK, templates.CollectionProgress(*sum, s.collectionWait(c, sum)))
}

// collectionWait is until when a live run's workflow waits (for the pre-notification day, for
// the returns), in the club's zone; zero when it does not wait or its status cannot be read,
// which the page shows as nothing.
func (s *Server) collectionWait(c echo.Context, sum *members.CollectionSummary) time.Time {
	if !templates.CollectionLive(sum.Status) || sum.InstanceID == "" {
		return time.Time{}
	}
	md, err := s.hub.Client().FetchOrchestrationMetadata(c.Request().Context(), api.InstanceID(sum.InstanceID))
	if err != nil || md.SerializedCustomStatus == "" {
		return time.Time{}
	}
	var st orchestrators.FeeCollectionStatus
	if json.Unmarshal([]byte(md.SerializedCustomStatus), &st) != nil {
		return time.Time{}
	}
	return s.clubTime(&st.WaitUntil)
}

func (s *Server) collectionCancel(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.cancelCollection(c.Request().Context(), id); err != nil {
		if status, _ := statusOf(err); status == http.StatusConflict {
			return s.redirectWith(c, collectionPath(id), "error", t(c, "collections.flash.cancel_refused"))
		}
		return err
	}
	return s.redirectWith(c, collectionPath(id), "ok", t(c, "collections.flash.cancelled"))
}

func (s *Server) collectionReturnsForm(c echo.Context) error {
	return s.collectionReturnsPage(c, http.StatusOK, templates.ReturnsView{})
}

func (s *Server) collectionReturnsPage(c echo.Context, status int, v templates.ReturnsView) error {
	title := t(c, "collections.returns.title")
	return s.page(c, status, title, "collections", templates.CollectionReturns(s.ctx(c, title, "collections"), v))
}

// collectionReturnsImport books an uploaded return file and shows what became of each line.
func (s *Server) collectionReturnsImport(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return s.collectionReturnsPage(c, http.StatusUnprocessableEntity, templates.ReturnsView{Errors: templates.FieldErrors{"file": t(c, "collections.returns.no_file")}})
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	report, err := s.importReturns(c.Request().Context(), principal(c).Actor(), f)
	if errs := fieldErrors(loc(c), err); errs != nil {
		return s.collectionReturnsPage(c, http.StatusUnprocessableEntity, templates.ReturnsView{Errors: errs})
	}
	if err != nil {
		return err
	}
	lines := make([]sepa.LineError, len(report.Errors))
	for i, e := range report.Errors {
		lines[i] = sepa.LineError{Line: e.Line, Message: e.Message}
	}
	v := templates.ReturnsView{Report: &templates.ReturnsReport{Results: report.Results, Errors: lines, Reminders: report.Reminders}, FileName: fh.Filename}
	return s.collectionReturnsPage(c, http.StatusOK, v)
}

// localDates writes the dates a validation error names ("Date": "2026-12-21") as the reader's
// language does, for the messages next to the fields; other errors pass as they are.
func (s *Server) localDates(c echo.Context, err error) error {
	var ve *members.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := *ve
	out.Fields = make([]members.FieldError, len(ve.Fields))
	for i, fe := range ve.Fields {
		args := slices.Clone(fe.Args)
		for j := 0; j+1 < len(args); j += 2 {
			if name, _ := args[j].(string); name != "Date" {
				continue
			}
			if raw, ok := args[j+1].(string); ok {
				if d, perr := members.ParseDate(raw); perr == nil && !d.IsZero() {
					args[j+1] = loc(c).Date(d.Time(s.cfg.Club.Location()))
				}
			}
		}
		fe.Args = args
		out.Fields[i] = fe
	}
	return &out
}

func collectionPath(id int64) string { return "/collections/" + strconv.FormatInt(id, 10) }
