//go:build !unix

package members_test

import "time"

// cpuTime is not measured here; benchmarks then report 0 CPU time per operation.
func cpuTime() time.Duration { return 0 }
