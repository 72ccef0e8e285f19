//go:build !linux

package anonymize

// threadCPU is not measured outside Linux.
func threadCPU() int64 { return -1 }
