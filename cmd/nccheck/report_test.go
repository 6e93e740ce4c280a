package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestShardsMergeToUnsharded: verify --shard 1/2 and 2/2 streamed to two
// files, merged by report, render the same table as one unsharded run, in
// every format; duplicates are dropped, conflicts refused, missing rows
// listed.
func TestShardsMergeToUnsharded(t *testing.T) {
	grid := writeGrid(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	for _, sh := range []struct{ shard, out string }{{"1/2", a}, {"2/2", b}} {
		if _, stderr, status := runCmd("verify", "--grid", grid, "--shard", sh.shard, "--out", sh.out, "-j", "1"); status != 0 {
			t.Fatalf("shard %s: status %d %s", sh.shard, status, stderr)
		}
	}
	if n := len(rowLines(t, a)) + len(rowLines(t, b)); n != 3 {
		t.Fatalf("shards wrote %d rows, want 3", n)
	}
	for _, format := range []string{"text", "markdown", "latex", "csv"} {
		whole, _, status := runCmd("verify", "--grid", grid, "--format", format, "-j", "2")
		if status != 0 {
			t.Fatalf("unsharded: status %d", status)
		}
		merged, stderr, status := runCmd("report", "--grid", grid, "--format", format, b, a, a)
		if status != 0 {
			t.Fatalf("report: status %d %s", status, stderr)
		}
		if merged != whole {
			t.Errorf("%s: merged shards differ from the unsharded run:\n%s\nvs\n%s", format, merged, whole)
		}
	}
	// Missing rows: only shard 1.
	_, stderr, status := runCmd("report", "--grid", grid, a)
	if status != 1 || !strings.Contains(stderr, "rows missing") || !strings.Contains(stderr, "three") {
		t.Errorf("missing: status %d, stderr %q", status, stderr)
	}
	// Conflicting rows for one key.
	lines := readLines(t, a)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(lines[0]+"\n"+regexp.MustCompile(`"restarts":[0-9]+`).ReplaceAllString(lines[1], `"restarts":99`)+"\n"), 0o644)
	if _, stderr, status := runCmd("report", a, bad); status != 2 || !strings.Contains(stderr, "conflicting") {
		t.Errorf("conflict: status %d, stderr %q", status, stderr)
	}
	// A torn last line is noted and ignored.
	torn := filepath.Join(dir, "torn.jsonl")
	os.WriteFile(torn, []byte(strings.Join(readLines(t, b), "\n")+"\n{\"index\": 1, \"na"), 0o644)
	if _, stderr, status := runCmd("report", a, torn); status != 0 || !strings.Contains(stderr, "torn") {
		t.Errorf("torn: status %d, stderr %q", status, stderr)
	}
	for _, args := range [][]string{{"report"}, {"report", "/no/such/file"}, {"report", "--shard", "1/2", a}, {"report", "--format", "xml", a}} {
		if _, stderr, status := runCmd(args...); status != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: status %d stderr %q", args, status, stderr)
		}
	}
	if _, stderr, status := runCmd("verify", "--grid", grid, "--shard", "3/2"); status != 2 || !strings.Contains(stderr, "--shard") {
		t.Errorf("--shard 3/2: status %d, stderr %q", status, stderr)
	}
}
