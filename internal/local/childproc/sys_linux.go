package childproc

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		// Own group: the terminal's SIGINT goes to the parent only, and
		// Stop can signal everything the child spawned at once.
		Setpgid: true,
		// If the parent dies without calling Stop (a test binary killed by
		// its -timeout, a panic), the kernel kills the child: no orphaned
		// java holding a port. The signal is tied to the thread that
		// forked, and Go only retires threads locked with LockOSThread,
		// which nothing here does.
		Pdeathsig: syscall.SIGKILL,
	}
}

func killGroup(p *os.Process, hard bool) error {
	sig := syscall.SIGTERM
	if hard {
		sig = syscall.SIGKILL
	}
	err := syscall.Kill(-p.Pid, sig)
	if err == syscall.ESRCH {
		return nil // the group is already gone
	}
	return err
}
