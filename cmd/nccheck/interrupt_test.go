package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nccheck/verify"
	"nccheck/verify/rowfile"
)

// readRows reads a row file, failing the test on a refusal.
func readRows(t *testing.T, path string) *rowfile.Set {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rowfile.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rs
}

// TestVerifyInterrupted: cancelling verify's context (what SIGINT and
// SIGTERM do) while it runs stops it with exitInterrupted, the rows written
// so far stay in the --out file, complete and valid, with no row of the
// setting whose solve was cut short; --resume then runs only the rest and
// keeps the first rows as they were.
func TestVerifyInterrupted(t *testing.T) {
	var settings []string
	for i := range 6 {
		settings = append(settings, fmt.Sprintf(`{"name": "s%d", "n": [300, 200, 200, 100, 100, 50], "d": 6, "lambda_w": "%de-4", "lambda_h": "1e-4"}`, i, i+1))
	}
	dir := t.TempDir()
	grid, out := filepath.Join(dir, "grid.json"), filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(grid, []byte(`{"name": "g", "settings": [`+strings.Join(settings, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--grid", grid, "-j", "1", "--restarts", "2", "--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	status := make(chan int)
	go func() { status <- verifyContext(ctx, args, &stdout, &stderr) }()
	deadline := time.Now().Add(time.Minute)
	for {
		b, _ := os.ReadFile(out)
		if bytes.Count(b, []byte("\n")) >= 2 || time.Now().After(deadline) { // the header and a row
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if s := <-status; s != exitInterrupted || !strings.Contains(stderr.String(), "interrupted after") {
		t.Fatalf("status %d, stderr %q", s, stderr.String())
	}
	first := readRows(t, out)
	if n := len(first.Rows); n < 1 || n >= 6 || first.Torn {
		t.Fatalf("%d rows kept (torn %t), want some but not all", n, first.Torn)
	}
	t.Logf("interrupted with %d of 6 rows written", len(first.Rows))
	for _, r := range first.Rows {
		if r.Verdict == verify.Failed {
			t.Errorf("row %s: %s (a row of a solve cut short)", r.Name, r.Error)
		}
	}
	stdout.Reset()
	stderr.Reset()
	if s := verifyContext(context.Background(), append(args, "--resume"), &stdout, &stderr); s != exitOK {
		t.Fatalf("resume: status %d, stderr %q\n%s", s, stderr.String(), stdout.String())
	}
	all := readRows(t, out)
	if len(all.Rows) != 6 || len(all.Headers) != 1 {
		t.Fatalf("after --resume: %d rows, %d headers", len(all.Rows), len(all.Headers))
	}
	for i, r := range first.Rows {
		if all.Rows[i].Key != r.Key || all.Rows[i].Seconds != r.Seconds {
			t.Errorf("row %d changed on resume: %s", i, all.Rows[i].Key)
		}
	}
}
