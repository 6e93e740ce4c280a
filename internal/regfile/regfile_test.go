package regfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesNonRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("FIFOs and devices")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rows.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.npz")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, kind string }{
		{fifo, "a FIFO (named pipe)"}, {link, "a FIFO (named pipe)"}, {dir, "a directory"}, {"/dev/null", "a character device"},
	} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, open := range []func() error{
				func() error { _, _, err := Open(tc.path); return err },
				func() error { _, _, err := OpenWrite(tc.path, 0o644); return err },
				func() error { return Check(tc.path) },
			} {
				var nr *NotRegularError
				err := open()
				if !errors.As(err, &nr) || !strings.Contains(err.Error(), tc.kind) {
					t.Errorf("%s: error %v, want a *NotRegularError saying %q", tc.path, err, tc.kind)
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: opening blocked", tc.path)
		}
	}
}

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	if _, _, err := Open(p); !os.IsNotExist(err) {
		t.Errorf("missing file: %v, want not-exist", err)
	}
	f, st, err := OpenWrite(p, 0o644)
	if err != nil || st.Size() != 0 {
		t.Fatalf("OpenWrite creates: %v", err)
	}
	if _, err := f.WriteString("x\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, st, err := Open(p)
	if err != nil || st.Size() != 2 {
		t.Fatalf("Open: %v %v", st, err)
	}
	g.Close()
	bad := &NotRegularError{Path: "x\x1b[31m", Mode: os.ModeNamedPipe}
	if strings.ContainsRune(bad.Error(), 0x1b) {
		t.Errorf("escape written raw: %q", bad.Error())
	}
}

// TestLockNamesHolder: a second process cannot take the lock and is told
// the holder's pid; a second descriptor of this process cannot either.
func TestLockNamesHolder(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("record locks")
	}
	if p := os.Getenv("REGFILE_HOLD"); p != "" {
		f, _, err := OpenWrite(p, 0o644)
		if err == nil {
			err = Lock(f)
		}
		fmt.Println("locked", err)
		bufio.NewReader(os.Stdin).ReadString('\n') // hold until the parent closes stdin
		os.Exit(0)
	}
	p := filepath.Join(t.TempDir(), "rows.jsonl")
	child := exec.Command(os.Args[0], "-test.run=^TestLockNamesHolder$")
	child.Env = append(os.Environ(), "REGFILE_HOLD="+p)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); child.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked <nil>\n" {
		t.Fatalf("child: %q", line)
	}
	f, _, err := OpenWrite(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var le *LockedError
	if err := Lock(f); !errors.As(err, &le) || le.PID != child.Process.Pid {
		t.Fatalf("second process: %v, want a *LockedError with pid %d", err, child.Process.Pid)
	}
	if !strings.Contains(le.Error(), fmt.Sprint(child.Process.Pid)) {
		t.Errorf("message %q does not name the pid", le.Error())
	}

	q := filepath.Join(t.TempDir(), "own.jsonl")
	a, _, err := OpenWrite(q, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := Lock(a); err != nil {
		t.Fatal(err)
	}
	b, _, err := OpenWrite(q, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := Lock(b); !errors.As(err, &le) || !le.Self {
		t.Errorf("second descriptor: %v, want a *LockedError with Self", err)
	}
}
