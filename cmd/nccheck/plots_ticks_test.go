package main

import (
	"strings"
	"testing"
)

// TestDecadeTicksLabels: every labelled tick of a log axis over ten decades
// reads as a power of ten with one digit (no 9.999999999999999e-05).
func TestDecadeTicksLabels(t *testing.T) {
	labelled := 0
	for _, tk := range (decadeTicks{}).Ticks(3e-7, 2e4) {
		if tk.Label == "" {
			continue
		}
		labelled++
		if strings.Contains(tk.Label, "99") || len(tk.Label) > 6 {
			t.Errorf("tick %g labelled %q", tk.Value, tk.Label)
		}
	}
	if labelled < 5 {
		t.Errorf("%d labelled ticks over 11 decades, want at least 5", labelled)
	}
}
