package members

import (
	"strings"
	"time"
)

// The portal's audit actions.
const (
	ActionPortalSignIn          = "portal_sign_in"
	ActionPortalSignInFailed    = "portal_sign_in_failed"
	ActionPortalSessionsRevoked = "portal_sessions_revoked"
)

// Actors of changes made in the portal: the member on their own record, or a guardian on a
// minor's. They name no person: the audit row's member is the record changed.
const (
	PortalSelfActor     = "portal:self"
	PortalGuardianActor = "portal:guardian"
	// PortalSignInActor starts a sign-in: nobody known yet.
	PortalSignInActor = "portal:sign-in"
)

// Portal sessions are short: a phone left on a bench should not keep a member's records open.
const (
	PortalSessionIdle = 30 * time.Minute
	PortalSessionMax  = 12 * time.Hour
)

// PortalReach is one record a portal session may reach.
type PortalReach struct {
	MemberID int64 `gorm:"column:member_id"`
	// Guardian is true when the record is reached as a minor's guardian.
	Guardian bool `gorm:"column:guardian"`
}

// TableName maps a reach to its table.
func (PortalReach) TableName() string { return "portal_session_members" }

// PortalSession is a signed-in member's session in the portal, separate from admin sessions.
type PortalSession struct {
	ID         string     `json:"-"` // the SHA-256 of the cookie value
	MemberID   int64      `json:"member_id"`
	Channel    string     `json:"channel"`
	UserAgent  string     `json:"user_agent"`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	RevokedBy  string     `json:"-"`
	// Reach lists the records the session may open; loaded with the session.
	Reach []PortalReach `json:"-" gorm:"-"`
}

// TableName is the portal sessions' table.
func (PortalSession) TableName() string { return "portal_sessions" }

// Reaches reports whether the session may open member id's record, and as what actor.
func (p *PortalSession) Reaches(id int64) (actor string, ok bool) {
	for _, r := range p.Reach {
		if r.MemberID == id {
			if r.Guardian {
				return PortalGuardianActor, true
			}
			return PortalSelfActor, true
		}
	}
	return "", false
}

// SignInKind tells a typed e-mail address from a phone number.
func SignInKind(typed string) VerificationKind {
	if strings.Contains(typed, "@") {
		return VerifyEmail
	}
	return VerifyPhone
}

// NormalizeContact reads a phone number or e-mail address someone typed (signing in, or giving
// a new one in the portal) as the record keeps it: E.164, or the trimmed address. A value that
// is neither valid nor empty is a *ValidationError on field.
func (s *Store) NormalizeContact(field string, kind VerificationKind, typed string) (string, error) {
	v := &ValidationError{}
	value := strings.TrimSpace(typed)
	switch {
	case value == "":
		v.Add(field, "required", "is required")
	case kind == VerifyPhone:
		s.checkPhone(v, field, &value)
	default:
		checkEmail(v, field, value)
	}
	if len(v.Fields) > 0 {
		return "", v
	}
	return value, nil
}
