package members

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// csvColumn is one column of the member CSV: the export writes it with get, the import reads
// it with set (nil for columns the import leaves alone: ids, stamps the system keeps).
type csvColumn struct {
	name string
	// aliases are the other headers an import recognises, English and German, compared after
	// headerKey folds case, umlauts and punctuation.
	aliases []string
	get     func(m *Member) string
	set     func(r *importRecord, v string) error
	// phone marks a validated E.164 number, which the export leaves unquoted (see neutralise).
	phone bool
	// keepIfEmpty: an empty cell leaves an existing member's value alone instead of clearing
	// it, for fields that cannot be empty (a foreign list without a status is not a wish to
	// reset everybody to active).
	keepIfEmpty bool
	// importOnly columns are read by the import but never exported: the direct debit mandate,
	// whose IBAN shows in full only on the member's own page.
	importOnly bool
}

// importRecord is what one row of an import says: the input for a new member and the patch
// for an existing one, filled column by column.
type importRecord struct {
	in    MemberInput
	patch MemberPatch
	id    int64 // the id column, 0 when absent or empty
	// mandate is the row's direct debit mandate, zero when the file has none for it.
	mandate MandateInput
}

// csvColumnList is every column, in export order. The export's texts come from memberFields,
// the same texts the audit log records, so that the two never disagree.
func csvColumnList() []csvColumn {
	byName := map[string]memberField{}
	for _, f := range memberFields() {
		byName[f.name] = f
	}
	field := func(name string, set func(r *importRecord, v string) error, aliases ...string) csvColumn {
		return csvColumn{name: name, aliases: aliases, get: byName[name].text, set: set}
	}
	stamp := func(name string, get func(m *Member) time.Time) csvColumn {
		return csvColumn{name: name, get: func(m *Member) string {
			if t := get(m); !t.IsZero() {
				return t.UTC().Format(time.RFC3339)
			}
			return ""
		}}
	}
	cols := []csvColumn{
		{name: "id", get: func(m *Member) string { return strconv.FormatInt(m.ID, 10) }, set: setID},
		field("first_name", setText(func(r *importRecord) (*string, **string) { return &r.in.FirstName, &r.patch.FirstName }),
			"firstname", "first name", "given name", "forename", "vorname", "rufname"),
		field("last_name", setText(func(r *importRecord) (*string, **string) { return &r.in.LastName, &r.patch.LastName }),
			"lastname", "surname", "family name", "nachname", "familienname", "name"),
		field("email", setText(func(r *importRecord) (*string, **string) { return &r.in.Email, &r.patch.Email }),
			"e-mail", "mail", "email address", "e-mail-adresse", "emailadresse"),
		field("phone", setText(func(r *importRecord) (*string, **string) { return &r.in.Phone, &r.patch.Phone }),
			"telephone", "phone number", "mobile", "mobile phone", "cell", "telefon", "telefonnummer", "tel",
			"handy", "handynummer", "mobil", "mobilnummer", "mobiltelefon"),
		field("birth_date", setDate(func(r *importRecord) (*Date, **Date) { return &r.in.BirthDate, &r.patch.BirthDate }),
			"birthdate", "date of birth", "birthday", "dob", "geburtsdatum", "geburtstag", "geboren", "geb"),
		field("street", setText(func(r *importRecord) (*string, **string) { return &r.in.Street, &r.patch.Street }),
			"address", "street address", "strasse", "straße", "strasse und hausnummer", "anschrift", "adresse"),
		field("postal_code", setText(func(r *importRecord) (*string, **string) { return &r.in.PostalCode, &r.patch.PostalCode }),
			"zip", "zip code", "postcode", "post code", "plz", "postleitzahl"),
		field("city", setText(func(r *importRecord) (*string, **string) { return &r.in.City, &r.patch.City }),
			"town", "ort", "wohnort", "stadt"),
		field("country", setText(func(r *importRecord) (*string, **string) { return &r.in.Country, &r.patch.Country }),
			"land", "staat"),
		field("joined_on", setDate(func(r *importRecord) (*Date, **Date) { return &r.in.JoinedOn, &r.patch.JoinedOn }),
			"joined", "join date", "member since", "eintritt", "eintrittsdatum", "mitglied seit"),
		field("status", setStatus, "mitgliedsstatus"),
		field("archived_on", nil),
		field("plan", setText(func(r *importRecord) (*string, **string) { return &r.in.Plan, &r.patch.Plan }),
			"tarif", "beitragsklasse", "beitragsart", "membership plan"),
		field("rank", setRank, "grade", "belt", "kyu", "graduierung", "gürtel", "guertel", "grad", "rang"),
		field("membership_ends_on", setDate(func(r *importRecord) (*Date, **Date) { return &r.in.MembershipEndsOn, &r.patch.MembershipEndsOn }),
			"membership ends", "ends on", "end date", "austritt", "austrittsdatum", "mitglied bis", "mitgliedschaft bis"),
		field("guardian_name", setText(func(r *importRecord) (*string, **string) { return &r.in.GuardianName, &r.patch.GuardianName }),
			"guardian", "parent", "erziehungsberechtigter", "erziehungsberechtigte", "sorgeberechtigter"),
		field("guardian_phone", setText(func(r *importRecord) (*string, **string) { return &r.in.GuardianPhone, &r.patch.GuardianPhone }),
			"parent phone", "telefon erziehungsberechtigte", "telefon eltern"),
		field("guardian_email", setText(func(r *importRecord) (*string, **string) { return &r.in.GuardianEmail, &r.patch.GuardianEmail }),
			"parent email", "e-mail erziehungsberechtigte", "e-mail eltern"),
		field("notes", setText(func(r *importRecord) (*string, **string) { return &r.in.Notes, &r.patch.Notes }),
			"note", "comment", "comments", "remarks", "bemerkung", "bemerkungen", "notiz", "notizen", "kommentar"),
		field("language", setText(func(r *importRecord) (*string, **string) { return &r.in.Language, &r.patch.Language }),
			"sprache", "preferred language", "bevorzugte sprache"),
		field("sms_consent", setConsent(func(r *importRecord) (*bool, **bool) { return &r.in.SMSConsent, &r.patch.SMSConsent }),
			"sms opt-in", "einwilligung sms", "sms einwilligung"),
		field("sms_consent_at", setConsentAt(func(r *importRecord) **time.Time { return &r.in.SMSConsentAt })),
		field("email_consent", setConsent(func(r *importRecord) (*bool, **bool) { return &r.in.EmailConsent, &r.patch.EmailConsent }),
			"email opt-in", "newsletter", "einwilligung e-mail", "e-mail einwilligung"),
		field("email_consent_at", setConsentAt(func(r *importRecord) **time.Time { return &r.in.EmailConsentAt })),
		field("phone_verified_at", nil),
		field("email_verified_at", nil),
		stamp("erased_at", func(m *Member) time.Time { return deref(m.ErasedAt) }),
		stamp("created_at", func(m *Member) time.Time { return m.CreatedAt }),
		stamp("updated_at", func(m *Member) time.Time { return m.UpdatedAt }),
		{name: "version", get: func(m *Member) string { return strconv.Itoa(m.Version) }},
		mandateColumn("iban", func(r *importRecord) *string { return &r.mandate.IBAN }, "bankverbindung", "konto iban"),
		mandateColumn("bic", func(r *importRecord) *string { return &r.mandate.BIC }, "swift", "swift bic"),
		mandateColumn("account_holder", func(r *importRecord) *string { return &r.mandate.Holder },
			"holder", "account owner", "kontoinhaber", "kontoinhaberin", "zahler"),
		mandateColumn("mandate_reference", func(r *importRecord) *string { return &r.mandate.Reference },
			"mandate id", "mandate ref", "mandatsreferenz", "mandats-referenz", "mandatsnummer"),
		{name: "mandate_signed_on", importOnly: true, aliases: []string{"mandate date", "mandate signed", "date of signature",
			"mandatsdatum", "datum des mandats", "mandat vom", "unterschrift am"},
			set: func(r *importRecord, v string) error {
				d, err := parseImportDate(v)
				r.mandate.SignedOn = d
				return err
			}},
	}
	for i := range cols {
		switch cols[i].name {
		case "phone", "guardian_phone":
			cols[i].phone = true
		case "status", "joined_on":
			cols[i].keepIfEmpty = true
		}
	}
	return cols
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// mandateColumn is a text column of the direct debit mandate, read by the import only.
func mandateColumn(name string, field func(r *importRecord) *string, aliases ...string) csvColumn {
	return csvColumn{name: name, aliases: aliases, importOnly: true, set: func(r *importRecord, v string) error {
		*field(r) = strings.TrimSpace(v)
		return nil
	}}
}

// exportColumns is csvColumnList without the import-only columns.
func exportColumns() []csvColumn {
	return slices.DeleteFunc(csvColumnList(), func(c csvColumn) bool { return c.importOnly })
}

// CSVColumns lists the names of every column an export can hold, in order.
func CSVColumns() []string {
	var out []string
	for _, c := range exportColumns() {
		out = append(out, c.name)
	}
	return out
}

// DefaultCSVColumns is the export's column set when none is picked: who the member is, how to
// reach them and where they stand, without internal notes and bookkeeping stamps.
func DefaultCSVColumns() []string {
	return []string{"id", "first_name", "last_name", "email", "phone", "birth_date", "street", "postal_code",
		"city", "country", "status", "plan", "rank", "joined_on", "membership_ends_on",
		"guardian_name", "guardian_phone", "guardian_email", "language", "sms_consent", "email_consent"}
}

// ImportableColumns lists the columns an import reads, the choices of a header mapping.
func ImportableColumns() []string {
	var out []string
	for _, c := range csvColumnList() {
		if c.set != nil {
			out = append(out, c.name)
		}
	}
	return out
}

// pickColumns resolves column names (nil for the default set) and refuses unknown ones.
func pickColumns(names []string) ([]csvColumn, error) {
	if len(names) == 0 {
		names = DefaultCSVColumns()
	}
	all := exportColumns()
	out := make([]csvColumn, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(all, func(c csvColumn) bool { return c.name == n })
		if i < 0 {
			cols := strings.Join(CSVColumns(), ", ")
			return nil, invalid("columns", "unknown_column", fmt.Sprintf("there is no column %q; choose from %s", n, cols), "Column", n, "Columns", cols)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// headerKey folds a header for comparison: lower case, umlauts as two letters, and nothing but
// letters and digits, so "E-Mail", "e_mail" and "EMail" are one, as are "Straße" and "Strasse".
func headerKey(h string) string {
	h = germanSpelling(strings.ToLower(strings.TrimSpace(h)))
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, h)
}

// headerColumns maps the folded headers an import recognises (headerKey of every importable
// column's name and aliases) to the column's name.
func headerColumns() map[string]string {
	out := map[string]string{}
	for _, c := range csvColumnList() {
		if c.set == nil {
			continue
		}
		for _, h := range append([]string{c.name}, c.aliases...) {
			out[headerKey(h)] = c.name
		}
	}
	return out
}

func setID(r *importRecord, v string) error {
	if v == "" {
		return nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return problem("import_not_an_id", fmt.Sprintf("%q is not a member id; leave it empty for a new member", v), "Value", v)
	}
	r.id = id
	return nil
}

// setField sets a field of the input and points the patch at it, once parse accepts the cell.
func setField[T any](parse func(string) (T, error), fields func(r *importRecord) (*T, **T)) func(r *importRecord, v string) error {
	return func(r *importRecord, v string) error {
		x, err := parse(v)
		if err != nil {
			return err
		}
		in, patch := fields(r)
		*in = x
		*patch = in
		return nil
	}
}

func setText(fields func(r *importRecord) (*string, **string)) func(r *importRecord, v string) error {
	return setField(func(v string) (string, error) { return v, nil }, fields)
}

func setDate(fields func(r *importRecord) (*Date, **Date)) func(r *importRecord, v string) error {
	return setField(parseImportDate, fields)
}

func setConsent(fields func(r *importRecord) (*bool, **bool)) func(r *importRecord, v string) error {
	return setField(parseImportBool, fields)
}

// setConsentAt reads when a consent was given (a signed paper form), for new members only: an
// update stamps a changed consent itself, as the forms do.
func setConsentAt(field func(r *importRecord) **time.Time) func(r *importRecord, v string) error {
	return func(r *importRecord, v string) error {
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			d, derr := parseImportDate(v)
			if derr != nil {
				return problem("import_not_a_time", fmt.Sprintf("%q is not a time; use 2006-01-02T15:04:05Z or a date", v), "Value", v)
			}
			t = d.Time(time.UTC)
		}
		t = t.UTC()
		*field(r) = &t
		return nil
	}
}

// importStatuses maps the words clubs use for a status, English and German, to the status.
var importStatuses = map[string]Status{
	"active": StatusActive, "aktiv": StatusActive,
	"pending": StatusPending, "ausstehend": StatusPending, "neu": StatusPending,
	"paused": StatusPaused, "pausiert": StatusPaused, "ruhend": StatusPaused, "passiv": StatusPaused,
	"archived": StatusArchived, "archiviert": StatusArchived, "ausgetreten": StatusArchived,
}

func setStatus(r *importRecord, v string) error {
	st := Status(v)
	if known, ok := importStatuses[headerKey(v)]; ok {
		st = known
	}
	r.in.Status = st
	r.patch.Status = &r.in.Status
	return nil // an unknown status is the validation's to report, with the form's message
}

// setRank accepts a rank as people type it ("3 kyu", "3.Kyu") and writes it as Ranks does.
func setRank(r *importRecord, v string) error {
	key := headerKey(v)
	for _, rank := range Ranks() {
		if headerKey(rank) == key {
			v = rank
			break
		}
	}
	r.in.Rank = v
	r.patch.Rank = &r.in.Rank
	return nil
}

// parseImportDate reads a date as ISO 8601 (2006-01-02) or as Germans write it (02.01.2006,
// 2.1.2006). A time of day after the date, which spreadsheets like to add, is ignored.
// Two-digit years and slashed dates are refused: 01/02/03 means different days to different
// people.
func parseImportDate(v string) (Date, error) {
	if v == "" {
		return Date{}, nil
	}
	day, _, _ := strings.Cut(v, " ")
	if len(day) > len(dateLayout) && day[len(dateLayout)] == 'T' {
		day = day[:len(dateLayout)]
	}
	for _, layout := range []string{dateLayout, "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, day); err == nil {
			return DateOf(t), nil
		}
	}
	return Date{}, problem("import_not_a_date", fmt.Sprintf("%q is not a date; use YYYY-MM-DD or DD.MM.YYYY", v), "Value", v)
}

// parseImportBool reads yes and no as spreadsheets and German clubs write them; empty is no.
func parseImportBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false", "no", "n", "0", "nein", "falsch", "-":
		return false, nil
	case "true", "yes", "y", "1", "x", "ja", "j", "wahr":
		return true, nil
	}
	return false, problem("import_not_yes_no", fmt.Sprintf("%q is not yes or no; use true or false", v), "Value", v)
}
