package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/i18n"
	"membership/web/templates"
)

// The member import: the API takes a CSV body and answers the report; the UI uploads a file,
// keeps it in the data folder under a random token, shows a preview (a dry run) whose header
// mapping can be changed, and imports only when confirmed, deleting the file after.

// multipartSlack is what a browser's multipart upload adds around the file itself.
const multipartSlack = 64 << 10

// uploadMaxAge is how long an upload that was never confirmed nor cancelled is kept.
const uploadMaxAge = 24 * time.Hour

var importToken = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (s *Server) importLimits() members.ImportLimits {
	return members.ImportLimits{MaxBytes: s.cfg.Import.MaxBytes, MaxRows: s.cfg.Import.MaxRows}
}

// importOptions reads dry_run and on_existing.
func importOptions(dryRun, onExisting string) (members.ImportOptions, error) {
	opts := members.ImportOptions{OnExisting: onExisting}
	if dryRun != "" {
		b, err := strconv.ParseBool(dryRun)
		if err != nil {
			return opts, &ProblemError{Problem: Problem{Title: "Bad query", Status: http.StatusBadRequest,
				Detail: "dry_run must be true or false.", Errors: []FieldError{{Field: "dry_run", Message: "use true or false"}}}}
		}
		opts.DryRun = b
	}
	return opts, nil
}

// apiImport: POST /api/v1/members/import with the CSV file as the body.
func (s *Server) apiImport(c echo.Context) error {
	opts, err := importOptions(c.QueryParam("dry_run"), c.QueryParam("on_existing"))
	if err != nil {
		return err
	}
	f, err := members.ParseImport(c.Request().Body, s.importLimits())
	var fe *members.FileError
	if errors.As(err, &fe) {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, members.ErrImportTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		return importProblem(c, status, fe.Message, &members.ImportReport{Errors: []members.ImportError{{Message: fe.Message}}})
	}
	if err != nil {
		return err
	}
	rep, err := s.members.Import(c.Request().Context(), principal(c).Actor(), f, opts)
	if err != nil {
		return err
	}
	if len(rep.Errors) > 0 {
		return importProblem(c, http.StatusUnprocessableEntity, fmt.Sprintf("%d problems in the file; nothing was imported.", len(rep.Errors)), rep)
	}
	return c.JSON(http.StatusOK, rep)
}

// importProblem answers problem JSON that carries the import's report: its errors (by line and
// column, each with field and message as every invalid-input problem has) and its counts.
func importProblem(c echo.Context, status int, detail string, rep *members.ImportReport) error {
	body, err := json.Marshal(struct {
		Problem
		*members.ImportReport
		// Both embedded types have errors; this one, less deep, is what goes out.
		Errors []members.ImportError `json:"errors"`
	}{Problem{Type: "about:blank", Title: "Invalid import file", Status: status, Detail: detail, Instance: c.Request().URL.Path}, rep, rep.Errors})
	if err != nil {
		return err
	}
	return c.Blob(status, "application/problem+json", body)
}

// importSizeLimit refuses an upload larger than the import limit before anything reads it.
func (s *Server) importSizeLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		max := s.cfg.Import.MaxBytes + multipartSlack
		if c.Request().ContentLength > max {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fileMessage(loc(c), members.TooLargeError(s.cfg.Import.MaxBytes)))
		}
		c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, max)
		return next(c)
	}
}

func (s *Server) importForm(c echo.Context) error {
	return s.renderImportForm(c, http.StatusOK, "")
}

func (s *Server) renderImportForm(c echo.Context, status int, problem string) error {
	v := templates.ImportFormView{Problem: problem, MaxBytes: s.cfg.Import.MaxBytes, MaxRows: s.cfg.Import.MaxRows}
	title := t(c, "import.form.title")
	return s.page(c, status, title, "members", templates.ImportForm(s.ctx(c, title, "members"), v))
}

// importUpload keeps the uploaded file under a new token and shows its preview.
func (s *Server) importUpload(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return s.renderImportForm(c, http.StatusUnprocessableEntity, t(c, "import.form.choose_file"))
	}
	src, err := fh.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	raw, err := io.ReadAll(io.LimitReader(src, s.cfg.Import.MaxBytes+1))
	if err != nil {
		return err
	}
	if int64(len(raw)) > s.cfg.Import.MaxBytes {
		return s.renderImportForm(c, http.StatusRequestEntityTooLarge, fileMessage(loc(c), members.TooLargeError(s.cfg.Import.MaxBytes)))
	}
	token, err := s.keepUpload(raw)
	if err != nil {
		return err
	}
	return s.importPreview(c, token, raw, nil, c.FormValue("on_existing"))
}

// importConfirm re-checks the kept file with the mapping and options of the preview's form
// (action=check), or imports it (action=import).
func (s *Server) importConfirm(c echo.Context) error {
	token := c.Param("token")
	raw, err := s.upload(loc(c), token)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	// The preview's selects, map_0 … map_n, one per column.
	var mapping []string
	for i := 0; form.Has("map_" + strconv.Itoa(i)); i++ {
		mapping = append(mapping, form.Get("map_"+strconv.Itoa(i)))
	}
	if c.FormValue("action") != "import" {
		return s.importPreview(c, token, raw, mapping, c.FormValue("on_existing"))
	}
	f, rep, err := s.importRun(c, raw, mapping, members.ImportOptions{OnExisting: c.FormValue("on_existing")})
	if err != nil || len(rep.Errors) > 0 {
		return s.renderPreview(c, token, f, rep, c.FormValue("on_existing"), err)
	}
	s.dropUpload(token)
	title := t(c, "import.result.title")
	return s.page(c, http.StatusOK, title, "members", templates.ImportResult(s.ctx(c, title, "members"), *rep))
}

