package members_test

import (
	"bytes"
	"context"
	"testing"

	"gorm.io/gorm"

	"membership/db/dbtest"
	"membership/members"
)

func TestMemberLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		cases := []struct {
			name    string
			in      string
			want    string
			invalid bool
		}{
			{"club default", "", "", false},
			{"german", "de", "de", false},
			{"english", "en", "en", false},
			{"written in capitals with spaces", " DE ", "de", false},
			{"a language the product does not speak", "fr", "", true},
			{"a region tag", "de-AT", "", true},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := adult("Lang", tc.name, "")
				in.Phone, in.Language = "", tc.in
				m, err := s.Create(ctx, actor, in)
				if tc.invalid {
					if msg := fieldErrors(t, err)["language"]; msg != "must be one of en, de, or empty for the club's default" {
						t.Errorf("language %q: message %q", tc.in, msg)
					}
					return
				}
				if err != nil {
					t.Fatalf("create with language %q: %v", tc.in, err)
				}
				// Get, List and Iterate (its own scan list) must all read the column.
				got, err := s.Get(ctx, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				listed, _, err := s.List(ctx, members.ListQuery{IDs: []int64{m.ID}})
				if err != nil || len(listed) != 1 {
					t.Fatalf("list: %v, %v", listed, err)
				}
				var iterated string
				err = s.Iterate(ctx, members.ListQuery{IDs: []int64{m.ID}}, func(m *members.Member) error {
					iterated = m.Language
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for what, lang := range map[string]string{"created": m.Language, "read": got.Language, "listed": listed[0].Language, "iterated": iterated} {
					if lang != tc.want {
						t.Errorf("case %d: %s language %q, want %q", i, what, lang, tc.want)
					}
				}
			})
		}
	})
}

func TestUpdateLanguage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		m := mustCreate(t, s, adult("Uta", "Update", "uta@example.org"))
		for _, tc := range []struct {
			patch   string
			want    string
			version int
		}{
			{"de", "de", 2},
			{"DE", "de", 2}, // the same language: nothing to write
			{"", "", 3},     // back to the club's default
		} {
			got, err := s.Update(ctx, actor, m.ID, members.MemberPatch{Language: ptr(tc.patch)}, nil)
			if err != nil {
				t.Fatalf("patch language %q: %v", tc.patch, err)
			}
			if got.Language != tc.want || got.Version != tc.version {
				t.Errorf("patch language %q: language %q version %d, want %q version %d", tc.patch, got.Language, got.Version, tc.want, tc.version)
			}
		}
		if _, err := s.Update(ctx, actor, m.ID, members.MemberPatch{Language: ptr("xx")}, nil); fieldErrors(t, err)["language"] == "" {
			t.Errorf("patch language xx: %v, want a language field error", err)
		}
		entries, _, err := s.AuditLog(ctx, members.AuditQuery{MemberID: m.ID, PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		var changes []string
		for _, e := range entries {
			if e.Field == "language" {
				changes = append(changes, e.OldValue+"→"+e.NewValue)
			}
		}
		if len(changes) != 2 {
			t.Errorf("audited language changes %v, want →de and de→", changes)
		}
	})
}

func TestLanguageOptions(t *testing.T) {
	s := members.NewStore(dbtest.SQLite(t), members.Options{Languages: []string{"en", "fr"}}, dbtest.Log())
	in := adult("Opt", "Ions", "")
	in.Phone = ""
	for lang, ok := range map[string]bool{"fr": true, "de": false} {
		in.Language = lang
		err := s.Validate(context.Background(), &in, 0)
		if (err == nil) != ok {
			t.Errorf("language %q with languages en, fr: %v, want valid %v", lang, err, ok)
		}
	}
}

func TestLanguageCSVRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		s := newStore(t, gdb)
		for _, tc := range []struct {
			header string
			cell   string
			want   string
		}{
			{"language", "de", "de"},
			{"Language", "EN", "en"},
			{"Sprache", "de", "de"},
			{"Sprache", "", ""},
		} {
			t.Run(tc.header+"="+tc.cell, func(t *testing.T) {
				email := "csv-" + tc.header + "-" + tc.cell + "@example.org"
				rep := importCSV(t, s, "Vorname;Nachname;E-Mail;"+tc.header+"\r\nCarla;Csv;"+email+";"+tc.cell+"\r\n", members.ImportOptions{})
				if rep.Created != 1 || len(rep.Errors) > 0 {
					t.Fatalf("import: %+v", rep)
				}
				m := onlyMember(t, s, email)
				if m.Language != tc.want {
					t.Fatalf("imported language %q, want %q", m.Language, tc.want)
				}
				var buf bytes.Buffer
				q := members.ListQuery{IDs: []int64{m.ID}}
				if err := members.WriteCSV(ctx, &buf, s, q, members.CSVOptions{}); err != nil {
					t.Fatal(err)
				}
				if got := column(t, readCSV(t, buf.Bytes(), ','), "language"); len(got) != 1 || got[0] != tc.want {
					t.Errorf("exported language %v, want [%s]", got, tc.want)
				}
				rep = importCSV(t, s, buf.String(), members.ImportOptions{OnExisting: members.OnExistingUpdate})
				if rep.Unchanged != 1 || len(rep.Errors) > 0 {
					t.Errorf("re-import of the export: %+v, want it unchanged", rep)
				}
			})
		}
		rep := importCSV(t, s, "Vorname;Nachname;Sprache\r\nFrida;Fremd;fr\r\n", members.ImportOptions{})
		if len(rep.Errors) != 1 || rep.Errors[0].Field != "language" {
			t.Errorf("import of language fr: %+v, want one language error", rep)
		}
	})
}
