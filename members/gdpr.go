package members

import (
	"strconv"
	"time"
)

// ActionErase is the audit action of a GDPR erasure. Its one row names the member and who
// erased them, and nothing of what was erased.
const ActionErase = "erase"

// PersonalData is everything the app database holds about one member, as a GDPR access request
// (Art. 15) or a data portability request (Art. 20) gets it. Data in other tables that names
// the member belongs here and in the erasure: see personalRows in store_gdpr.go.
type PersonalData struct {
	ExportedAt    time.Time      `json:"exported_at"`
	Member        *Member        `json:"member"`
	Consents      []Consent      `json:"consents"`
	Fees          []Fee          `json:"fees"`
	Mandates      []Mandate      `json:"mandates"`
	RankHistory   []Grading      `json:"rank_history"`
	Notices       []Notice       `json:"notices"`
	Verifications []Verification `json:"verifications"`
	Audit         []AuditEntry   `json:"audit"`

	// ErasureRequests are the member's requests to be erased, with how each was answered.
	ErasureRequests []ErasureRequest `json:"erasure_requests"`
}

// Consent is the member's current answer for one channel and when it was given; its history is
// in the audit entries.
type Consent struct {
	Channel string     `json:"channel"`
	Given   bool       `json:"given"`
	At      *time.Time `json:"at"`
}

// consentsOf lists a member's consents, SMS first.
func consentsOf(m *Member) []Consent {
	return []Consent{
		{Channel: "sms", Given: m.SMSConsent, At: m.SMSConsentAt},
		{Channel: "email", Given: m.EmailConsent, At: m.EmailConsentAt},
	}
}

// erasedName is what an erased member is called from then on.
func erasedName(id int64) (first, last string) {
	return "Erased member", "#" + strconv.FormatInt(id, 10)
}

// erased is m with every personal field wiped, archived and stamped: what stays is what the
// club's books need (the plan, membership dates, rank) and nothing that identifies the person.
func erased(m *Member, now time.Time) Member {
	e := *m
	e.FirstName, e.LastName = erasedName(m.ID)
	e.Email, e.Phone, e.BirthDate = "", "", Date{}
	e.Street, e.PostalCode, e.City, e.Country = "", "", "", ""
	e.GuardianName, e.GuardianPhone, e.GuardianEmail, e.Notes, e.Language = "", "", "", "", ""
	e.SMSConsent, e.SMSConsentAt, e.EmailConsent, e.EmailConsentAt = false, nil, false, nil
	e.PhoneVerifiedAt, e.EmailVerifiedAt = nil, nil
	e.ErasedAt = &now
	return e
}
