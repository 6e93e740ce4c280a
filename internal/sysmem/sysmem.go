package sysmem

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Limit is the memory the process may still allocate, in bytes, and the
// limit that sets it. The zero value is "no limit known".
type Limit struct {
	// Bytes is the headroom: the limit less the usage it counts (0 when
	// the usage already reaches the limit). Meaningful only when Source is
	// set.
	Bytes int64
	// Source names the limit: "MemAvailable", "RLIMIT_AS", "RLIMIT_DATA",
	// "cgroup memory.max" or "cgroup memory.limit_in_bytes" (with the
	// group's path), "" when none was found.
	Source string
}

// Known reports whether a limit was found.
func (l Limit) Known() bool { return l.Source != "" }

// Exceeded reports whether need bytes exceed a known limit.
func (l Limit) Exceeded(need int64) bool { return l.Known() && need > l.Bytes }

// String is the headroom and its source, e.g. "3.2 GiB (cgroup memory.max)",
// or "no known limit".
func (l Limit) String() string {
	if !l.Known() {
		return "no known limit"
	}
	return FormatBytes(l.Bytes) + " (" + l.Source + ")"
}

// Describe is the headroom for a refusal: "the 3.2 GiB the process may
// still allocate (cgroup memory.max of /job)".
func (l Limit) Describe() string {
	if !l.Known() {
		return "no known limit"
	}
	return "the " + FormatBytes(l.Bytes) + " the process may still allocate (" + l.Source + ")"
}

// FormatBytes writes n bytes in the largest binary unit that keeps the
// value at least 1, with 3 significant digits ("41 GiB", "311 KiB").
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n), 0
	for math.Abs(v) >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.3g %s", v, units[u])
}

// Current returns the memory the running process may still allocate.
func Current() Limit {
	return probe{root: "/", rlimit: getrlimit}.limit()
}

// probe reads the limits from a file-system root ("/" for the running
// system, a directory laid out like one in tests) and a getrlimit function
// (ok false: no such limit).
type probe struct {
	root   string
	rlimit func(resource string) (cur uint64, ok bool)
}

// limit is the smallest headroom of every limit found.
func (p probe) limit() Limit {
	var best Limit
	consider := func(bytes int64, source string) {
		bytes = max(bytes, 0)
		if !best.Known() || bytes < best.Bytes {
			best = Limit{Bytes: bytes, Source: source}
		}
	}
	meminfo := p.keyValues("proc/meminfo")
	if v, ok := meminfo["MemAvailable"]; ok {
		consider(v, "MemAvailable")
	}
	status := p.keyValues("proc/self/status")
	for _, r := range []struct{ resource, used string }{{"RLIMIT_AS", "VmSize"}, {"RLIMIT_DATA", "VmData"}} {
		cur, ok := p.rlimit(r.resource)
		if !ok || cur >= math.MaxInt64 {
			continue
		}
		consider(int64(cur)-status[r.used], r.resource)
	}
	for _, g := range p.cgroupLimits() {
		consider(g.Bytes, g.Source)
	}
	return best
}

// keyValues reads a /proc file of "Key: value kB" lines into bytes.
func (p probe) keyValues(name string) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open(filepath.Join(p.root, name))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || v < 0 {
			continue
		}
		if len(fields) > 1 && fields[1] == "kB" {
			v *= 1024
		}
		out[key] = v
	}
	return out
}

// readInt reads a file holding one non-negative integer; ok is false for a
// missing file, "max" or anything else.
func (p probe) readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil && v >= 0
}

// statValue reads one key of a cgroup memory.stat file (bytes).
func (p probe) statValue(dir, key string) int64 {
	f, err := os.Open(filepath.Join(dir, "memory.stat"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil && n >= 0 {
				return n
			}
		}
	}
	return 0
}
