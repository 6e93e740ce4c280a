package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"nccheck/checkpoint"
	"nccheck/internal/sysmem"
	"nccheck/verify"
	"nccheck/verify/rowfile"
)

// TestMain runs the command itself in a child process when the test binary
// is started with NCCHECK_CHILD_ARGS (arguments separated by newlines),
// under the address-space limit NCCHECK_CHILD_RLIMIT_AS (bytes) if set:
// the probes of a memory limit and of concurrent writers need their own
// process.
func TestMain(m *testing.M) {
	if args := os.Getenv("NCCHECK_CHILD_ARGS"); args != "" {
		if v := os.Getenv("NCCHECK_CHILD_RLIMIT_AS"); v != "" {
			n, _ := strconv.ParseUint(v, 10, 64)
			if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
				fmt.Fprintln(os.Stderr, "setrlimit:", err)
				os.Exit(3)
			}
		}
		os.Exit(run(strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child runs nccheck with args in a child process (under an address-space
// limit when rlimit > 0) and returns its stderr and exit status.
func child(t *testing.T, rlimit uint64, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "NCCHECK_CHILD_ARGS="+strings.Join(args, "\n"))
	if rlimit > 0 {
		cmd.Env = append(cmd.Env, "NCCHECK_CHILD_RLIMIT_AS="+strconv.FormatUint(rlimit, 10))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return stderr.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return stderr.String(), 0
}

// oneLineWith asserts exit status 2 and one line of stderr containing want.
func oneLineWith(t *testing.T, what, stderr string, status int, want ...string) {
	t.Helper()
	if status != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.ContainsRune(stderr, 0x1b) {
		t.Errorf("%s: status %d, stderr %q: want status 2 and one clean line", what, status, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr %q lacks %q", what, stderr, w)
		}
	}
}

// TestNonRegularFilesRefused: defect 1 of issue 18. A FIFO given to
// measure (directly or as x.npz in a directory), to verify --grid, to
// report, or as verify --out (with or without --resume) blocked forever;
// each is refused with exit 2 at once, and so is a directory.
func TestNonRegularFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	withFIFO := filepath.Join(dir, "ckpts")
	os.Mkdir(withFIFO, 0o755)
	if err := syscall.Mkfifo(filepath.Join(withFIFO, "x.npz"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := []string{"--n", "4,2", "--d", "2", "--lambda-w", "1e-2", "--lambda-h", "1e-2"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"measure FIFO", []string{"measure", "--fit", fifo}, "a FIFO (named pipe), not a regular file"},
		{"measure directory with an x.npz FIFO", []string{"measure", "--fit", withFIFO}, "x.npz"},
		{"verify --grid FIFO", []string{"verify", "--grid", fifo}, "--grid"},
		{"report FIFO", []string{"report", fifo}, "not a regular file"},
		{"verify --out FIFO --resume", append([]string{"verify", "--out", fifo, "--resume"}, one...), "--out"},
		{"verify --out FIFO", append([]string{"verify", "--out", fifo}, one...), "not a regular file"},
		{"verify --out directory", append([]string{"verify", "--out", dir}, one...), "a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type result struct {
				stderr string
				status int
			}
			done := make(chan result, 1)
			go func() {
				_, stderr, status := runCmd(tc.args...)
				done <- result{stderr, status}
			}()
			select {
			case r := <-done:
				oneLineWith(t, tc.name, r.stderr, r.status, tc.want)
			case <-time.After(20 * time.Second):
				t.Fatal("blocked")
			}
		})
	}
}

// TestMeasureUnderRLIMITAS: defects 3 and 5. A checkpoint of 2 samples in
// d = 4e6 (a few hundred KB of file whose measurement needs about 1.4 GB:
// package metrics keeps about 19 K x d matrices) is measured in a process
// whose address-space limit is that need plus 64 MiB, less than the need
// once the process's own mappings count: it is refused before it
// allocates, naming RLIMIT_AS.
func TestMeasureUnderRLIMITAS(t *testing.T) {
	const d = 4000000
	path := filepath.Join(t.TempDir(), "wide.npz")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range []struct {
		name, header string
		data         []byte
	}{
		{"features.npy", fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (2, %d), }", d), make([]byte, 8*d)},
		{"labels.npy", "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", []byte{0, 1}},
		{"classifier.npy", fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (2, %d), }", d), make([]byte, 8*d)},
	} {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(append([]byte("\x93NUMPY\x01\x00"), byte(len(m.header)), 0))
		w.Write([]byte(m.header))
		w.Write(m.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := checkpoint.OpenWith(path, checkpoint.OpenSettings{MaxMemory: -1})
	if err != nil {
		t.Fatal(err)
	}
	need := c.MemoryBytes(checkpoint.Options{})
	if host := sysmem.Current(); host.Known() && host.Bytes < need+64<<20 {
		t.Skipf("the host's own limit %v is below the test's", host)
	}
	stderr, status := child(t, uint64(need+64<<20), "measure", "--lambda-w", "1e-3", "--lambda-h", "1e-3", path)
	oneLineWith(t, "measure under RLIMIT_AS", stderr, status, "wide.npz", "needs about", "(RLIMIT_AS)")
}

// TestResumeAndReportHeaders: defect 8. A resume with a flag that changes
// results is refused naming it; --force keeps the rows behind a new
// header, which report then refuses to mix unless --force.
func TestResumeAndReportHeaders(t *testing.T) {
	grid := writeGrid(t)
	out := filepath.Join(t.TempDir(), "rows.jsonl")
	if _, stderr, status := runCmd("verify", "--grid", grid, "--out", out, "--shard", "1/2"); status != 0 {
		t.Fatalf("first run: %d %s", status, stderr)
	}
	_, stderr, status := runCmd("verify", "--grid", grid, "--out", out, "--resume", "--tol-geometry", "1e-12")
	oneLineWith(t, "resume with --tol-geometry", stderr, status, "--tol-geometry 0.0001 (this run: --tol-geometry 1e-12)", "--force")
	_, stderr, status = runCmd("verify", "--grid", grid, "--out", out, "--resume", "--seed", "2")
	oneLineWith(t, "resume with --seed", stderr, status, "--seed 1 (this run: --seed 2)")
	other := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(other, []byte(strings.Replace(smallGrid, `"d": 2`, `"d": 3`, 1)), 0o644)
	_, stderr, status = runCmd("verify", "--grid", other, "--out", out, "--resume")
	oneLineWith(t, "resume with another grid", stderr, status, "other settings (grid sha256:")
	// The rows of this run fail the tighter tolerance (status 1), the kept
	// ones stay as judged.
	if _, stderr, status = runCmd("verify", "--grid", grid, "--out", out, "--resume", "--force", "--tol-geometry", "1e-12"); status == 2 || !strings.Contains(stderr, "its 2 rows are kept as they were judged") {
		t.Fatalf("forced resume: status %d, stderr %q", status, stderr)
	}
	_, stderr, status = runCmd("report", out)
	oneLineWith(t, "report of mixed rows", stderr, status, "--tol-geometry", "--force reads them together")
	if _, stderr, status = runCmd("report", "--force", out); status == 2 {
		t.Errorf("report --force: status %d, stderr %q", status, stderr)
	}
	_, stderr, status = runCmd("report", "--force", "--grid", other, out)
	oneLineWith(t, "report against another grid", stderr, status, ": line ", "a row of another grid or suite")
}

// TestConcurrentWriters: defect 10. While one process holds a row file, a
// verify --out on it in another process exits 2 naming the holder's pid.
func TestConcurrentWriters(t *testing.T) {
	grid := writeGrid(t)
	_, cases, err := verify.ParseGrid(strings.NewReader(smallGrid))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "rows.jsonl")
	rf, _, err := rowfile.Open(out, rowfile.Options{Header: rowfile.HeaderOf(cases, verify.Config{}), Cases: cases, Theories: []string{"paper"}})
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	stderr, status := child(t, 0, "verify", "--grid", grid, "--out", out)
	oneLineWith(t, "second writer", stderr, status, "--out", fmt.Sprintf("pid %d", os.Getpid()))
}

// TestHostileGridsAndRows: item 11 and defect 9 through the command: an
// ANSI escape in a grid name, a "D" key, lambdas below the solver's float64
// range, and a row whose verdict disagrees with its numbers.
func TestHostileGridsAndRows(t *testing.T) {
	dir := t.TempDir()
	ansi := filepath.Join(dir, "ansi.json")
	os.WriteFile(ansi, []byte(`{"name":"g","settings":[{"name":"\u001b]0;pwned\u0007x","n":[4,2],"d":2,"lambda_w":"1e-2","lambda_h":"1e-2"}]}`), 0o644)
	_, stderr, status := runCmd("verify", "--grid", ansi)
	oneLineWith(t, "ANSI escape in a name", stderr, status, `\x1b]0;pwned`)
	upper := filepath.Join(dir, "upper.json")
	os.WriteFile(upper, []byte(`{"name":"g","settings":[{"n":[4,2],"d":2,"D":8,"lambda_w":"1e-2","lambda_h":"1e-2"}]}`), 0o644)
	_, stderr, status = runCmd("verify", "--grid", upper)
	oneLineWith(t, `"D" key`, stderr, status, "case-sensitive")
	_, stderr, status = runCmd("verify", "--n", "4,2", "--d", "2", "--lambda-w", "1e-300", "--lambda-h", "5e-3")
	oneLineWith(t, "lambda_w 1e-300", stderr, status, "--lambda-w/--lambda-h", "is below 1.1e-32")
	grid := writeGrid(t)
	out := filepath.Join(dir, "rows.jsonl")
	if _, stderr, status := runCmd("verify", "--grid", grid, "--out", out, "--shard", "1/2"); status != 0 {
		t.Fatalf("verify: %d %s", status, stderr)
	}
	b, _ := os.ReadFile(out)
	os.WriteFile(out, bytes.Replace(b, []byte(`"verdict":"agree"`), []byte(`"verdict":"solver-gap"`), 1), 0o644)
	_, stderr, status = runCmd("report", out)
	oneLineWith(t, "a flipped verdict", stderr, status, "rows.jsonl", "line 2", "is not the verdict agree")
}
