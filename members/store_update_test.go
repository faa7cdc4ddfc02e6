package members_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func TestUpdateAuditsEachChangedField(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		mustPlan(t, s, "Erwachsene", 3900, members.Monthly)
		m := mustCreate(t, s, adult("Anna", "Schmidt", "anna@example.org"))
		verified := testNow
		if _, err := s.MarkPhoneVerified(ctx, "workflow:pv-1", m.ID, m.Phone, verified); err != nil {
			t.Fatalf("MarkPhoneVerified: %v", err)
		}

		// Same first name (unchanged), new phone in another spelling, a plan, notes and consent.
		got, err := s.Update(ctx, actor, m.ID, members.MemberPatch{
			FirstName: ptr("Anna"), Phone: ptr("+49 170 1234567"), Plan: ptr("Erwachsene"),
			Notes: ptr("Trainerin"), EmailConsent: ptr(true),
		}, ptr(2))
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if got.Version != 3 || got.Phone != "+491701234567" || got.Plan != "Erwachsene" || got.EmailConsentAt == nil {
			t.Fatalf("updated member = version %d phone %q plan %q consent at %v", got.Version, got.Phone, got.Plan, got.EmailConsentAt)
		}
		if got.PhoneVerifiedAt != nil {
			t.Errorf("phone_verified_at = %v after the number changed, want none", got.PhoneVerifiedAt)
		}
		entries, total, err := s.AuditLog(ctx, members.AuditQuery{MemberID: m.ID, PerPage: 100})
		if err != nil {
			t.Fatalf("AuditLog: %v", err)
		}
		want := map[string][2]string{
			"phone":             {"+4915123456789", "+491701234567"},
			"plan":              {"", "Erwachsene"},
			"notes":             {"", "Trainerin"},
			"email_consent":     {"false", "true"},
			"email_consent_at":  {"", "2025-06-15T10:00:00Z"},
			"phone_verified_at": {"2025-06-15T10:00:00Z", ""},
		}
		updates := map[string][2]string{}
		for _, e := range entries {
			if e.Action == members.ActionUpdate {
				updates[e.Field] = [2]string{e.OldValue, e.NewValue}
				if e.Actor != actor {
					t.Errorf("%s changed by %q, want %q", e.Field, e.Actor, actor)
				}
			}
		}
		if len(updates) != len(want) {
			t.Errorf("audited fields %v, want %v", updates, want)
		}
		for f, ov := range want {
			if updates[f] != ov {
				t.Errorf("audit %s = %q, want %q", f, updates[f], ov)
			}
		}
		// create + phone_verified + the update's rows
		if total != int64(2+len(want)) {
			t.Errorf("audit rows = %d, want %d", total, 2+len(want))
		}

		// A patch that changes nothing writes nothing and keeps the version.
		same, err := s.Update(ctx, actor, m.ID, members.MemberPatch{LastName: ptr("Schmidt"), Phone: ptr("0170 1234567")}, nil)
		if err != nil || same.Version != 3 {
			t.Fatalf("no-op update = version %v, %v; want 3", same.Version, err)
		}
		if _, again, _ := s.AuditLog(ctx, members.AuditQuery{MemberID: m.ID}); again != total {
			t.Errorf("audit rows after a no-op = %d, want %d", again, total)
		}
	})
}

func TestUpdateConflictsOnStaleVersion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Anna", "Schmidt", "anna@example.org"))
		if _, err := s.Update(ctx, actor, m.ID, members.MemberPatch{City: ptr("Köln")}, ptr(1)); err != nil {
			t.Fatalf("first update: %v", err)
		}
		_, err := s.Update(ctx, actor, m.ID, members.MemberPatch{City: ptr("Bonn")}, ptr(1))
		if !errors.Is(err, members.ErrConflict) {
			t.Fatalf("stale update error = %v, want ErrConflict", err)
		}
		got, _ := s.Get(ctx, m.ID)
		if got.City != "Köln" || got.Version != 2 {
			t.Errorf("after the refused update: city %q version %d, want Köln 2", got.City, got.Version)
		}
		if _, err := s.Update(ctx, actor, m.ID+1, members.MemberPatch{City: ptr("Bonn")}, nil); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("update of unknown member: %v, want ErrNotFound", err)
		}
		// Invalid patches are refused field by field and change nothing.
		_, err = s.Update(ctx, actor, m.ID, members.MemberPatch{FirstName: ptr(""), BirthDate: ptr(members.NewDate(2030, 1, 1))}, nil)
		if got := fieldErrors(t, err); len(got) != 2 || got["first_name"] == "" || got["birth_date"] == "" {
			t.Errorf("field errors = %v, want first_name and birth_date", got)
		}
	})
}

