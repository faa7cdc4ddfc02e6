// Package templates holds the server-rendered pages (templ). Components take plain values and
// view structs, never echo.Context or a database handle.
package templates

import (
	"context"
	"time"

	"membership/web/i18n"
)

// Ctx is what every page's layout needs to know about the request.
type Ctx struct {
	Title    string
	ClubName string
	User     string // e-mail of the logged-in user; empty on public pages
	Role     string
	CSRF     string // token for forms; empty where Sec-Fetch-Site already vouches
	Active   string // the nav entry to highlight
	Flashes  []Flash
	Outbox   bool // the outbox provider is in use: show its page in the nav
	// Lang is the page's language; Languages the switch to the others (public pages only).
	Lang      string
	Languages []LanguageLink
}

// LanguageLink is one entry of the language switch: the same page in another language.
type LanguageLink struct {
	Lang, Name, Href string
}

// IsAdmin reports whether the viewer may change things.
func (c Ctx) IsAdmin() bool { return c.Role == "admin" }

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // "ok" or "error"
	Text string
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Key, Href, Label string // Label is a message key
	AdminOnly        bool
}

// Nav lists the main navigation in order.
var Nav = []NavItem{
	{Key: "dashboard", Href: "/", Label: "nav.dashboard"},
	{Key: "members", Href: "/members", Label: "nav.members"},
	{Key: "campaigns", Href: "/campaigns", Label: "nav.campaigns"},
	{Key: "attendance", Href: "/attendance", Label: "attendance.nav"},
	{Key: "workflows", Href: "/workflows", Label: "nav.workflows"},
	{Key: "collections", Href: "/collections", Label: "collections.nav", AdminOnly: true},
	{Key: "audit", Href: "/audit", Label: "nav.audit", AdminOnly: true},
	{Key: "erasure", Href: "/erasure-requests", Label: "erasure.nav", AdminOnly: true},
	{Key: "users", Href: "/settings/users", Label: "nav.users", AdminOnly: true},
	{Key: "tokens", Href: "/settings/tokens", Label: "nav.tokens", AdminOnly: true},
}

// T is the message key in the language of the page being rendered (see i18n.With); args are
// name, value pairs for the message's fields. Every word a person reads goes through T or N.
func T(ctx context.Context, key string, args ...any) string { return i18n.From(ctx).T(key, args...) }

// N is the plural message key for count ("1 Mitglied", "3 Mitglieder").
func N(ctx context.Context, key string, count int, args ...any) string {
	return i18n.From(ctx).N(key, count, args...)
}

// Date, DateTime, Number and Money write values as the page's language does.
func Date(ctx context.Context, t time.Time) string     { return i18n.From(ctx).Date(t) }
func DateTime(ctx context.Context, t time.Time) string { return i18n.From(ctx).DateTime(t) }
func Number(ctx context.Context, n int64) string       { return i18n.From(ctx).Number(n) }
func Money(ctx context.Context, minor int64, currency string) string {
	return i18n.From(ctx).Money(minor, currency)
}
