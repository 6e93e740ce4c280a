package regfile

import (
	"fmt"
	"io/fs"
	"os"
)

// NotRegularError is the refusal of a path that is not a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", printable(e.Path), Kind(e.Mode))
}

// Kind names the type of a file mode: "a directory", "a FIFO (named
// pipe)", "a device", "a socket", "a regular file", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

// Check returns a *NotRegularError when path (after symbolic links) exists
// and is not a regular file, the error of os.Stat when it cannot be
// examined, and nil for a regular file.
func Check(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: st.Mode()}
	}
	return nil
}

// Open opens a regular file for reading. Anything else is refused before it
// is read from, with a *NotRegularError.
func Open(path string) (*os.File, fs.FileInfo, error) {
	return openChecked(path, os.O_RDONLY, 0, false)
}

// OpenWrite opens path for reading and writing, creating it with perm when
// it does not exist; an existing path that is not a regular file is refused
// with a *NotRegularError before it is opened for reading.
func OpenWrite(path string, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	return openChecked(path, os.O_RDWR|os.O_CREATE, perm, true)
}

func openChecked(path string, flag int, perm fs.FileMode, mayCreate bool) (*os.File, fs.FileInfo, error) {
	if err := Check(path); err != nil && !(mayCreate && os.IsNotExist(err)) {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, flag|nonBlock, perm)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	return f, st, nil
}

// LockedError is the refusal of a lock another holder has.
type LockedError struct {
	Path string
	// PID is the holder's process id, 0 when the system does not say.
	PID int
	// Self is true when no other process holds the record lock: the holder
	// is this process through another descriptor, or a process that takes
	// only a flock.
	Self bool
}

func (e *LockedError) Error() string {
	switch {
	case e.Self:
		return fmt.Sprintf("%s is locked by another writer (this process, pid %d, through another descriptor, or a process that takes only a flock)", printable(e.Path), os.Getpid())
	case e.PID > 0:
		return fmt.Sprintf("%s is locked by another process (pid %d) writing it", printable(e.Path), e.PID)
	}
	return fmt.Sprintf("%s is locked by another process writing it", printable(e.Path))
}

// printable is s, or s quoted with Go escapes when it has a character that
// is not printable (a control character or an escape sequence must not
// reach a terminal raw).
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffd {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
