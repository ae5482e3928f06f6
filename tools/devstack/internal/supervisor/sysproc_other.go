//go:build !linux

package supervisor

import "syscall"

// sysProcAttr puts the child in its own process group, so a Ctrl-C at the
// terminal reaches only the launcher, which then stops the children in
// order.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