func (s *Server) importCancel(c echo.Context) error {
	if !importToken.MatchString(c.Param("token")) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.dropUpload(c.Param("token"))
	return s.redirectWith(c, "/members/import", "ok", t(c, "import.flash.cancelled"))
}

// importPreview shows what importing the file would do: a dry run.
func (s *Server) importPreview(c echo.Context, token string, raw []byte, mapping []string, onExisting string) error {
	f, rep, err := s.importRun(c, raw, mapping, members.ImportOptions{OnExisting: onExisting, DryRun: true})
	return s.renderPreview(c, token, f, rep, onExisting, err)
}

// importRun parses the kept file, applies a changed mapping and imports (or dry-runs) it.
func (s *Server) importRun(c echo.Context, raw []byte, mapping []string, opts members.ImportOptions) (*members.ImportFile, *members.ImportReport, error) {
	f, err := members.ParseImport(bytes.NewReader(raw), s.importLimits())
	if err != nil {
		return nil, nil, err
	}
	if mapping != nil {
		if err := f.SetMapping(mapping); err != nil {
			return f, nil, err
		}
	}
	rep, err := s.members.Import(c.Request().Context(), principal(c).Actor(), f, opts)
	return f, rep, err
}

// renderPreview shows the file's mapping, the rows' problems and the counts. A file that
// cannot be imported at all sends the person back to the upload form, and is deleted.
func (s *Server) renderPreview(c echo.Context, token string, f *members.ImportFile, rep *members.ImportReport, onExisting string, err error) error {
	var fe *members.FileError
	if errors.As(err, &fe) {
		s.dropUpload(token)
		return s.renderImportForm(c, http.StatusUnprocessableEntity, fileMessage(loc(c), fe))
	}
	status, problem := http.StatusOK, ""
	if errs := fieldErrors(loc(c), err); errs != nil {
		status, problem = http.StatusUnprocessableEntity, firstMessage(errs)
	} else if err != nil {
		return err
	}
	v := templates.ImportPreviewView{Token: token, Encoding: f.Encoding, Delimiter: f.Delimiter,
		Rows: len(f.Rows), OnExisting: onExisting, Fields: members.ImportableColumns(), Problem: problem}
	if v.OnExisting == "" {
		v.OnExisting = members.OnExistingSkip
	}
	for i, h := range f.Header {
		col := templates.ImportColumn{Index: i, Header: h, Field: f.Mapping[i]}
		for _, r := range f.Rows[:min(len(f.Rows), 3)] {
			col.Samples = append(col.Samples, r.Cells[i])
		}
		v.Columns = append(v.Columns, col)
	}
	if rep != nil {
		v.Report = *rep
		v.Problems = importProblems(loc(c), rep.Errors)
		if c.FormValue("action") == "import" && len(rep.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
	}
	title := t(c, "import.preview.title")
	return s.page(c, status, title, "members", templates.ImportPreview(s.ctx(c, title, "members"), v))
}

// importProblems are the lines of an import's report in the reader's language: each message
// the catalogue's for its code (fieldMessage), the English text where it has none.
func importProblems(l *i18n.Localizer, errs []members.ImportError) []templates.ImportProblem {
	out := make([]templates.ImportProblem, len(errs))
	for i, e := range errs {
		out[i] = templates.ImportProblem{Line: e.Line, Column: e.Column, Field: e.Field,
			Message: fieldMessage(l, members.FieldError{Field: e.Field, Message: e.Message, Code: e.Code, Args: e.Args})}
	}
	return out
}

// fileMessage is why a file cannot be imported at all, in the reader's language.
func fileMessage(l *i18n.Localizer, fe *members.FileError) string {
	return fieldMessage(l, members.FieldError{Message: fe.Message, Code: fe.Code, Args: fe.Args})
}

func (s *Server) uploadDir() string { return filepath.Join(s.cfg.Server.DataDir, "imports") }

// keepUpload stores an uploaded file under a new random token until the import is confirmed
// or cancelled; uploads left longer than uploadMaxAge are removed on the way.
func (s *Server) keepUpload(raw []byte) (string, error) {
	dir := s.uploadDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("keep upload: %w", err)
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > uploadMaxAge {
				s.dropUpload(strings.TrimSuffix(e.Name(), ".csv"))
			}
		}
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	if err := os.WriteFile(filepath.Join(dir, token+".csv"), raw, 0o600); err != nil {
		return "", fmt.Errorf("keep upload: %w", err)
	}
	return token, nil
}

// upload reads a kept file; a token that is malformed or gone answers 404, said in l's language.
func (s *Server) upload(l *i18n.Localizer, token string) ([]byte, error) {
	gone := echo.NewHTTPError(http.StatusNotFound, l.T("import.flash.upload_gone"))
	if !importToken.MatchString(token) {
		return nil, gone
	}
	raw, err := os.ReadFile(filepath.Join(s.uploadDir(), token+".csv"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, gone
	}
	return raw, err
}

func (s *Server) dropUpload(token string) {
	if !importToken.MatchString(token) {
		return
	}
	if err := os.Remove(filepath.Join(s.uploadDir(), token+".csv")); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("delete upload", "error", err)
	}
}
