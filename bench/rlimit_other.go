//go:build !unix

package bench

import "time"

// processCPU is unknown here.
func processCPU() time.Duration { return 0 }

// raiseFileLimit is a no-op where there is no RLIMIT_NOFILE; 0 means unknown.
func raiseFileLimit() (uint64, error) { return 0, nil }
