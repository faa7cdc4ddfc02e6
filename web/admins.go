package web

import (
	"context"

	"membership/activities"
	"membership/web/auth"
)

// Admins tells the notices activities whom "tell the admins" reaches: every active admin user.
func Admins(users *auth.Store) func(ctx context.Context) ([]activities.Admin, error) {
	return func(ctx context.Context) ([]activities.Admin, error) {
		us, err := users.ActiveAdmins(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]activities.Admin, len(us))
		for i, u := range us {
			out[i] = activities.Admin{ID: u.ID, Email: u.Email, Name: u.Name, Language: u.Language}
		}
		return out, nil
	}
}
