package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// routesCSV: the member CSV export (trainers too), the import (admins), and a member's GDPR
// export and erasure (admins).
func (s *Server) routesCSV(g routeGroups) {
	g.user.GET("/members/export", s.membersExportForm)
	g.user.GET("/members/export.csv", s.membersExportCSV)
	g.api.GET("/members/export.csv", s.membersExportCSV)

	// The upload sits outside the groups so that its size is checked before the CSRF check
	// parses the multipart body; the chain is the admin group's otherwise.
	s.e.POST("/members/import", s.importUpload, s.importSizeLimit, s.csrf(), s.requireUser, s.requireAdmin)
	g.admin.GET("/members/import", s.importForm)
	g.admin.POST("/members/import/:token", s.importConfirm)
	g.admin.POST("/members/import/:token/cancel", s.importCancel)
	g.apiAdmin.POST("/members/import", s.apiImport)

	g.admin.GET("/members/:id/export.json", s.memberPersonalData)
	g.apiAdmin.GET("/members/:id/export", s.memberPersonalData)
	g.admin.GET("/members/:id/erase", s.eraseForm)
	g.admin.POST("/members/:id/erase", s.eraseConfirm)
	g.apiAdmin.POST("/members/:id/erase", s.apiErase)
}

// membersExportCSV streams the members the list's filters (or a selection: ids=1,2,3, or the
// list's checkboxes) select as CSV: columns=a,b,… picks columns, excel=1 writes for Excel.
func (s *Server) membersExportCSV(c echo.Context) error {
	params := c.QueryParams()
	q, err := listQuery(loc(c), params)
	if err != nil {
		return err
	}
	opts := members.CSVOptions{Columns: csvColumnsParam(params), Excel: truthy(params.Get("excel"))}
	w := &download{c: c, contentType: "text/csv; charset=utf-8", name: "members-" + s.today().String() + ".csv"}
	err = members.WriteCSV(c.Request().Context(), w, s.members, q, opts)
	if err != nil && w.started {
		// The status line went out with the first rows: only a broken connection tells the
		// client that the file is incomplete, where a clean end would pass it off as whole.
		s.log.Error("CSV export broke off", "error", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// membersExportForm lets a person pick the columns and the Excel option, keeping the list's
// filters (passed on as hidden fields).
func (s *Server) membersExportForm(c echo.Context) error {
	params := c.QueryParams()
	if _, err := listQuery(loc(c), params); err != nil {
		return err
	}
	filters := url.Values{}
	for k, vs := range params {
		if k != "columns" && k != "excel" && k != "page" && k != "per_page" && len(vs) > 0 && vs[0] != "" {
			filters[k] = vs
		}
	}
	picked := csvColumnsParam(params)
	if len(picked) == 0 {
		picked = members.DefaultCSVColumns()
	}
	v := templates.ExportView{Filters: filters, Columns: members.CSVColumns(), Picked: picked, Excel: params.Get("excel") != "0"}
	title := t(c, "members.export.title")
	return s.page(c, http.StatusOK, title, "members", templates.ExportForm(s.ctx(c, title, "members"), v))
}

// csvColumnsParam reads columns=a,b or repeated columns=a&columns=b (a form's checkboxes).
func csvColumnsParam(v url.Values) []string {
	var out []string
	for _, val := range v["columns"] {
		for _, name := range strings.Split(val, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out = append(out, name)
			}
		}
	}
	return out
}

func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}

// download is a response body sent as an attachment, its headers set at the first write, so
// that an error before any byte can still be answered as an error page or problem JSON.
type download struct {
	c           echo.Context
	contentType string
	name        string
	started     bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.c.Response().Header()
		h.Set(echo.HeaderContentType, d.contentType)
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+d.name+`"`)
		h.Set("Cache-Control", "no-store") // personal data: no copies in caches
		d.c.Response().WriteHeader(http.StatusOK)
	}
	return d.c.Response().Write(p)
}
