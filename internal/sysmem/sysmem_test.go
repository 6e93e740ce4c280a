package sysmem

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// fakeRoot lays out the files probe reads under a temporary directory.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const gib = 1 << 30

func TestLimitSources(t *testing.T) {
	meminfo := "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:    8388608 kB\n" // 8 GiB
	status := "Name:\tx\nVmSize:\t  1048576 kB\nVmData:\t   524288 kB\n"                      // 1 GiB, 0.5 GiB
	v2mount := "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
	v1mount := "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	none := func(string) (uint64, bool) { return 0, false }
	for _, tc := range []struct {
		name   string
		files  map[string]string
		rlimit func(string) (uint64, bool)
		want   Limit
	}{
		{"nothing readable", nil, none, Limit{}},
		{"MemAvailable", map[string]string{"proc/meminfo": meminfo}, none, Limit{8 * gib, "MemAvailable"}},
		{"RLIMIT_AS less VmSize", map[string]string{"proc/meminfo": meminfo, "proc/self/status": status},
			func(r string) (uint64, bool) { return 4 * gib, r == "RLIMIT_AS" }, Limit{3 * gib, "RLIMIT_AS"}},
		{"RLIMIT_DATA less VmData", map[string]string{"proc/meminfo": meminfo, "proc/self/status": status},
			func(r string) (uint64, bool) { return 2 * gib, r == "RLIMIT_DATA" }, Limit{gib + gib/2, "RLIMIT_DATA"}},
		{"cgroup v2 memory.max less usage without inactive files", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "0::/job/step\n", "proc/self/mountinfo": v2mount,
			"sys/fs/cgroup/job/memory.max":      "max\n",
			"sys/fs/cgroup/job/step/memory.max": fmt.Sprint(3*gib) + "\n", "sys/fs/cgroup/job/step/memory.current": fmt.Sprint(gib),
			"sys/fs/cgroup/job/step/memory.stat": "anon 1\ninactive_file " + fmt.Sprint(gib/2) + "\nactive_file 7\n"},
			none, Limit{3*gib - gib/2, "cgroup memory.max of /job/step"}},
		{"cgroup v2: the parent's limit is smaller", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "0::/job/step\n", "proc/self/mountinfo": v2mount,
			"sys/fs/cgroup/job/memory.max": fmt.Sprint(2*gib) + "\n", "sys/fs/cgroup/job/memory.current": fmt.Sprint(gib),
			"sys/fs/cgroup/job/step/memory.max": fmt.Sprint(3 * gib)},
			none, Limit{gib, "cgroup memory.max of /job"}},
		{"cgroup v1 memory.limit_in_bytes", map[string]string{
			"proc/meminfo": meminfo, "proc/self/mountinfo": v1mount,
			"proc/self/cgroup":                                             "9:name=systemd:/\n4:memory:/slurm/uid_1/job_2\n3:cpu:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                   "9223372036854771712\n",
			"sys/fs/cgroup/memory/slurm/uid_1/job_2/memory.limit_in_bytes": fmt.Sprint(5 * gib),
			"sys/fs/cgroup/memory/slurm/uid_1/job_2/memory.usage_in_bytes": fmt.Sprint(2 * gib),
			"sys/fs/cgroup/memory/slurm/uid_1/job_2/memory.stat":           "cache 5\ntotal_inactive_file " + fmt.Sprint(gib)},
			none, Limit{4 * gib, "cgroup memory.limit_in_bytes of /slurm/uid_1/job_2"}},
		{"cgroup namespace: only the mount's own group", map[string]string{
			"proc/meminfo": meminfo, "proc/self/cgroup": "0::/\n",
			"proc/self/mountinfo":          "30 1 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
			"sys/fs/cgroup/memory.max":     fmt.Sprint(gib),
			"sys/fs/cgroup/memory.current": "0"},
			none, Limit{gib, "cgroup memory.max of /"}},
		{"usage above the limit: no headroom", map[string]string{
			"proc/self/cgroup": "0::/a\n", "proc/self/mountinfo": v2mount,
			"sys/fs/cgroup/a/memory.max": "100", "sys/fs/cgroup/a/memory.current": "200"},
			none, Limit{0, "cgroup memory.max of /a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.files != nil {
				root = fakeRoot(t, tc.files)
			}
			got := probe{root: root, rlimit: tc.rlimit}.limit()
			if got != tc.want {
				t.Errorf("limit = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLimitMethods(t *testing.T) {
	l := Limit{Bytes: 3 << 30, Source: "RLIMIT_AS"}
	if !l.Exceeded(3<<30+1) || l.Exceeded(3<<30) || (Limit{}).Exceeded(1<<62) {
		t.Error("Exceeded")
	}
	if s := l.Describe(); s != "the 3 GiB the process may still allocate (RLIMIT_AS)" {
		t.Errorf("Describe = %q", s)
	}
	if s := l.String(); s != "3 GiB (RLIMIT_AS)" {
		t.Errorf("String = %q", s)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 41 << 30: "41 GiB", 8 << 40: "8 TiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestCurrentUnderRLIMITAS runs this test binary again with an address-space
// limit and checks that Current reports it, less what the process maps.
func TestCurrentUnderRLIMITAS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the Linux resource limits")
	}
	const limit = 3 << 30
	if os.Getenv("SYSMEM_CHILD") == "1" {
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			fmt.Println("setrlimit:", err)
			os.Exit(3)
		}
		l := Current()
		fmt.Printf("%s %d\n", l.Source, l.Bytes)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCurrentUnderRLIMITAS$")
	cmd.Env = append(os.Environ(), "SYSMEM_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	var source string
	var bytes int64
	if _, err := fmt.Sscan(strings.TrimSpace(string(out)), &source, &bytes); err != nil {
		t.Fatalf("child printed %q", out)
	}
	if host := Current(); host.Known() && host.Bytes < limit {
		t.Skipf("the host's own limit %v is below the test's", host)
	}
	if source != "RLIMIT_AS" || bytes <= 0 || bytes >= limit {
		t.Errorf("under RLIMIT_AS = 3 GiB: Current = %d bytes from %q, want below 3 GiB from RLIMIT_AS", bytes, source)
	}
}
