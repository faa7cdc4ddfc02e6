package activities

import (
	"errors"

	"github.com/microsoft/durabletask-go/task"
)

// namedActivity is an activity with the name it is registered under.
type namedActivity struct {
	name string
	fn   task.Activity
}

// registerActivities adds acts to r, each passed through wrap first unless wrap is nil.
func registerActivities(r *task.TaskRegistry, wrap func(name string, a task.Activity) task.Activity, acts ...namedActivity) error {
	var errs []error
	for _, a := range acts {
		fn := a.fn
		if wrap != nil {
			fn = wrap(a.name, fn)
		}
		errs = append(errs, r.AddActivityN(a.name, fn))
	}
	return errors.Join(errs...)
}
