package optimize

import (
	"fmt"

	"nccheck/internal/sysmem"
)

// MemoryPrediction is the memory a solve allocates, predicted before it
// starts by Problem.PredictMemory, and what it counts.
type MemoryPrediction struct {
	// Bytes is the total: Running x PerRestart + Points.
	Bytes int64
	// Running is the number of restarts held in memory at once,
	// min(Workers, Restarts): each worker keeps the evaluator, the method's
	// and the escapes' work vectors of one restart (reused by its later
	// restarts). Restarts is the number of restarts of the solve.
	Running, Restarts int
	// PerRestart is the memory of one running restart.
	PerRestart int64
	// Points is the memory of the points: each worker's running restart
	// and the best of its finished ones, and Result.Point.
	Points int64
	// MethodKnown reports that the method's own memory is counted (it
	// implements MemoryReporter, as the built-in methods do); when false,
	// only the rest is.
	MethodKnown bool
}

// String states the figure and what it counts, e.g. "about 1.4 TiB
// (predicted: 2 of 4 restarts at once, 641 GiB each, and 149 GiB for the
// points)".
func (m MemoryPrediction) String() string {
	s := fmt.Sprintf("about %s (predicted: %d of %d restarts at once, %s each, and %s for the points",
		formatBytes(m.Bytes), m.Running, m.Restarts, formatBytes(m.PerRestart), formatBytes(m.Points))
	if !m.MethodKnown {
		s += "; the local method's own memory is not known"
	}
	return s + ")"
}

// PredictMemory predicts the memory, in bytes, that Solve(p, set) allocates,
// before it starts; Solve refuses a solve above Settings.MaxMemory with it,
// and the command-line front ends report it. With nv = p.NumVars() =
// (K + N) d (+ K with a bias), W = min(Workers, Restarts) restarts running
// at once, kp = K rounded up to a multiple of 8, k4 = K rounded up to a
// multiple of 4 and G = min(16, ceil(N / blockSize(d))) evaluation groups
// (blockSize(d) = max(16, min(2048, 32768/d)) samples), it is
//
//	W (M + 8 [ N (kp + 1) + G k4 d + d kp + 4 K^2 + 4 K d + E (3 nv + N) ]) + 8 (X + 1) nv
//
// where, per running restart (one evaluator each, reused for its later
// restarts): M is the method's memory (MemoryReporter; LBFGSB with m pairs:
// 8 (4 + 2(m+1)) nv plus small matrices, ProjectedGradient: 8 nv); N (kp +
// 1) the evaluator's logits (N x kp) and labels, G k4 d its per-group
// partial G H^T and d kp W^T; 4 K^2 + 4 K d the class sums and means of the
// escape tests; E = 1 (0 when MaxEscapes is negative) for the escape
// step's trial point, consolidated point and gradient and its per-sample
// losses. X = W + min(Restarts - W, W) points (each worker's running
// restart and the best of its finished ones), and one nv for Result.Point
// (copies of W and H). The prediction is the same for every loss (the
// losses are computed in place in the logits).
//
// H alone is 8 N d bytes, so with the defaults (LBFGSB, m = 5, escapes on)
// a solve needs about 8 (19 W + X + 1) nv bytes plus the logits: 21
// vectors, 168 bytes per variable, for one restart (Restarts: 1; W = X = 1;
// 176 bytes per variable on the K = 100, d = 128 setting, whose logits take
// as much as another vector). The prediction was measured within 1% of the
// bytes a solve allocates (runtime.MemStats.TotalAlloc;
// TestMemoryBytesMeasured asserts 3%) and within 3% of the peak resident
// memory of a process running one solve (BENCHMARKS.md); the rest is the Go
// runtime and the garbage of small per-step allocations. A Certifier's
// memory is not counted.
func (p *Problem) PredictMemory(set Settings) MemoryPrediction {
	set = set.withDefaults(p)
	K, d, N := int64(p.K()), int64(p.Dim), int64(p.N())
	nv := int64(p.NumVars())
	w := int64(max(1, min(set.Workers, set.Restarts)))
	x := w + max(0, min(int64(set.Restarts)-w, w))
	pred := MemoryPrediction{Running: int(w), Restarts: set.Restarts}
	var method int64
	if r, ok := set.NewMethod().(MemoryReporter); ok {
		method = r.MemoryBytes(p)
		pred.MethodKnown = true
	}
	esc := int64(0)
	if set.MaxEscapes > 0 {
		esc = 3*nv + N
	}
	kp := (K + 7) &^ 7
	k4 := (K + 3) &^ 3
	bs := int64(blockSize(p.Dim))
	g := min((N+bs-1)/bs, evalGroups)
	pred.PerRestart = method + 8*(N*(kp+1)+g*k4*d+d*kp+4*K*K+4*K*d+esc)
	pred.Points = 8 * (x + 1) * nv
	pred.Bytes = w*pred.PerRestart + pred.Points
	return pred
}

// MemoryError is the error of a solve refused because the memory it needs
// (Problem.PredictMemory) exceeds the limit (Settings.MaxMemory).
type MemoryError struct {
	Need, Limit int64 // bytes; Need is Prediction.Bytes
	Prediction  MemoryPrediction
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("optimize: the solve needs %v, above the limit of %s", e.Prediction, formatBytes(e.Limit))
}

// formatBytes writes n bytes in the largest binary unit that keeps it >= 1.
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.3g %s", v, units[u])
}

// memoryLimit returns the limit of Settings.MaxMemory: the value itself if
// positive, for 0 the memory the process may still allocate (the smallest
// of MemAvailable, RLIMIT_AS/RLIMIT_DATA and the cgroup limit, see
// internal/sysmem; 0 when none is known: no limit), and 0 (no limit) when
// negative.
func memoryLimit(max int64) int64 {
	switch {
	case max > 0:
		return max
	case max < 0:
		return 0
	}
	l := sysmem.Current()
	switch {
	case !l.Known():
		return 0
	case l.Bytes < 1:
		return 1 // a known limit without headroom refuses every solve
	}
	return l.Bytes
}