func TestArchiveRestoreAndEmailReuse(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		paused := adult("Anna", "Schmidt", "anna@example.org")
		paused.Status = members.StatusPaused
		old := mustCreate(t, s, paused)

		archived, err := s.Archive(ctx, actor, old.ID)
		if err != nil {
			t.Fatalf("Archive: %v", err)
		}
		if archived.Status != members.StatusArchived || archived.ArchivedOn != members.NewDate(2025, 6, 15) {
			t.Fatalf("archived = %s on %s", archived.Status, archived.ArchivedOn)
		}
		// The address is free again for a new member...
		reuse := mustCreate(t, s, adult("Anna", "Schmidt-Weber", "Anna@Example.org"))
		// ...so the old member cannot come back with it.
		_, err = s.Restore(ctx, actor, old.ID)
		if msg := fieldErrors(t, err)["email"]; msg != "member #"+itoa(old.ID)+": the address is now used by member #"+itoa(reuse.ID) {
			t.Errorf("restore with a taken address: %q", msg)
		}
		if _, err := s.Archive(ctx, actor, reuse.ID); err != nil {
			t.Fatalf("Archive: %v", err)
		}
		restored, err := s.Restore(ctx, actor, old.ID)
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if restored.Status != members.StatusPaused || !restored.ArchivedOn.IsZero() {
			t.Errorf("restored = %s archived on %q, want paused, not archived", restored.Status, restored.ArchivedOn)
		}

		// Bulk: all or nothing.
		var ids []int64
		for _, name := range []string{"Ben", "Carl", "Dora"} {
			ids = append(ids, mustCreate(t, s, adult(name, "Bauer", name+"@example.org")).ID)
		}
		n, err := s.ArchiveMany(ctx, actor, append(ids, ids[0]))
		if err != nil || n != 3 {
			t.Fatalf("ArchiveMany = %d, %v; want 3", n, err)
		}
		if n, err := s.ArchiveMany(ctx, actor, ids); err != nil || n != 0 {
			t.Errorf("ArchiveMany again = %d, %v; want 0", n, err)
		}
		mustCreate(t, s, adult("Dora", "Neu", "Dora@example.org"))
		if _, err := s.RestoreMany(ctx, actor, ids); fieldErrors(t, err)["email"] == "" {
			t.Errorf("RestoreMany with one taken address: %v, want an e-mail field error", err)
		}
		if _, total, _ := s.List(ctx, members.ListQuery{Filter: members.Filter{Status: "archived"}, IDs: ids}); total != 3 {
			t.Errorf("after the refused RestoreMany %d of 3 are archived, want all", total)
		}
		if _, err := s.ArchiveMany(ctx, actor, []int64{ids[0], 999999}); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("ArchiveMany with an unknown id: %v, want ErrNotFound", err)
		}
		if n, err := s.RestoreMany(ctx, actor, ids[:2]); err != nil || n != 2 {
			t.Errorf("RestoreMany = %d, %v; want 2", n, err)
		}
		entries, _, _ := s.AuditLog(ctx, members.AuditQuery{MemberID: ids[0]})
		var restoreRows []string
		for _, e := range entries[:2] { // the restore wrote two rows, the newest
			restoreRows = append(restoreRows, e.Action+" "+e.Field+" "+e.OldValue+"→"+e.NewValue)
		}
		if want := []string{"restore archived_on 2025-06-15→", "restore status archived→active"}; !slices.Equal(restoreRows, want) {
			t.Errorf("newest audit rows = %q, want %q", restoreRows, want)
		}
	})
}

func TestMarkVerified(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Anna", "Schmidt", "anna@example.org"))
		at := testNow.Add(-time.Minute)
		if _, err := s.MarkPhoneVerified(ctx, actor, m.ID, "+49 170 000", at); !errors.Is(err, members.ErrConflict) {
			t.Errorf("verifying another number: %v, want ErrConflict", err)
		}
		got, err := s.MarkEmailVerified(ctx, actor, m.ID, "ANNA@example.org", at)
		if err != nil || got.EmailVerifiedAt == nil || !got.EmailVerifiedAt.Equal(at) {
			t.Fatalf("MarkEmailVerified = %v, %v", got, err)
		}
		again, err := s.MarkEmailVerified(ctx, actor, m.ID, "anna@example.org", testNow)
		if err != nil || again.Version != got.Version || !again.EmailVerifiedAt.Equal(at) {
			t.Errorf("verifying twice changed the member: version %d→%d, %v", got.Version, again.Version, err)
		}
	})
}
