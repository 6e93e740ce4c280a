package sysmem

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// cgroupMount is a mounted cgroup hierarchy holding the memory controller.
type cgroupMount struct {
	v2         bool
	root, path string // the hierarchy's directory mounted, and where
}

// cgroupLimits returns the headroom of every memory limit of the
// process's control groups: for each group from the process's own up to
// the top of the mounted hierarchy that has a limit, the limit less the
// usage without inactive file pages.
func (p probe) cgroupLimits() []Limit {
	groups := p.ownGroups()
	var out []Limit
	for _, m := range p.cgroupMounts() {
		cg, ok := groups[m.v2]
		if !ok {
			continue
		}
		rel, ok := strings.CutPrefix(cg, m.root)
		if !ok {
			rel = "" // another namespace's view: only the mount's own group is visible
		}
		top := filepath.Join(p.root, m.path)
		dir := filepath.Join(top, rel)
		if _, err := os.Stat(dir); err != nil {
			dir = top
		}
		for {
			if l, ok := p.groupLimit(dir, m.v2); ok {
				l.Source += " of " + displayGroup(strings.TrimPrefix(dir, top))
				out = append(out, l)
			}
			if dir == top || len(dir) <= len(top) {
				break
			}
			dir = filepath.Dir(dir)
		}
	}
	return out
}

func displayGroup(rel string) string {
	if rel == "" {
		return "/"
	}
	return rel
}

// groupLimit is one group's headroom, ok false when it has no limit.
func (p probe) groupLimit(dir string, v2 bool) (Limit, bool) {
	limitFile, usageFile, inactive, source := "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file", "cgroup memory.limit_in_bytes"
	if v2 {
		limitFile, usageFile, inactive, source = "memory.max", "memory.current", "inactive_file", "cgroup memory.max"
	}
	limit, ok := p.readInt(filepath.Join(dir, limitFile))
	// cgroup v1 writes "no limit" as the largest page-aligned int64.
	if !ok || limit >= 1<<62 {
		return Limit{}, false
	}
	usage, _ := p.readInt(filepath.Join(dir, usageFile))
	usage -= min(usage, p.statValue(dir, inactive))
	return Limit{Bytes: limit - usage, Source: source}, true
}

// ownGroups reads /proc/self/cgroup: the process's group in the v2
// hierarchy (key true) and in the v1 hierarchy of the memory controller
// (key false).
func (p probe) ownGroups() map[bool]string {
	out := map[bool]string{}
	f, err := os.Open(filepath.Join(p.root, "proc/self/cgroup"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			out[true] = parts[2]
		case hasField(parts[1], "memory"):
			out[false] = parts[2]
		}
	}
	return out
}

// cgroupMounts reads /proc/self/mountinfo for the cgroup2 mounts and the
// cgroup v1 mounts of the memory controller.
func (p probe) cgroupMounts() []cgroupMount {
	f, err := os.Open(filepath.Join(p.root, "proc/self/mountinfo"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []cgroupMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 {
			continue
		}
		switch {
		case b[0] == "cgroup2":
			out = append(out, cgroupMount{v2: true, root: a[3], path: a[4]})
		case b[0] == "cgroup" && hasField(b[2], "memory"):
			out = append(out, cgroupMount{root: a[3], path: a[4]})
		}
	}
	return out
}

func hasField(list, name string) bool {
	for _, f := range strings.Split(list, ",") {
		if f == name {
			return true
		}
	}
	return false
}
