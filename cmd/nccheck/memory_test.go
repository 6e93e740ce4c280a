package main

import (
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nccheck/setting"
)

// peakHeap runs f and returns the largest heap (runtime.MemStats.HeapAlloc,
// garbage not yet collected included) seen during it, sampled every
// millisecond, less the heap before.
func peakHeap(f func()) int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base := m.HeapAlloc
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var s runtime.MemStats
		for {
			runtime.ReadMemStats(&s)
			if s.HeapAlloc > peak.Load() {
				peak.Store(s.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return int64(peak.Load()) - int64(base)
}

// TestKKTMemory: kkt predicts its memory before the prediction is made
// (defect 3 of issue 18: --n 999999999999,1 --d 1 asked for 8 TB); the
// prediction bounds the peak heap of a run dominated by the N labels of the
// explicit point, of one dominated by its K d big floats and of one
// dominated by the K^2 of the certificate, and is not more than four times
// it.
func TestKKTMemory(t *testing.T) {
	_, errs, status := runCmd("kkt", "--n", "999999999999,1", "--d", "1", "--lambda-w", "1e-3", "--lambda-h", "1e-3")
	if status != 2 || !strings.Contains(errs, "--n/--d") || !strings.Contains(errs, "needs about 7.28 TiB (predicted") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("N = 1e12: status %d, stderr %q", status, errs)
	}
	for _, tc := range []struct {
		n string
		d int
	}{{"3000000,1000000", 2}, {"30,31,32,33,34,35,36,37,38,39", 1000}, {certCounts(160), 160}} {
		counts, _ := setting.ParseCounts(tc.n)
		s := setting.Setting{Counts: counts, Dim: tc.d, LambdaW: setting.MustDecimal("1e-4"), LambdaH: setting.MustDecimal("1e-4")}
		want := kktMemoryBytes(s, 256, false)
		var status int
		peak := peakHeap(func() {
			_, _, status = runCmd("kkt", "--format", "json", "--n", tc.n, "--d", itoa(tc.d), "--lambda-w", "1e-4", "--lambda-h", "1e-4")
		})
		t.Logf("n=%s d=%d: predicted %d bytes, peak heap %d (ratio %.2f)", tc.n, tc.d, want, peak, float64(peak)/float64(want))
		if status != 0 || float64(peak) > 1.05*float64(want) || 4*peak < want {
			t.Errorf("n=%s d=%d: status %d, predicted %d bytes, peak heap %d: want the peak within [1/4, 1.05] of the prediction (sampling, page rounding)", tc.n, tc.d, status, want, peak)
		}
	}
}

func itoa(v int) string { return strconv.Itoa(v) }

// certCounts returns K counts 1000, 999, ... as a --n list.
func certCounts(k int) string {
	c := make([]string, k)
	for i := range c {
		c[i] = itoa(1000 - i)
	}
	return strings.Join(c, ",")
}
