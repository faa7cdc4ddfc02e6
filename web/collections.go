package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	"membership/members/sepa"
	"membership/taskhub"
	orchestrators "membership/workflows"
)

// maxReturnFile bounds an uploaded return file: a camt.054 of thousands of returns is a few MB.
const maxReturnFile = 16 << 20

// collectionRoutes: SEPA direct debit — the club's creditor settings, members' mandates,
// collection runs, their bank files and the bank's returns. Money is the admins' business:
// every route is theirs. The pages are in collectionPageRoutes.
func (s *Server) collectionRoutes(g routeGroups) {
	g.apiAdmin.GET("/collection-settings", s.apiCollectionSettings)
	g.apiAdmin.PUT("/collection-settings", s.apiCollectionSettingsPut)
	g.apiAdmin.GET("/collections", s.apiCollectionsList)
	g.apiAdmin.POST("/collections", s.apiCollectionCreate)
	g.apiAdmin.GET("/collections/:id", s.apiCollectionGet)
	g.apiAdmin.GET("/collections/:id/items", s.apiCollectionItems)
	g.apiAdmin.GET("/collections/:id/file", s.collectionFile)
	g.apiAdmin.POST("/collections/:id/cancel", s.apiCollectionCancel)
	g.apiAdmin.POST("/collection-returns", s.apiCollectionReturns)
	g.apiAdmin.GET("/members/:id/mandates", s.apiMandates)
	g.apiAdmin.PUT("/members/:id/mandate", s.apiMandatePut)
	g.apiAdmin.DELETE("/members/:id/mandate", s.apiMandateRevoke)
}

// startCollection plans a run and starts its workflow. When the task hub refuses, the run is
// marked failed, so it does not sit "planned" with nothing to run it.
func (s *Server) startCollection(ctx context.Context, actor string, collectOn members.Date) (*members.Collection, error) {
	col, err := s.members.CreateCollection(ctx, actor, collectOn)
	if err != nil {
		return nil, err
	}
	id := orchestrators.FeeCollectionID(col.ID)
	if err := s.members.SetCollectionInstance(ctx, col.ID, id); err != nil {
		return nil, err
	}
	col.InstanceID = id
	_, err = s.hub.Client().ScheduleNewOrchestration(ctx, orchestrators.FeeCollectionName, api.WithInstanceID(api.InstanceID(id)),
		api.WithInput(orchestrators.FeeCollectionInput{CollectionID: col.ID, Version: orchestrators.FeeCollectionVersion}))
	if err == nil {
		return col, nil
	}
	err = fmt.Errorf("start collection %d: %w", col.ID, err)
	if ferr := s.members.FailCollection(context.WithoutCancel(ctx), col.ID, err.Error()); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return nil, err
}

// cancelCollection stops a run before its file is built and terminates its workflow.
func (s *Server) cancelCollection(ctx context.Context, id int64) (*members.Collection, error) {
	col, err := s.members.CancelCollection(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.hub.Client().TerminateOrchestration(ctx, api.InstanceID(col.InstanceID), api.WithOutput("cancelled")); err != nil {
		// The run is cancelled in the database: its next step finds no fee to collect.
		s.log.Warn("terminate cancelled collection", slog.Int64("collection_id", id), slog.Any("error", err))
	}
	return col, nil
}

// ReturnsReport is what an import of the bank's returns did: a line per return, and the lines
// that could not be read.
type ReturnsReport struct {
	Results []members.ReturnResult `json:"results"`
	Errors  []ReturnLineError      `json:"errors"`
	// Reminders is how many fee reminders the returns started.
	Reminders int `json:"reminders"`
}

// ReturnLineError is a line of a return file that could not be read.
type ReturnLineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// importReturns reads a return file — a camt.054 (XML) or a CSV of IBAN, mandate reference,
// amount and reason — books each return and starts the fee's reminder for every new one.
func (s *Server) importReturns(ctx context.Context, actor string, r io.Reader) (*ReturnsReport, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxReturnFile+1))
	if err != nil {
		return nil, fmt.Errorf("read return file: %w", err)
	}
	if len(data) > maxReturnFile {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The return file is larger than 16 MB.")
	}
	var rets []sepa.Return
	report := &ReturnsReport{Errors: []ReturnLineError{}}
	var bad []sepa.LineError
	if trimmed := bytes.TrimLeft(data, "\xef\xbb\xbf \t\r\n"); bytes.HasPrefix(trimmed, []byte("<")) {
		rets, err = sepa.ParseCamt054(bytes.NewReader(data))
	} else {
		rets, bad, err = sepa.ParseReturnCSV(bytes.NewReader(data))
	}
	for _, e := range bad {
		report.Errors = append(report.Errors, ReturnLineError{Line: e.Line, Message: e.Message})
	}
	if err != nil {
		var v members.ValidationError
		v.Add("file", "invalid_return_file", "cannot be read as a camt.054 or return CSV: "+err.Error(), "Reason", err.Error())
		return nil, &v
	}
	if report.Results, err = s.members.RecordReturns(ctx, actor, rets); err != nil {
		return nil, err
	}
	for _, res := range report.Results {
		if res.Status != members.ReturnRecorded {
			continue
		}
		started, err := taskhub.StartFixed(ctx, s.hub.Client(), orchestrators.FeeReminderName,
			api.InstanceID(orchestrators.FeeReturnReminderID(res.FeeID, res.ItemID)),
			orchestrators.NewFeeReminderInput(res.FeeID, s.cfg.Fees.SMSAfter.Std(), s.cfg.Fees.OverdueAfter.Std()))
		if err != nil {
			return report, err
		}
		if started {
			report.Reminders++
		}
	}
	return report, nil
}
