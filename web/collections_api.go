package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
)

func (s *Server) apiCollectionSettings(c echo.Context) error {
	set, err := s.members.CollectionSettings(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (s *Server) apiCollectionSettingsPut(c echo.Context) error {
	var in members.CollectionSettings
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	set, err := s.members.SaveCollectionSettings(c.Request().Context(), principal(c).Actor(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, set)
}

func (s *Server) apiCollectionsList(c echo.Context) error {
	items, err := s.members.Collections(c.Request().Context(), 200)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// collectionRequest is the body of POST /api/v1/collections.
type collectionRequest struct {
	CollectOn members.Date `json:"collect_on"`
}

// apiCollectionCreate plans a run and starts its workflow: 202 with the workflow's management
// payload and the collection's id.
func (s *Server) apiCollectionCreate(c echo.Context) error {
	var in collectionRequest
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	col, err := s.startCollection(c.Request().Context(), principal(c).Actor(), in.CollectOn)
	if err != nil {
		return err
	}
	return s.accepted(c, api.InstanceID(col.InstanceID), map[string]any{"collection_id": col.ID})
}

func (s *Server) apiCollectionGet(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	sum, err := s.members.CollectionSummary(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sum)
}

func (s *Server) apiCollectionItems(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	page, perPage, err := pageParams(c, 100)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sum, err := s.members.CollectionSummary(ctx, id)
	if err != nil {
		return err
	}
	rows, err := s.members.CollectionRows(ctx, id, page, perPage)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listResponse[members.CollectionRow]{Items: rows, Page: page, PerPage: perPage, Total: int64(sum.Fees)})
}

// collectionFile downloads a run's pain.008 file (browser and API alike); before it is built,
// 409 says so.
func (s *Server) collectionFile(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	col, err := s.members.GetCollection(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if !col.HasFile() {
		return echo.NewHTTPError(http.StatusConflict, t(c, "collections.file.not_yet"))
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+col.FileName()+`"`)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(col.File)))
	return c.Blob(http.StatusOK, "application/xml", col.File)
}

func (s *Server) apiCollectionCancel(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	col, err := s.cancelCollection(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, col)
}

// apiCollectionReturns books a return file sent as the request body (camt.054 XML or CSV).
func (s *Server) apiCollectionReturns(c echo.Context) error {
	report, err := s.importReturns(c.Request().Context(), principal(c).Actor(), c.Request().Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

// apiMandates lists a member's mandates, IBANs in full: this is the member's own record.
func (s *Server) apiMandates(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.members.Get(ctx, id); err != nil {
		return err
	}
	ms, err := s.members.Mandates(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": ms})
}

func (s *Server) apiMandatePut(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in members.MandateInput
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	m, err := s.members.SetMandate(c.Request().Context(), principal(c).Actor(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Server) apiMandateRevoke(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	m, err := s.members.RevokeMandate(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}
