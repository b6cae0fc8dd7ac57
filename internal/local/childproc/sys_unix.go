//go:build unix && !linux

package childproc

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr {
	// Own group, so the terminal's SIGINT goes to the parent only and Stop
	// can signal everything the child spawned at once.
	return &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(p *os.Process, hard bool) error {
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	err := syscall.Kill(-p.Pid, sig)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}
