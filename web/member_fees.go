package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/microsoft/durabletask-go/api"

	"membership/members"
	wf "membership/workflows"
)

// markFeePaid records a payment and raises FeePaid to the fee's reminder workflow, if one runs,
// so it stops reminding. The UI and the API both come through here.
func (s *Server) markFeePaid(ctx context.Context, actor string, feeID int64, paidOn members.Date, method string) error {
	fee, err := s.members.MarkFeePaid(ctx, actor, feeID, paidOn, method)
	if err != nil {
		return err
	}
	if s.hub == nil {
		return nil
	}
	id := api.InstanceID(wf.FeeReminderID(fee.ID))
	md, err := s.hub.Client().FetchOrchestrationMetadata(ctx, id)
	if errors.Is(err, api.ErrInstanceNotFound) || (err == nil && !md.IsRunning()) {
		// No reminder running (not due yet, or finished): the payment alone is the whole story.
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up reminder %s: %w", id, err)
	}
	if err := s.hub.Client().RaiseEvent(ctx, id, wf.FeePaidEvent, api.WithEventPayload(map[string]any{"fee_id": fee.ID, "paid_on": fee.PaidOn.String(), "method": fee.Method})); err != nil {
		return fmt.Errorf("tell reminder %s the fee is paid: %w", id, err)
	}
	s.log.Info("fee paid; reminder told", slog.Int64("fee_id", fee.ID), slog.String("instance_id", string(id)))
	return nil
}
