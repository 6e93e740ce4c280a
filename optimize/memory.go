package optimize

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MemoryBytes predicts the memory, in bytes, that Solve(p, set) allocates,
// before it starts. With nv = p.NumVars() = (K + N) d (+ K with a bias),
// W = min(Workers, Restarts) restarts running at once, m = the LBFGSB
// memory (default 5), kp = K rounded up to a multiple of 8, k4 = K rounded
// up to a multiple of 4 and G = min(16, ceil(N / blockSize(d))) evaluation
// groups (blockSize(d) = max(16, min(2048, 32768/d)) samples), it is
//
//	8 bytes x [ W (V nv + N (kp + 1 + E) + G k4 d + d kp) + X nv + nv ]
//
// where, per running restart (one evaluator each, reused for its later
// restarts):
//
//   - V = 4 + 2(m+1) vectors of LBFGSB (gradient, trial point, its
//     gradient, direction, m+1 slots of s and of y), plus 3 for the escape
//     step (trial point, consolidated point, gradient) unless MaxEscapes
//     is negative; ProjectedGradient keeps 1 (its gradient) instead of the
//     4 + 2(m+1), and the vectors of any other Method are not counted;
//   - N (kp + 1) for the evaluator's logits (N x kp) and labels, E = 1 for
//     the per-sample losses of the escape step (0 without escapes), G k4 d
//     for its per-group partial G H^T and d kp for W^T;
//
// X = W + min(Restarts - W, W) points (each worker's running restart and
// the best of its finished ones), and nv for Result.Point (copies of W and
// H). The rest (chunk scratch, the small matrices of the local method,
// K x K and K x d matrices of the escapes) is about
// 8 (16 (S + 1280) + 5 (m+1)^2 + 2m (2m+1) + 4 K^2 + 4 K d) bytes per
// running restart, S = 7 + 3m + 2(m+1)(m+2) + 4(m+1), and is included.
//
// H alone is 8 N d bytes, so with the defaults (m = 5, escapes on) a solve
// needs about 8 (19 W + X + 1) nv bytes plus the logits: 21 vectors, 168
// bytes per variable, for one restart (Restarts: 1; W = X = 1; 176 bytes
// per variable on the K = 100, d = 128 setting, whose logits take as much
// as another vector). The prediction was measured within 1% of the bytes a
// solve allocates (runtime.MemStats.TotalAlloc; TestMemoryBytesMeasured
// asserts 3%) and within 3% of the peak resident memory of a process
// running one solve (BENCHMARKS.md); the rest is the Go runtime and the
// garbage of small per-step allocations.
func (p *Problem) MemoryBytes(set Settings) int64 {
	set = set.withDefaults(p)
	K, d, N := int64(p.K()), int64(p.Dim), int64(p.N())
	nv := int64(p.NumVars())
	w := int64(max(1, min(set.Workers, set.Restarts)))
	x := w + min(int64(set.Restarts)-w, w)
	m := int64(5)
	var vec int64
	switch method := set.Method.(type) {
	case LBFGSB:
		if method.Memory > 0 {
			m = int64(method.Memory)
		}
		vec = 4 + 2*(m+1)
	case *LBFGSB:
		if method != nil && method.Memory > 0 {
			m = int64(method.Memory)
		}
		vec = 4 + 2*(m+1)
	case ProjectedGradient, *ProjectedGradient:
		vec = 1
	}
	esc := int64(0)
	if set.MaxEscapes > 0 {
		vec += 3
		esc = 1
	}
	kp := (K + 7) &^ 7
	k4 := (K + 3) &^ 3
	bs := int64(blockSize(p.Dim))
	g := min((N+bs-1)/bs, evalGroups)
	perWorker := vec*nv + N*(kp+1+esc) + g*k4*d + d*kp
	small := 16*(int64(updateSums(int(m)))+1024+subChunk/2) + 5*(m+1)*(m+1) + 2*m*(2*m+1) + 4*K*K + 4*K*d
	return 8 * (w*(perWorker+small) + x*nv + nv)
}

// MemoryError is the error of a solve refused because the memory it needs
// (Problem.MemoryBytes) exceeds the limit (Settings.MaxMemory).
type MemoryError struct {
	Need, Limit int64 // bytes
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("optimize: the solve needs about %s of memory (predicted), above the limit of %s", formatBytes(e.Need), formatBytes(e.Limit))
}

// formatBytes writes n bytes in the largest binary unit that keeps it >= 1.
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
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
// positive, the available memory for 0 (0 when unknown: no limit), and 0
// (no limit) when negative.
func memoryLimit(max int64) int64 {
	switch {
	case max > 0:
		return max
	case max < 0:
		return 0
	}
	avail, _ := AvailableMemory()
	return avail
}

// AvailableMemory returns the memory the operating system reports as
// available for new allocations without swapping (MemAvailable of
// /proc/meminfo, Linux), and false where it cannot be read.
func AvailableMemory() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}
