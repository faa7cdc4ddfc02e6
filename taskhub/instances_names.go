package taskhub

import (
	"errors"
	"reflect"
	"slices"

	"github.com/microsoft/durabletask-go/task"
)

// OrchestratorNames lists the orchestrators registered in r, sorted: the names the management
// API may start. The engine's registry has no accessor, so this reads its unexported map
// through reflection — checked, so that an engine upgrade that changes the registry fails here
// with an error instead of starting nothing.
func OrchestratorNames(r *task.TaskRegistry) ([]string, error) {
	if r == nil {
		return nil, errors.New("list orchestrators: no task registry")
	}
	m := reflect.ValueOf(r).Elem().FieldByName("orchestrators")
	if !m.IsValid() || m.Kind() != reflect.Map || m.Type().Key().Kind() != reflect.String {
		return nil, errors.New("list orchestrators: the engine's task registry has no map of orchestrators by name")
	}
	names := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		names = append(names, k.String())
	}
	slices.Sort(names)
	return names, nil
}
