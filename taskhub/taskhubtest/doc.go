// Package taskhubtest checks that a durabletask-go backend.Backend behaves
// like the engine's own SQLite backend, end to end through the engine's
// workers (run by taskhub.Hub, as the application runs them) and client, and
// provides the workloads the task hub benchmarks share.
//
// A backend package runs the suite from its own tests:
//
//	func TestConformance(t *testing.T) {
//		taskhubtest.RunConformance(t, func(t *testing.T) backend.Backend {
//			return newEmptyBackend(t) // cleaned up through t.Cleanup
//		})
//	}
package taskhubtest
