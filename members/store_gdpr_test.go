package members_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

// richMember is a member with something in every place personal data can be: fees (one paid),
// a grading with notes, a notice, changes in the audit log.
func richMember(t *testing.T, gdb *gorm.DB, s *members.Store) *members.Member {
	t.Helper()
	ctx := context.Background()
	mustPlan(t, s, "Erwachsene", 3500, members.Monthly)
	in := adult("Jürgen", "Müller", "juergen@example.org")
	in.Plan, in.SMSConsent, in.EmailConsent = "Erwachsene", true, true
	in.Street, in.PostalCode, in.City, in.Notes = "Hauptstraße 1", "50667", "Köln", "knee injury 2024"
	in.GuardianName, in.GuardianEmail = "Gina Müller", "gina@example.org"
	in.JoinedOn = members.NewDate(2024, time.January, 1)
	m := mustCreate(t, s, in)
	if _, err := s.Update(ctx, actor, m.ID, members.MemberPatch{Phone: ptr("0151 99999999"), City: ptr("Bonn")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddGrading(ctx, actor, m.ID, "5. Kyu", members.NewDate(2025, time.March, 1), "passed well, Jürgen"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CreateFeesForPeriod(ctx, testNow); err != nil || n != 1 {
		t.Fatalf("CreateFeesForPeriod = %d, %v", n, err)
	}
	fees, err := s.Fees(ctx, m.ID)
	if err != nil || len(fees) != 1 {
		t.Fatalf("fees %v, %v", fees, err)
	}
	if _, err := s.MarkFeePaid(ctx, actor, fees[0].ID, members.NewDate(2025, time.June, 2), "cash"); err != nil {
		t.Fatal(err)
	}
	_, err = s.ClaimNotice(ctx, members.Notice{Key: "welcome:1:member:" + itoa(m.ID) + ":email", MemberID: &m.ID,
		Purpose: "welcome", Channel: "email", Subject: "Welcome, Jürgen", Body: "Hello Jürgen Müller"})
	if err != nil {
		t.Fatal(err)
	}
	v := members.Verification{MemberID: m.ID, Kind: members.VerifyPhone, Seq: 1, InstanceID: "phone-verification:member:" + itoa(m.ID) + ":1",
		Status: members.VerificationPending, CodeHash: "c0de", AddressHash: "addr", CreatedAt: testNow, UpdatedAt: testNow}
	if err := gdb.Create(&v).Error; err != nil {
		t.Fatal(err)
	}
	m, err = s.Get(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		s := newStore(t, gdb)
		m := richMember(t, gdb, s)
		mustCreate(t, s, adult("Other", "Person", "other@example.org"))
		pd, err := s.PersonalData(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(pd)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{"fees": 1, "rank_history": 1, "notices": 1, "consents": 2, "verifications": 1}
		for key, want := range counts {
			var items []json.RawMessage
			if err := json.Unmarshal(doc[key], &items); err != nil || len(items) != want {
				t.Errorf("%s: %d items (%v), want %d", key, len(items), err, want)
			}
		}
		if pd.Member.ID != m.ID || pd.Member.City != "Bonn" {
			t.Errorf("member %+v, want #%d in Bonn", pd.Member, m.ID)
		}
		actions := map[string]int{}
		for _, a := range pd.Audit {
			if a.MemberID == nil || *a.MemberID != m.ID {
				t.Errorf("audit row %+v is another member's", a)
			}
			actions[a.Action]++
		}
		if actions[members.ActionCreate] != 1 || actions[members.ActionUpdate] != 2 || actions[members.ActionFeePaid] != 1 || actions[members.ActionGrading] != 1 {
			t.Errorf("audit actions %v, want create, two updates, grading, fee_paid", actions)
		}
		if !pd.Consents[0].Given || pd.Consents[0].Channel != "sms" || pd.Consents[0].At == nil {
			t.Errorf("consents %+v, want sms given with a time", pd.Consents)
		}
		if _, err := s.PersonalData(context.Background(), m.ID+100); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("unknown member: %v, want ErrNotFound", err)
		}
	})
}

func TestErase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := richMember(t, gdb, s)
		other := mustCreate(t, s, adult("Other", "Person", "other@example.org"))
		otherBefore := snapshotOf(t, s, other.ID)

		e, err := s.Erase(ctx, "user:9", m.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Version != got.Version || got.Version != m.Version+1 {
			t.Errorf("version returned %d, stored %d, want %d", e.Version, got.Version, m.Version+1)
		}
		if got.FullName() != "Erased member #"+itoa(m.ID) || got.Status != members.StatusArchived || got.ErasedAt == nil {
			t.Errorf("erased member %q status %s erased_at %v", got.FullName(), got.Status, got.ErasedAt)
		}
		wiped := map[string]string{"email": got.Email, "phone": got.Phone, "birth_date": got.BirthDate.String(),
			"street": got.Street, "postal_code": got.PostalCode, "city": got.City, "guardian_name": got.GuardianName,
			"guardian_email": got.GuardianEmail, "notes": got.Notes}
		for f, v := range wiped {
			if v != "" {
				t.Errorf("%s = %q after erasure", f, v)
			}
		}
		if got.SMSConsent || got.EmailConsent || got.SMSConsentAt != nil || got.EmailConsentAt != nil {
			t.Errorf("consents still given: %+v", got)
		}
		if got.Plan != "Erwachsene" || got.JoinedOn != m.JoinedOn {
			t.Errorf("plan %q joined %s: the books need them kept", got.Plan, got.JoinedOn)
		}
		if hits, _, _ := s.List(ctx, members.ListQuery{Filter: members.Filter{Q: "jürgen", Status: "all"}}); len(hits) != 0 {
			t.Errorf("search still finds the erased member by name")
		}

		pd, err := s.PersonalData(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pd.Fees) != 1 || pd.Fees[0].Status != members.FeePaid {
			t.Errorf("fees %+v, want the paid fee kept", pd.Fees)
		}
		if pd.Notices[0].Body != "" || pd.Notices[0].Subject != "" || pd.RankHistory[0].Notes != "" {
			t.Errorf("notice %+v / grading notes %q kept texts", pd.Notices[0], pd.RankHistory[0].Notes)
		}
		var ver members.Verification
		if err := gdb.Where("member_id = ?", m.ID).Take(&ver).Error; err != nil {
			t.Fatal(err)
		}
		if ver.CodeHash != "" || ver.AddressHash != "" || ver.Status != members.VerificationCancelled || ver.EndedAt == nil {
			t.Errorf("verification after erasure: %+v, want hashes cleared and the run cancelled", ver)
		}
		erasures := 0
		for _, a := range pd.Audit {
			fee := a.Action == members.ActionFeePaid
			if !fee && (a.OldValue != "" || a.NewValue != "") {
				t.Errorf("audit row %+v keeps values", a)
			}
			if fee && a.NewValue == "" {
				t.Errorf("the payment's audit row lost its values, which accounting needs: %+v", a)
			}
			if a.Action == members.ActionErase {
				erasures++
				if a.Actor != "user:9" || a.Field != "" {
					t.Errorf("erasure row %+v", a)
				}
			}
		}
		if erasures != 1 {
			t.Errorf("%d erasure audit rows, want 1", erasures)
		}
		dump, _ := json.Marshal(pd)
		for _, secret := range []string{"Jürgen", "Müller", "juergen@", "Hauptstraße", "Köln", "Bonn", "4915199999999", "knee", "gina"} {
			if strings.Contains(string(dump), secret) {
				t.Errorf("personal data still holds %q: %s", secret, dump)
			}
		}

		// Erasing again changes nothing; the e-mail address is free for someone new.
		again, err := s.Erase(ctx, "user:9", m.ID)
		if err != nil || again.Version != got.Version {
			t.Errorf("second erase: version %v, %v; want unchanged", again, err)
		}
		mustCreate(t, s, adult("New", "Person", "juergen@example.org"))
		if snapshotOf(t, s, other.ID) != otherBefore {
			t.Error("erasure touched another member")
		}
		if _, err := s.Erase(ctx, actor, m.ID+100); !errors.Is(err, members.ErrNotFound) {
			t.Errorf("unknown member: %v, want ErrNotFound", err)
		}
	})
}

func TestImportRefusesErasedMember(t *testing.T) {
	s := newStore(t, dbtest.SQLite(t))
	m := mustCreate(t, s, adult("Eva", "Erased", "eva@example.org"))
	if _, err := s.Erase(context.Background(), actor, m.ID); err != nil {
		t.Fatal(err)
	}
	rep := importCSV(t, s, "id,first_name,last_name\n"+itoa(m.ID)+",Eva,Back\n", members.ImportOptions{OnExisting: members.OnExistingUpdate})
	if len(rep.Errors) != 1 || rep.Errors[0].Field != "id" || !strings.Contains(rep.Errors[0].Message, "erased") {
		t.Errorf("report %+v, want an error on id: erased", rep)
	}
}

// snapshotOf is one member and their personal data as JSON.
func snapshotOf(t *testing.T, s *members.Store, id int64) string {
	t.Helper()
	pd, err := s.PersonalData(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	pd.ExportedAt = time.Time{}
	b, _ := json.Marshal(pd)
	return string(b)
}
