package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"membership/members"
	"membership/web/templates"
)

// The member portal: members (and parents, for their minors) sign in without a password and
// look after their own records. Its session is a cookie of its own, apart from the admins'.
const (
	portalCookie     = "portal_session"
	portalSessionKey = "portal_session"
	portalActorKey   = "portal_actor"
	portalMemberKey  = "portal_member"
)

func (s *Server) portalRoutes(g routeGroups) {
	if s.verifications == nil || s.hub == nil {
		return
	}
	p := s.e.Group("/portal", s.csrf())
	p.GET("/sign-in", s.portalSignInForm)
	p.POST("/sign-in", s.portalSignIn)
	p.GET("/sign-in/link/:token", s.portalLinkForm)
	p.POST("/sign-in/link/:token", s.portalLink)
	p.GET("/sign-in/:token", s.portalCodeForm)
	p.POST("/sign-in/:token", s.portalCode)

	in := p.Group("", s.requirePortal)
	in.GET("", s.portalHome)
	in.POST("/sign-out", s.portalSignOut)
	rec := in.Group("/members/:id", s.portalRecord)
	rec.GET("", s.portalMember)
	rec.POST("/contact", s.portalContact)
	rec.POST("/contact/code", s.portalContactCode)
	rec.POST("/consent", s.portalConsent)
	rec.POST("/language", s.portalLanguage)
	rec.GET("/export", s.memberPersonalData)
	rec.POST("/sessions/:sid/revoke", s.portalRevoke)
	rec.GET("/erasure", s.portalErasureForm)
	rec.POST("/erasure", s.portalErasure)

	g.admin.POST("/members/:id/portal-sessions/revoke", s.adminRevokePortal)
}

// requirePortal lets a member with a live portal session through, speaking the language of
// the record they signed in for, and sends everyone else to the sign-in page.
func (s *Server) requirePortal(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		var sess *members.PortalSession
		ck, err := c.Cookie(portalCookie)
		if err == nil {
			sess, err = s.members.PortalSession(ctx, ck.Value)
			if err != nil && !errors.Is(err, members.ErrSessionEnded) {
				return err
			}
		}
		if sess == nil {
			if ck != nil {
				s.clearCookie(c, portalCookie)
			}
			if c.Request().Method != http.MethodGet {
				return echo.NewHTTPError(http.StatusUnauthorized, t(c, "portal.session_ended"))
			}
			return c.Redirect(http.StatusSeeOther, "/portal/sign-in")
		}
		c.Set(portalSessionKey, sess)
		// The signed-in record speaks the member's language, and the page showing it reuses it.
		m, err := s.members.Get(ctx, sess.MemberID)
		if err != nil {
			return fmt.Errorf("portal: the signed-in record %d: %w", sess.MemberID, err)
		}
		c.Set(portalMemberKey, m)
		if m.Language != "" && c.QueryParam("lang") == "" {
			s.speak(c, m.Language)
		}
		return next(c)
	}
}

// portalRecord keeps a session to its own records: an id it does not reach is answered 404,
// exactly as an id that does not exist, so nobody learns which ids are members.
func (s *Server) portalRecord(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		actor, ok := portalSession(c).Reaches(id)
		if !ok {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		c.Set(portalActorKey, actor)
		return next(c)
	}
}

// portalRecordOf reads record id for the request: the signed-in record read by requirePortal
// when it is that one (a member's own page costs no second read), else from the store.
func (s *Server) portalRecordOf(c echo.Context, id int64) (*members.Member, error) {
	if m, ok := c.Get(portalMemberKey).(*members.Member); ok && m.ID == id {
		return m, nil
	}
	return s.members.Get(c.Request().Context(), id)
}

func portalSession(c echo.Context) *members.PortalSession {
	p, _ := c.Get(portalSessionKey).(*members.PortalSession)
	return p
}

// portalActor is who changes a record in the portal: the member, or a minor's guardian.
func portalActor(c echo.Context) string {
	a, _ := c.Get(portalActorKey).(string)
	return a
}

// portalHome opens the one record a session reaches, or lists them (a parent's children).
func (s *Server) portalHome(c echo.Context) error {
	sess := portalSession(c)
	if len(sess.Reach) == 1 {
		return c.Redirect(http.StatusSeeOther, "/portal/members/"+strconv.FormatInt(sess.Reach[0].MemberID, 10))
	}
	recs, err := s.portalRecords(c, sess)
	if err != nil {
		return err
	}
	return s.portalPage(c, http.StatusOK, t(c, "portal.home.title"), templates.PortalHome(recs))
}

// portalSignOut ends this session.
func (s *Server) portalSignOut(c echo.Context) error {
	sess := portalSession(c)
	if err := s.members.RevokePortalSession(c.Request().Context(), members.PortalSelfActor, sess.Reach[0].MemberID, sess.ID); err != nil {
		return err
	}
	s.clearCookie(c, portalCookie)
	return s.redirectWith(c, "/portal/sign-in", "ok", t(c, "portal.signed_out"))
}

// portalRevoke signs one of the record's sessions out (a phone left somewhere); the session
// must reach the record, or the answer is 404.
func (s *Server) portalRevoke(c echo.Context) error {
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	sid := c.Param("sid")
	if err := s.members.RevokePortalSession(c.Request().Context(), portalActor(c), id, sid); err != nil {
		return err
	}
	if sid == portalSession(c).ID {
		s.clearCookie(c, portalCookie)
		return s.redirectWith(c, "/portal/sign-in", "ok", t(c, "portal.signed_out"))
	}
	return s.redirectWith(c, portalURL(id), "ok", t(c, "portal.sessions.revoked"))
}

// adminRevokePortal signs a member out of the portal everywhere.
func (s *Server) adminRevokePortal(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	n, err := s.members.RevokePortalSessions(c.Request().Context(), principal(c).Actor(), id)
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/members/"+strconv.FormatInt(id, 10), "ok", loc(c).N("portal.admin.revoked", n))
}

func portalURL(id int64) string { return "/portal/members/" + strconv.FormatInt(id, 10) }
