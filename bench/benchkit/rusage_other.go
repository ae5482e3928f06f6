//go:build !unix

package benchkit

import "os"

func maxRSSKiB(*os.ProcessState) int64 { return 0 }

func resetPeakRSS() {}
