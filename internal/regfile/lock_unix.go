//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package regfile

import (
	"errors"
	"io"
	"os"
	"syscall"
)

const nonBlock = syscall.O_NONBLOCK

// Lock takes the exclusive lock of f without waiting; another holder is a
// *LockedError naming its process id when the system reports it. The lock
// ends when f is closed.
func Lock(f *os.File) error {
	fd := int(f.Fd())
	whole := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(uintptr(fd), syscall.F_SETLK, &whole); err != nil {
		if !busy(err) {
			return &os.PathError{Op: "lock", Path: f.Name(), Err: err}
		}
		probe := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
		pid := 0
		if syscall.FcntlFlock(uintptr(fd), syscall.F_GETLK, &probe) == nil && probe.Type != syscall.F_UNLCK {
			pid = int(probe.Pid)
		}
		return &LockedError{Path: f.Name(), PID: pid}
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if busy(err) {
			// The record lock succeeded, so no other process holds one: the
			// holder is this process, through another descriptor.
			return &LockedError{Path: f.Name(), Self: true}
		}
		return &os.PathError{Op: "lock", Path: f.Name(), Err: err}
	}
	return nil
}

func busy(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EWOULDBLOCK)
}
