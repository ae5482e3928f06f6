package supervisor

import "syscall"

// sysProcAttr puts the child in its own process group, so a Ctrl-C at the
// terminal reaches only the launcher, which then stops the children in
// order, and kills the child if the launcher dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
