//go:build !unix

package record

import "time"

// processCPU is the CPU time the process has used so far; 0 here (unknown).
func processCPU() time.Duration { return 0 }
