package optimize

import (
	"context"
	"errors"
	"math"
	"runtime"
	"testing"
	"time"

	"nccheck/internal/sysmem"
)

// TestMemoryBytesMeasured compares Problem.MemoryBytes with the bytes a
// solve allocates (runtime.MemStats.TotalAlloc, which counts every
// allocation, freed or not) and with the growth of the live heap at the end
// (the Result), for one and two workers, with and without escapes.
func TestMemoryBytesMeasured(t *testing.T) {
	// nv = (10 + 5700) * 40 = 228400 variables (1.8 MB per vector).
	counts := make([]int, 10)
	for k := range counts {
		counts[k] = 300 + 60*k
	}
	p := &Problem{Counts: counts, Dim: 40, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}
	for _, set := range []Settings{
		{Seed: 1, Restarts: 1, Workers: 1, MaxIter: 3},
		{Seed: 1, Restarts: 2, Workers: 2, MaxIter: 3},
		{Seed: 1, Restarts: 3, Workers: 2, MaxIter: 3},
		{Seed: 1, Restarts: 2, Workers: 1, MaxIter: 3, MaxEscapes: -1},
		{Seed: 1, Restarts: 1, Workers: 1, MaxIter: 3, NewMethod: func() Method { return &LBFGSB{Memory: 9} }},
	} {
		want := p.PredictMemory(set).Bytes
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		res, err := Solve(p, set)
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		ratio := float64(alloc) / float64(want)
		t.Logf("restarts %d workers %d escapes %d: predicted %d bytes, allocated %d (ratio %.4f)",
			set.Restarts, set.Workers, set.MaxEscapes, want, alloc, ratio)
		if ratio < 0.97 || ratio > 1.03 {
			t.Errorf("settings %+v: predicted %d bytes, the solve allocated %d (ratio %.3f, want within 3%%)", set, want, alloc, ratio)
		}
		runtime.KeepAlive(res)
	}
}

func TestMemoryLimit(t *testing.T) {
	p := &Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	need := p.PredictMemory(Settings{}).Bytes
	_, err := Solve(p, Settings{MaxMemory: need - 1})
	var me *MemoryError
	if !errors.As(err, &me) || me.Need != need || me.Limit != need-1 {
		t.Fatalf("limit below the need: error %v, want a *MemoryError{%d, %d}", err, need, need-1)
	}
	if _, err := Solve(p, Settings{MaxMemory: need}); err != nil {
		t.Errorf("limit equal to the need: %v", err)
	}
	if _, err := Solve(p, Settings{MaxMemory: -1}); err != nil {
		t.Errorf("no limit: %v", err)
	}
	// A problem far beyond any machine is refused by the default limit
	// (what the process may allocate, internal/sysmem) when it is known.
	if sysmem.Current().Known() {
		big := &Problem{Counts: []int{1 << 40, 1 << 40}, Dim: 1 << 10, LambdaW: 1e-4, LambdaH: 1e-4, ReLU: true}
		if _, err := Solve(big, Settings{}); !errors.As(err, &me) {
			t.Errorf("huge problem: error %v, want a *MemoryError", err)
		}
	}
}

// TestSolveContextCancel cancels a solve that takes seconds after 50 ms:
// it must return within 200 ms of the cancellation with an error wrapping
// context.Canceled and the best point so far.
func TestSolveContextCancel(t *testing.T) {
	// K = 50 classes, d = 32: several seconds for four restarts on two
	// workers on the benchmark machine (32 MB of work vectors per worker,
	// so that allocating them is not what is measured).
	counts := make([]int, 50)
	for k := range counts {
		counts[k] = 180 - 3*k
	}
	p := &Problem{Counts: counts, Dim: 32, LambdaW: 2e-3, LambdaH: 1e-3, ReLU: true}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	t0 := time.Now()
	res, err := SolveContext(ctx, p, Settings{Seed: 1, Restarts: 4, Workers: 2})
	took := time.Since(t0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if took > 250*time.Millisecond {
		t.Errorf("returned %v after the start, %v after the cancellation", took, took-50*time.Millisecond)
	}
	if res == nil || res.Objective >= math.Inf(1) || len(res.Restarts) != 4 {
		t.Fatalf("result %+v", res)
	}
	for i, r := range res.Restarts {
		if r.Status != Canceled {
			t.Errorf("restart %d: status %v, want canceled", i, r.Status)
		}
	}
	t.Logf("canceled after 50 ms, returned after %v; best objective %.6g", took, res.Objective)

	// A deadline works the same way.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	t0 = time.Now()
	_, err = SolveContext(ctx2, p, Settings{Seed: 1, Restarts: 1})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 250*time.Millisecond {
		t.Errorf("deadline: error %v after %v", err, time.Since(t0))
	}
}
