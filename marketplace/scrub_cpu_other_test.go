//go:build !linux

package marketplace

// threadCPU is not measured outside Linux.
func threadCPU() int64 { return -1 }
