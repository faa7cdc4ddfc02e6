package web

import (
	"github.com/labstack/echo/v4"

	"membership/web/i18n"
	"membership/web/templates"
)

// langCookie keeps the language a visitor picked with the switch on the public pages.
const langCookie = "membership_lang"

// language picks the language of the request and puts its localizer into the request's
// context, where templates and handlers find it: a ?lang= from the switch (remembered in a
// cookie), else the cookie, else Accept-Language, else the club's default. A signed-in user's
// own setting wins over all of these (requireUser calls speak again).
func (s *Server) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := ""
		if q := c.QueryParam("lang"); s.i18n.Has(q) {
			lang = q
			s.setCookie(c, langCookie, q, 365*24*3600)
		} else {
			lang = s.visitorLanguage(c)
		}
		s.speak(c, lang)
		return next(c)
	}
}

// visitorLanguage is the language of a request that names none and comes from no user with a
// setting: the switch's cookie, else Accept-Language, else the club's default.
func (s *Server) visitorLanguage(c echo.Context) string {
	if ck, err := c.Cookie(langCookie); err == nil && s.i18n.Has(ck.Value) {
		return ck.Value
	}
	return s.i18n.Match(c.Request().Header.Get("Accept-Language"), s.cfg.Club.Language)
}

// speak makes lang the request's language.
func (s *Server) speak(c echo.Context, lang string) {
	l := s.i18n.Localizer(lang)
	c.Set(localizerKey, l)
	c.SetRequest(c.Request().WithContext(i18n.With(c.Request().Context(), l)))
	c.Response().Header().Set("Content-Language", l.Lang())
}

// localizerKey is where the request's localizer sits in the echo context.
const localizerKey = "localizer"

// loc is the request's localizer.
func loc(c echo.Context) *i18n.Localizer {
	if l, ok := c.Get(localizerKey).(*i18n.Localizer); ok {
		return l
	}
	return i18n.From(c.Request().Context())
}

// t is the message key in the request's language.
func t(c echo.Context, key string, args ...any) string { return loc(c).T(key, args...) }

// languageSwitch lists the other languages for the public pages' switch, each a link to the
// same page in that language.
func (s *Server) languageSwitch(c echo.Context) []templates.LanguageLink {
	var out []templates.LanguageLink
	current := loc(c).Lang()
	for _, lang := range s.i18n.Languages() {
		if lang == current {
			continue
		}
		q := c.Request().URL.Query()
		q.Set("lang", lang)
		out = append(out, templates.LanguageLink{Lang: lang, Name: s.i18n.Name(lang), Href: c.Request().URL.Path + "?" + q.Encode()})
	}
	return out
}
