//go:build unix

package benchkit

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSKiB returns the process's peak resident set size in KiB.
func maxRSSKiB(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) / 1024 // bytes there
	}
	return int64(ru.Maxrss)
}

// resetPeakRSS resets this process's RSS high-water mark to its current
// RSS (Linux 4.0 and later; elsewhere a no-op).
func resetPeakRSS() {
	if runtime.GOOS == "linux" {
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	}
}
