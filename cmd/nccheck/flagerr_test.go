package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestFlagErrors: an unknown flag is named with two dashes and the nearest
// flags are suggested; a list written with spaces says that lists take no
// spaces; every message is one line with exit status 2.
func TestFlagErrors(t *testing.T) {
	base := []string{"--d", "4", "--lambda-w", "1e-3", "--lambda-h", "1e-3"}
	tests := []struct {
		args []string
		want []string
	}{
		{append([]string{"predict", "--n", "4,4", "--lambda", "1e-4"}, base...), []string{"unknown flag --lambda", "did you mean", "--lambda-w", "--lambda-h"}},
		{append([]string{"predict", "--n", "4,4", "--lambda_w", "1e-4"}, base[:2]...), []string{"unknown flag --lambda_w", "did you mean --lambda-w"}},
		{append([]string{"predict", "--n", "100,", "200"}, base...), []string{`unexpected argument "200"`, "lists take no spaces", "100,200"}},
		{[]string{"predict", "--n"}, []string{"flag needs an argument: --n"}},
		{[]string{"kkt", "--dd", "3"}, []string{"unknown flag --dd", "--d"}},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		msg := stderr.String()
		if code != exitBadInput || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%v: %q lacks %q", tc.args, msg, w)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{arg}, &stdout, &stderr); code != exitOK || !strings.HasPrefix(stdout.String(), "nccheck ") || !strings.Contains(stdout.String(), "go1.") {
			t.Errorf("%s: exit %d, %q", arg, code, stdout.String())
		}
	}
}
