// Package templates holds the server-rendered pages (templ). Components take plain values and
// view structs, never echo.Context or a database handle.
package templates

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
	Key, Href, Label string
	AdminOnly        bool
}

// Nav lists the main navigation in order.
var Nav = []NavItem{
	{Key: "dashboard", Href: "/", Label: "Dashboard"},
	{Key: "members", Href: "/members", Label: "Members"},
	{Key: "campaigns", Href: "/campaigns", Label: "Campaigns"},
	{Key: "workflows", Href: "/workflows", Label: "Workflows"},
	{Key: "audit", Href: "/audit", Label: "Audit", AdminOnly: true},
	{Key: "users", Href: "/settings/users", Label: "Users", AdminOnly: true},
	{Key: "tokens", Href: "/settings/tokens", Label: "API tokens", AdminOnly: true},
}
