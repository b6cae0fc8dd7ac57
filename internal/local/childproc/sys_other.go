//go:build !unix

package childproc

import (
	"errors"
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills the process alone: there are no process groups to signal.
func killGroup(p *os.Process, hard bool) error {
	if !hard {
		return errors.New("childproc: no graceful stop on this platform")
	}
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
