//go:build unix

package members_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system. Benchmarks report it per
// operation because on a shared machine wall-clock latency mostly measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
