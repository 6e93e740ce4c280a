package verify

import (
	"fmt"
	"math"
	"math/big"
	"sort"

	"nccheck/setting"
)

// SELIPath is the distance to SELI (Row.SELI.Max) along a path lambda -> 0:
// the rows of one count vector, d and ratio lambda_H / lambda_W at several
// lambda_W, in increasing order of lambda_W.
type SELIPath struct {
	Counts []int
	D      int
	// Ratio is lambda_H / lambda_W, exact ("1", "1/10", ...).
	Ratio string
	// LambdaW are the path's lambda_W, Dist the largest distance to SELI
	// at each.
	LambdaW, Dist []float64
	// All fits every point of the path, Tail the smaller half of its
	// lambda_W (the ceil(n/2) smallest, at least three): a rate the tail
	// confirms is the asymptotic one, and a slope that drifts from All to
	// Tail says the model is not the path's.
	All, Tail PathFits
}

// PathFits are the two models fitted to the same points of a path.
type PathFits struct {
	// Points is the number of points fitted (the smallest lambda_W of the
	// path).
	Points int
	// Log fits dist = C (log(1/lambda_W))^Slope (a rate in 1/log(1/lambda));
	// Power fits dist = C lambda_W^Slope (a power law). The model with the
	// smaller RMS describes the points better.
	Log, Power PathFit
}

// PathFit is a least-squares line log(dist) = Intercept + Slope x through
// the points of a path, x = log(log(1/lambda_W)) for SELIPath.Log and
// x = log(lambda_W) for SELIPath.Power; RMS is the root mean square of the
// residuals in log(dist), MaxResidual the largest in magnitude.
type PathFit struct {
	Slope, Intercept, RMS, MaxResidual float64
}

// SELIPaths groups the rows with a defined distance to SELI into paths
// (same counts, d and lambda_H / lambda_W; one row per setting when rows
// compare several theories) of at least three lambda_W below 1, and fits
// both models to each. Balanced counts are left out: their minimizer is
// the simplex ETF, SELI itself, at every lambda, so there is no path to
// fit. Paths come in the order of their first row.
func SELIPaths(rows []Row) []SELIPath {
	var order []string
	paths := map[string]*SELIPath{}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.SELI == nil || r.SELI.Max == nil || !(*r.SELI.Max > 0) || balanced(r.Setting.N) {
			continue
		}
		s, err := r.Setting.Setting()
		if err != nil || !(s.LambdaW.Float64() < 1) {
			continue
		}
		id := s.String()
		if seen[id] {
			continue
		}
		seen[id] = true
		ratio := new(big.Rat).Quo(s.LambdaH.Rat(), s.LambdaW.Rat()).RatString()
		key := fmt.Sprintf("%s|%d|%s", setting.FormatCounts(s.Counts), s.Dim, ratio)
		p := paths[key]
		if p == nil {
			p = &SELIPath{Counts: append([]int(nil), s.Counts...), D: s.Dim, Ratio: ratio}
			paths[key] = p
			order = append(order, key)
		}
		p.LambdaW = append(p.LambdaW, s.LambdaW.Float64())
		p.Dist = append(p.Dist, *r.SELI.Max)
	}
	var out []SELIPath
	for _, key := range order {
		p := paths[key]
		if len(p.LambdaW) < 3 {
			continue
		}
		idx := make([]int, len(p.LambdaW))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return p.LambdaW[idx[a]] < p.LambdaW[idx[b]] })
		lw, dist := make([]float64, len(idx)), make([]float64, len(idx))
		for i, j := range idx {
			lw[i], dist[i] = p.LambdaW[j], p.Dist[j]
		}
		p.LambdaW, p.Dist = lw, dist
		p.All = fitPath(lw, dist)
		tail := max(3, (len(lw)+1)/2)
		p.Tail = fitPath(lw[:tail], dist[:tail])
		out = append(out, *p)
	}
	return out
}

// fitPath fits both models to the points (lambda_W below 1, distances
// positive, at least two distinct lambda_W).
func fitPath(lw, dist []float64) PathFits {
	logX, powX, y := make([]float64, len(lw)), make([]float64, len(lw)), make([]float64, len(lw))
	for i := range lw {
		logX[i], powX[i], y[i] = math.Log(math.Log(1/lw[i])), math.Log(lw[i]), math.Log(dist[i])
	}
	return PathFits{Points: len(lw), Log: fitLine(logX, y), Power: fitLine(powX, y)}
}

// balanced reports whether every count is the same.
func balanced(n []int) bool {
	for _, c := range n {
		if c != n[0] {
			return false
		}
	}
	return true
}

// fitLine is the ordinary least-squares line y = a + b x (at least two
// distinct x) with its residuals' RMS and largest magnitude.
func fitLine(x, y []float64) PathFit {
	n := float64(len(x))
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i] / n
		my += y[i] / n
	}
	sxx, sxy := 0.0, 0.0
	for i := range x {
		sxx += (x[i] - mx) * (x[i] - mx)
		sxy += (x[i] - mx) * (y[i] - my)
	}
	f := PathFit{Slope: sxy / sxx}
	f.Intercept = my - f.Slope*mx
	ss := 0.0
	for i := range x {
		e := y[i] - f.Intercept - f.Slope*x[i]
		ss += e * e
		f.MaxResidual = math.Max(f.MaxResidual, math.Abs(e))
	}
	f.RMS = math.Sqrt(ss / n)
	return f
}

// String is three lines (no final newline): the path, and both fits to
// all its points and to its tail, with the RMS of their residuals in
// log(dist).
func (p SELIPath) String() string {
	line := func(name string, f PathFits) string {
		return fmt.Sprintf("  %s %d: dist ~ (log 1/lambda_W)^%.3g (rms %.2g in log dist); dist ~ lambda_W^%.3g (rms %.2g)",
			name, f.Points, f.Log.Slope, f.Log.RMS, f.Power.Slope, f.Power.RMS)
	}
	return fmt.Sprintf("SELI path n = %s, d = %d, lambda_H/lambda_W = %s, lambda_W %.3g..%.3g:\n%s\n%s",
		setting.FormatCounts(p.Counts), p.D, p.Ratio, p.LambdaW[0], p.LambdaW[len(p.LambdaW)-1],
		line("all", p.All), line("smallest", p.Tail))
}
