package derivation

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// FloatPoint is a point (W, H, b) in float64 with grouped sample columns, as
// in Point: column g of Columns stands for Mult[g] samples of class
// Labels[g].
type FloatPoint struct {
	W       *mat.Dense // K x d
	B       []float64  // length K; nil without a bias
	Columns *mat.Dense // d x G
	Labels  []int      // 0-based class of each column
	Mult    []int      // multiplicity of each column, >= 1
}

// FloatPointOf rounds a Point to float64.
func FloatPointOf(pt *Point) *FloatPoint {
	k := len(pt.W)
	d := 0
	if k > 0 {
		d = len(pt.W[0])
	}
	fp := &FloatPoint{W: mat.NewDense(k, d, nil), Columns: mat.NewDense(d, len(pt.Columns), nil),
		Labels: append([]int(nil), pt.Labels...), Mult: append([]int(nil), pt.Mult...)}
	for j := range pt.W {
		for i, v := range pt.W[j] {
			f, _ := v.Float64()
			fp.W.Set(j, i, f)
		}
	}
	for g, col := range pt.Columns {
		for i, v := range col {
			f, _ := v.Float64()
			fp.Columns.Set(i, g, f)
		}
	}
	if pt.B != nil {
		fp.B = make([]float64, len(pt.B))
		for j, v := range pt.B {
			fp.B[j], _ = v.Float64()
		}
	}
	return fp
}

// HessianOptions are the tolerances of Hessian. Zero values select the
// defaults.
type HessianOptions struct {
	// ZeroTol: an eigenvalue (or cone curvature) with |lambda| <= ZeroTol *
	// lambda_max counts as zero. Default 1e-9.
	ZeroTol float64
	// SlackTol: an entry of H at 0 whose dual slack grad_H satisfies
	// |slack| <= SlackTol * sum_j |W_ji| |G_j| (the size of the terms of
	// the dot product) has zero slack. Default 1e-9.
	SlackTol float64
	// GradTol: the point counts as stationary on the free variables when
	// GradientNorm <= GradTol * GradientScale. Default 1e-8.
	GradTol float64
	// Smallest is the number of smallest eigenvalues reported. Default 8.
	Smallest int
	// MaxDim bounds the dimension of the reduced Hessian formed densely.
	// Default 3000.
	MaxDim int
}

func (o HessianOptions) withDefaults() HessianOptions {
	if o.ZeroTol <= 0 {
		o.ZeroTol = 1e-9
	}
	if o.SlackTol <= 0 {
		o.SlackTol = 1e-9
	}
	if o.GradTol <= 0 {
		o.GradTol = 1e-8
	}
	if o.Smallest <= 0 {
		o.Smallest = 8
	}
	if o.MaxDim <= 0 {
		o.MaxDim = 3000
	}
	return o
}

// ErrTooLarge reports a reduced Hessian above HessianOptions.MaxDim.
var ErrTooLarge = errors.New("derivation: Hessian too large to form densely")

// Verdict is the outcome of the second-order test.
type Verdict int

const (
	// LocalMinimum: first-order conditions hold, the Hessian on the free
	// variables is positive definite apart from the expected symmetry
	// directions, and the curvature on the zero-slack cone is >= 0.
	LocalMinimum Verdict = iota
	// NotKKT: some entry of H at 0 has a negative dual slack (or H has a
	// negative entry): f decreases to first order.
	NotKKT
	// Saddle: a negative eigenvalue of the free Hessian, or negative
	// curvature on the zero-slack cone.
	Saddle
	// Degenerate: more (near-)zero eigenvalues than the symmetries explain,
	// or a cone test that could not be completed: second order is
	// inconclusive.
	Degenerate
)

var verdictNames = [...]string{LocalMinimum: "local-minimum", NotKKT: "not-kkt", Saddle: "saddle", Degenerate: "degenerate"}

// String returns "local-minimum", "not-kkt", "saddle" or "degenerate".
func (v Verdict) String() string {
	if v >= 0 && int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText encodes the verdict by name.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// ConeReport is the second-order test on the entries of H at 0 with zero
// dual slack that lie on a zero coordinate i (W[:, i] = 0 and H[i, :] = 0).
// There the quadratic form of the Hessian decouples from every other
// variable: with a = W[:, i] and t = H[i, :] >= 0 it is
// lambda_W ||a||^2 + lambda_H ||t||^2 + 2 a^T G t, whose minimum over a is
// lambda_H ||t||^2 - ||G t||^2 / lambda_W. Grouping equal samples, the test is
// the copositivity of A = lambda_H I - C / lambda_W, C_gh = sqrt(m_g m_h) G_g . G_h,
// over u >= 0.
type ConeReport struct {
	// Coordinates is the number of zero coordinates (each gives one copy of
	// the same cone test).
	Coordinates int `json:"coordinates"`
	// Min is min over u >= 0, ||u|| = 1 of u^T A u (NaN when there are no
	// zero coordinates).
	Min float64 `json:"min"`
	// Flat is the number of flat rays (curvature within tolerance of 0) per
	// zero coordinate; at the prediction, one per alive class: moving that
	// class's direction into the unused coordinate (a rotation inside the
	// non-negative orthant).
	Flat int `json:"flat_rays"`
	// Exact is false when the minimum could not be computed exactly (mixed
	// signs off the diagonal of A and more than 16 groups); Min is then the
	// minimum over single groups, an upper bound.
	Exact bool `json:"exact"`
	// Other is the number of zero-slack entries of H outside zero
	// coordinates. They are treated as free in both directions, which makes
	// the Hessian test stricter, never looser.
	Other int `json:"other_zero_slack"`
}

// MarshalJSON writes the report with "min": null when Min is NaN (no zero
// coordinates).
func (c ConeReport) MarshalJSON() ([]byte, error) {
	type plain ConeReport
	out := struct {
		plain
		Min *float64 `json:"min"`
	}{plain: plain(c)}
	if !math.IsNaN(c.Min) {
		out.Min = &c.Min
	}
	return json.Marshal(out)
}

// HessianReport is the second-order analysis of a point.
type HessianReport struct {
	// Free variables: all of W, b when present, and the positive entries of
	// H (counted per sample).
	FreeW int `json:"free_w"`
	FreeB int `json:"free_b"`
	FreeH int `json:"free_h"`
	// FixedH counts entries of H at 0 with a positive dual slack (active
	// constraints, excluded); ZeroSlackH those with zero slack (the cone);
	// NegativeSlackH those with negative slack and NegativeH the negative
	// entries of H (either means the point is not a KKT point).
	FixedH         int `json:"fixed_h"`
	ZeroSlackH     int `json:"zero_slack_h"`
	NegativeSlackH int `json:"negative_slack_h"`
	NegativeH      int `json:"negative_h"`
	// ReducedDim is the size of the dense matrix actually decomposed (one
	// aggregated column per group of identical samples).
	ReducedDim int `json:"reduced_dim"`
	// GradientNorm is the infinity norm, in float64, of the gradient over the
	// free variables: the first-order residual at the float64 point.
	GradientNorm float64 `json:"gradient_norm"`
	// GradientScale is the largest of |lambda_W W|, |lambda_H H| and
	// |lambda_b b| (entrywise), the size of the terms that cancel in the
	// gradient.
	GradientScale float64 `json:"gradient_scale"`
	// Smallest are the smallest eigenvalues of the Hessian on the free
	// variables, ascending, with multiplicity; Largest is the largest.
	Smallest []float64 `json:"smallest"`
	Largest  float64   `json:"largest"`
	// NearZero counts eigenvalues with |lambda| <= ZeroTol * Largest and
	// Negative those below -ZeroTol * Largest.
	NearZero int `json:"near_zero"`
	Negative int `json:"negative"`
	// ExpectedZero is the number of zero eigenvalues the symmetries explain:
	// the dimension of the tangent space, inside the free variables, of the
	// orbit W -> W Q^T, H -> Q H (Q orthogonal, keeping every fixed entry of
	// H at 0). -1 when not computed (too many active coordinates).
	ExpectedZero int `json:"expected_zero"`
	// SmallestNonzero is the smallest eigenvalue above the zero tolerance
	// (0 if none): the curvature margin of the local minimum.
	SmallestNonzero float64    `json:"smallest_nonzero"`
	Cone            ConeReport `json:"cone"`
	Verdict         Verdict    `json:"verdict"`
	// Explanation lists, in words, what the counts mean.
	Explanation []string `json:"explanation"`
}

// LocalMin reports whether the point is a local minimum up to the
// symmetries (Verdict == LocalMinimum).
func (r *HessianReport) LocalMin() bool { return r.Verdict == LocalMinimum }

// group data at the point.
type hgroup struct {
	h     []float64 // features
	y     int
	m     float64
	p     []float64 // softmax
	g     []float64 // (p - e_y)/N
	free  []int     // coordinates that are free variables
	zeroC []bool    // zero-slack entries on zero coordinates (cone)
}

// Hessian analyses the second-order conditions of the problem s at pt in
// float64 (see HessianReport). The point must match s like in Evaluate.
//
// Samples in a group of m identical columns: the variations of their free
// features that sum to zero decouple exactly from every other variable, so
// each eigenvalue of the per-sample block W_F^T S W_F / N + lambda_H I (F the
// free coordinates, S = diag(p) - p p^T) appears with multiplicity m-1, and
// the remaining spectrum is that of a reduced matrix with one aggregated
// column per group (coupling scaled by sqrt(m)). The columns of W on zero
// coordinates (W[:, i] = 0 and H[i, :] = 0) decouple too, each entry with
// eigenvalue lambda_W, and are left out of the matrix. The cost is
// O((K d_a + K + sum_g |F_g|)^3) for d_a coordinates that are not zero
// coordinates; the matrix dimension must be at most opt.MaxDim.
func Hessian(s setting.Setting, pt *FloatPoint, opt HessianOptions) (*HessianReport, error) {
	opt = opt.withDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	k, d := s.K(), s.Dim
	if pt == nil || pt.W == nil || pt.Columns == nil {
		return nil, errors.New("derivation: nil point")
	}
	if r, c := pt.W.Dims(); r != k || c != d {
		return nil, fmt.Errorf("derivation: W is %dx%d, want %dx%d", r, c, k, d)
	}
	hd, ng := pt.Columns.Dims()
	if hd != d || len(pt.Labels) != ng || len(pt.Mult) != ng {
		return nil, fmt.Errorf("derivation: columns are %dx%d with %d labels and %d multiplicities", hd, ng, len(pt.Labels), len(pt.Mult))
	}
	if s.Bias != (pt.B != nil) || (pt.B != nil && len(pt.B) != k) {
		return nil, fmt.Errorf("derivation: bias of length %d for a setting with bias %t", len(pt.B), s.Bias)
	}
	per := make([]int, k)
	for g := 0; g < ng; g++ {
		if pt.Labels[g] < 0 || pt.Labels[g] >= k || pt.Mult[g] < 1 {
			return nil, fmt.Errorf("derivation: column %d has label %d and multiplicity %d", g+1, pt.Labels[g], pt.Mult[g])
		}
		per[pt.Labels[g]] += pt.Mult[g]
	}
	for c, n := range s.Counts {
		if per[c] != n {
			return nil, fmt.Errorf("derivation: class %d has %d samples in the point, want %d", c+1, per[c], n)
		}
	}
	if !finiteDense(pt.W) || !finiteDense(pt.Columns) || !finiteSlice(pt.B) {
		return nil, fmt.Errorf("derivation: hessian: %w", ErrNonFinite)
	}
	if !s.ReLU() {
		return nil, &setting.InputError{Flag: "--no-relu", Reason: "the second-order test is implemented for the ReLU model"}
	}
	h := &hessian{s: s, pt: pt, opt: opt, k: k, d: d, n: float64(s.N()),
		lw: s.LambdaW.Float64(), lh: s.LambdaH.Float64(), lb: s.LambdaB.Float64()}
	return h.run()
}

func finiteDense(m *mat.Dense) bool {
	r, c := m.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

func finiteSlice(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

type hessian struct {
	s          setting.Setting
	pt         *FloatPoint
	opt        HessianOptions
	k, d       int
	n          float64
	lw, lh, lb float64
	groups     []hgroup
	zeroCoord  []bool
}

func (h *hessian) run() (*HessianReport, error) {
	rep := h.prepare()
	return h.analyse(rep)
}

// prepare computes the per-group quantities, classifies the entries of H
// and takes the first-order residual.
func (h *hessian) prepare() *HessianReport {
	k, d := h.k, h.d
	rep := &HessianReport{FreeW: k * d, ExpectedZero: -1}
	if h.s.Bias {
		rep.FreeB = k
	}
	w := h.pt.W
	wmax := 0.0
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			wmax = math.Max(wmax, math.Abs(w.At(j, i)))
		}
	}
	// Zero coordinates: W[:, i] ~ 0 and H[i, :] = 0.
	h.zeroCoord = make([]bool, d)
	for i := 0; i < d; i++ {
		z := true
		for j := 0; j < k && z; j++ {
			z = math.Abs(w.At(j, i)) <= h.opt.SlackTol*wmax
		}
		for g := range h.pt.Labels {
			if h.pt.Columns.At(i, g) != 0 {
				z = false
			}
		}
		h.zeroCoord[i] = z
		if z {
			rep.Cone.Coordinates++
		}
	}
	// Per group: softmax, G column, classification of the entries of H.
	gradNorm := 0.0
	gradW := mat.NewDense(k, d, nil)
	gradB := make([]float64, k)
	for g := range h.pt.Labels {
		gr := hgroup{y: h.pt.Labels[g], m: float64(h.pt.Mult[g]), h: mat.Col(nil, g, h.pt.Columns)}
		z := make([]float64, k)
		for j := 0; j < k; j++ {
			for i := 0; i < d; i++ {
				z[j] += w.At(j, i) * gr.h[i]
			}
			if h.pt.B != nil {
				z[j] += h.pt.B[j]
			}
		}
		gr.p = softmax64(z)
		gr.g = make([]float64, k)
		for j := range gr.g {
			gr.g[j] = gr.p[j] / h.n
		}
		gr.g[gr.y] = -complement(gr.p, gr.y) / h.n
		gr.zeroC = make([]bool, d)
		mult := h.pt.Mult[g]
		for i := 0; i < d; i++ {
			slack, scale := h.lh*gr.h[i], 0.0
			for j := 0; j < k; j++ {
				slack += w.At(j, i) * gr.g[j]
				scale += math.Abs(w.At(j, i) * gr.g[j])
			}
			switch {
			case gr.h[i] > 0:
				gr.free = append(gr.free, i)
				rep.FreeH += mult
				gradNorm = math.Max(gradNorm, math.Abs(slack))
				rep.GradientScale = math.Max(rep.GradientScale, h.lh*gr.h[i])
			case gr.h[i] < 0:
				rep.NegativeH += mult
				gr.free = append(gr.free, i)
				rep.FreeH += mult
			case h.zeroCoord[i]:
				// W[:, i] = 0 (to tolerance): the slack is 0.
				rep.ZeroSlackH += mult
				gr.zeroC[i] = true
			case math.Abs(slack) <= h.opt.SlackTol*scale:
				rep.ZeroSlackH += mult
				rep.Cone.Other += mult
				gr.free = append(gr.free, i)
				rep.FreeH += mult
			case slack > 0:
				rep.FixedH += mult
			default:
				rep.NegativeSlackH += mult
			}
		}
		for j := 0; j < k; j++ {
			for i := 0; i < d; i++ {
				gradW.Set(j, i, gradW.At(j, i)+gr.m*gr.g[j]*gr.h[i])
			}
			gradB[j] += gr.m * gr.g[j]
		}
		h.groups = append(h.groups, gr)
	}
	for j := 0; j < k; j++ {
		for i := 0; i < d; i++ {
			gradNorm = math.Max(gradNorm, math.Abs(gradW.At(j, i)+h.lw*w.At(j, i)))
			rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lw*w.At(j, i)))
		}
		if h.pt.B != nil {
			gradNorm = math.Max(gradNorm, math.Abs(gradB[j]+h.lb*h.pt.B[j]))
			rep.GradientScale = math.Max(rep.GradientScale, math.Abs(h.lb*h.pt.B[j]))
		}
	}
	rep.GradientNorm = gradNorm
	return rep
}

// analyse forms and decomposes the Hessian and decides.
func (h *hessian) analyse(rep *HessianReport) (*HessianReport, error) {
	// Reduced Hessian and the within-group blocks.
	red, within, err := h.matrices()
	if err != nil {
		return nil, err
	}
	var eig []float64
	if red != nil {
		rep.ReducedDim = red.SymmetricDim()
		var err error
		if eig, _, err = eigenSym(red, false); err != nil {
			return nil, err
		}
	}
	// The W columns of the zero coordinates, left out of the matrix.
	for c := 0; c < h.k*rep.Cone.Coordinates; c++ {
		eig = append(eig, h.lw)
	}
	for _, wb := range within {
		vals, _, err := eigenSym(wb.block, false)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			for c := 0; c < wb.copies; c++ {
				eig = append(eig, v)
			}
		}
	}
	sort.Float64s(eig)
	for _, v := range eig {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("derivation: hessian eigenvalue: %w", ErrNonFinite)
		}
	}
	rep.Largest = eig[len(eig)-1]
	tol := h.opt.ZeroTol * math.Max(math.Abs(rep.Largest), math.Abs(eig[0]))
	for _, v := range eig {
		switch {
		case v < -tol:
			rep.Negative++
		case v <= tol:
			rep.NearZero++
		default:
			if rep.SmallestNonzero == 0 {
				rep.SmallestNonzero = v
			}
		}
	}
	rep.Smallest = append([]float64(nil), eig[:min(h.opt.Smallest, len(eig))]...)
	rep.ExpectedZero = h.symmetryDim()
	rep.Cone = h.cone(rep.Cone, tol)
	h.verdict(rep, tol)
	return rep, nil
}

// eigenSym returns the eigenvalues (ascending) and, if vectors is set, the
// eigenvectors of a. The matrix is scaled by a power of two that brings its
// largest entry near 1 (exact, and it keeps LAPACK away from the subnormal
// range); a failure or a panic of the solver is an error.
func eigenSym(a *mat.SymDense, vectors bool) (vals []float64, vecs *mat.Dense, err error) {
	n := a.SymmetricDim()
	top := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			top = math.Max(top, math.Abs(a.At(i, j)))
		}
	}
	if math.IsNaN(top) || math.IsInf(top, 0) {
		return nil, nil, fmt.Errorf("derivation: hessian: %w", ErrNonFinite)
	}
	scale := 1.0
	if top > 0 {
		_, e := math.Frexp(top)
		scale = math.Ldexp(1, -e)
	}
	b := mat.NewSymDense(n, nil)
	b.ScaleSym(scale, a)
	defer func() {
		if r := recover(); r != nil {
			vals, vecs, err = nil, nil, fmt.Errorf("derivation: symmetric eigensolver failed: %v", r)
		}
	}()
	var es mat.EigenSym
	if !es.Factorize(b, vectors) {
		return nil, nil, errors.New("derivation: symmetric eigendecomposition did not converge")
	}
	vals = es.Values(nil)
	for i := range vals {
		vals[i] /= scale
	}
	if vectors {
		vecs = new(mat.Dense)
		es.VectorsTo(vecs)
	}
	return vals, vecs, nil
}

// complement returns 1 - p_j as sum_{l != j} p_l (accurate when p_j is
// near 1).
func complement(p []float64, j int) float64 {
	c := 0.0
	for l, v := range p {
		if l != j {
			c += v
		}
	}
	return c
}

func softmax64(z []float64) []float64 {
	zmax := math.Inf(-1)
	for _, v := range z {
		zmax = math.Max(zmax, v)
	}
	p := make([]float64, len(z))
	sum := 0.0
	for j, v := range z {
		p[j] = math.Exp(v - zmax)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return p
}

type withinBlock struct {
	block  *mat.SymDense
	copies int
}

// matrices assembles the reduced Hessian: variables W (row-major over the
// coordinates that are not zero coordinates), b (K), then for each group the aggregated free features
// u = (1/sqrt(m)) sum of the group's samples' variations.
func (h *hessian) matrices() (*mat.SymDense, []withinBlock, error) {
	k := h.k
	// W columns of zero coordinates decouple (eigenvalue lambda_W, K each)
	// and are left out; wi maps (class, coordinate) to the index of W.
	na := 0
	wpos := make([]int, h.d)
	for i := range wpos {
		wpos[i] = -1
		if !h.zeroCoord[i] {
			wpos[i] = na
			na++
		}
	}
	wi := func(j, i int) int { return j*na + wpos[i] }
	nb := 0
	if h.s.Bias {
		nb = k
	}
	offB := k * na
	offH := offB + nb
	dim := offH
	offs := make([]int, len(h.groups))
	for g, gr := range h.groups {
		offs[g] = dim
		dim += len(gr.free)
	}
	if dim > h.opt.MaxDim {
		return nil, nil, fmt.Errorf("%w: %d variables after grouping, limit %d", ErrTooLarge, dim, h.opt.MaxDim)
	}
	if dim == 0 {
		// Everything is 0 on zero coordinates (global collapse, no bias).
		return nil, nil, nil
	}
	a := mat.NewSymDense(dim, nil)
	add := func(i, j int, v float64) {
		if i == j {
			a.SetSym(i, i, a.At(i, i)+v)
			return
		}
		a.SetSym(i, j, a.At(i, j)+v)
	}
	for i := 0; i < k*na; i++ {
		add(i, i, h.lw)
	}
	for j := 0; j < nb; j++ {
		add(offB+j, offB+j, h.lb)
	}
	w := h.pt.W
	var within []withinBlock
	for g, gr := range h.groups {
		// S/N and (S W)/N.
		sn := make([][]float64, k)
		for j := range sn {
			sn[j] = make([]float64, k)
			for l := range sn[j] {
				v := -gr.p[j] * gr.p[l]
				if j == l {
					v = gr.p[j] * complement(gr.p, j)
				}
				sn[j][l] = v / h.n
			}
		}
		sw := make([][]float64, k) // (S W / N)[j][i]
		for j := range sw {
			sw[j] = make([]float64, h.d)
			for i := 0; i < h.d; i++ {
				for l := 0; l < k; l++ {
					sw[j][i] += sn[j][l] * w.At(l, i)
				}
			}
		}
		var nz []int
		for i, v := range gr.h {
			if v != 0 {
				nz = append(nz, i)
			}
		}
		m, sm := gr.m, math.Sqrt(gr.m)
		for j := 0; j < k; j++ {
			for l := 0; l <= j; l++ {
				for _, i := range nz {
					for _, i2 := range nz {
						r, c := wi(j, i), wi(l, i2)
						if l == j && c > r {
							continue
						}
						add(r, c, m*sn[j][l]*gr.h[i]*gr.h[i2])
					}
				}
			}
			for l := 0; l < nb; l++ {
				for _, i := range nz {
					add(wi(j, i), offB+l, m*sn[j][l]*gr.h[i])
				}
				if l <= j {
					add(offB+j, offB+l, m*sn[j][l])
				}
			}
		}
		// Couplings with the aggregated free features.
		for q, i2 := range gr.free {
			col := offs[g] + q
			for j := 0; j < k; j++ {
				for _, i := range nz {
					add(wi(j, i), col, sm*sw[j][i2]*gr.h[i])
				}
				add(wi(j, i2), col, sm*gr.g[j])
				if nb > 0 {
					add(offB+j, col, sm*sw[j][i2])
				}
			}
		}
		// The per-sample block W_F^T S W_F / N + lambda_H I.
		nf := len(gr.free)
		if nf == 0 {
			continue
		}
		blk := mat.NewSymDense(nf, nil)
		for q, i := range gr.free {
			for q2 := 0; q2 <= q; q2++ {
				i2 := gr.free[q2]
				v := 0.0
				for j := 0; j < k; j++ {
					v += w.At(j, i) * sw[j][i2]
				}
				if q == q2 {
					v += h.lh
				}
				blk.SetSym(q, q2, v)
				add(offs[g]+q, offs[g]+q2, v)
			}
		}
		if gr.m > 1 {
			within = append(within, withinBlock{block: blk, copies: h.pt.Mult[g] - 1})
		}
	}
	return a, within, nil
}

// Limits of symmetryDim: the number of rotation generators, and the work
// (rows times squared width) of the Gram matrices it accumulates.
const (
	maxSkew    = 1500
	maxSymWork = 2e9
	symRelTol  = 1e-12 // eigenvalue of a Gram matrix counted as 0, relative to the largest
)

// symmetryDim returns the dimension of the tangent space of the rotation
// orbit inside the free variables: generators A (skew-symmetric on the
// active coordinates) with (A H) = 0 on every entry of H that is not free,
// mapped to (-W A, A H on the free entries). Both the constraint and the
// image are handled through their Gram matrices, accumulated from sparse
// rows. -1 when too large.
func (h *hessian) symmetryDim() int {
	k, d := h.k, h.d
	var act []int
	pos := make([]int, d) // position of a coordinate in act, -1 if inactive
	for i := 0; i < d; i++ {
		pos[i] = -1
		if !h.zeroCoord[i] {
			pos[i] = len(act)
			act = append(act, i)
		}
	}
	na := len(act)
	nsk := na * (na - 1) / 2
	if nsk == 0 {
		return 0
	}
	if nsk > maxSkew {
		return -1
	}
	// Generator q <-> pair (a, b), a < b (positions in act): A = E_ab - E_ba.
	pairIndex := func(x, y int) int { // x < y
		return x*na - x*(x+1)/2 + (y - x - 1)
	}
	type entry struct {
		q int
		v float64
	}
	// rowOf returns the sparse row of (A H)_{i,g} over generators: row a of
	// A H is H[b, g] for pairs (a, b), and -H[a', g] for pairs (a', i).
	rowOf := func(gr *hgroup, i int) []entry {
		x := pos[i]
		var row []entry
		for y := 0; y < na; y++ {
			if y == x {
				continue
			}
			if y > x {
				if v := gr.h[act[y]]; v != 0 {
					row = append(row, entry{pairIndex(x, y), v})
				}
			} else if v := gr.h[act[y]]; v != 0 {
				row = append(row, entry{pairIndex(y, x), -v})
			}
		}
		return row
	}
	isFree := func(gr *hgroup, i int) bool {
		for _, f := range gr.free {
			if f == i {
				return true
			}
		}
		return false
	}
	// Constraint Gram matrix.
	if float64(len(h.groups))*float64(na)*float64(na)*float64(na) > maxSymWork {
		return -1
	}
	cg := mat.NewSymDense(nsk, nil)
	for gi := range h.groups {
		gr := &h.groups[gi]
		for _, i := range act {
			if isFree(gr, i) {
				continue
			}
			row := rowOf(gr, i)
			for _, e1 := range row {
				for _, e2 := range row {
					if e2.q <= e1.q {
						cg.SetSym(e1.q, e2.q, cg.At(e1.q, e2.q)+e1.v*e2.v)
					}
				}
			}
		}
	}
	kernel := nullSpace(cg)
	if kernel == nil {
		return 0
	}
	_, nk := kernel.Dims()
	rowsCount := float64(k*na) + float64(len(h.groups)*na)
	if rowsCount*float64(nk)*float64(nk) > maxSymWork {
		return -1
	}
	// Image Gram matrix: rows (-W A)_{j,i} and sqrt(m) (A H)_{i,g} on free
	// entries, each a combination of the kernel columns.
	ig := mat.NewSymDense(nk, nil)
	addRow := func(row []entry, scale float64) {
		dense := make([]float64, nk)
		for _, e := range row {
			for c := 0; c < nk; c++ {
				dense[c] += e.v * kernel.At(e.q, c)
			}
		}
		for c := 0; c < nk; c++ {
			for c2 := 0; c2 <= c; c2++ {
				ig.SetSym(c, c2, ig.At(c, c2)+scale*dense[c]*dense[c2])
			}
		}
	}
	for j := 0; j < k; j++ {
		for x := range act {
			// (W A)_{j,i} = sum_l W_{j,l} A_{l,i}: A_{a,i} = 1 for pairs (a, i),
			// A_{b,i} = -1 for pairs (i, b).
			var row []entry
			for y := 0; y < na; y++ {
				if y < x {
					row = append(row, entry{pairIndex(y, x), -h.pt.W.At(j, act[y])})
				} else if y > x {
					row = append(row, entry{pairIndex(x, y), h.pt.W.At(j, act[y])})
				}
			}
			addRow(row, 1)
		}
	}
	for gi := range h.groups {
		gr := &h.groups[gi]
		for _, i := range gr.free {
			if pos[i] < 0 {
				continue
			}
			addRow(rowOf(gr, i), gr.m)
		}
	}
	vals, _, err := eigenSym(ig, false)
	if err != nil {
		return -1
	}
	top := vals[len(vals)-1]
	r := 0
	for _, v := range vals {
		if v > symRelTol*top {
			r++
		}
	}
	return r
}

// nullSpace returns an orthonormal basis (columns) of the null space of a
// matrix given by its Gram matrix g = C^T C: the eigenvectors of g with
// eigenvalue at most symRelTol times the largest; nil if there are none.
func nullSpace(g *mat.SymDense) *mat.Dense {
	n := g.SymmetricDim()
	vals, vecs, err := eigenSym(g, true)
	if err != nil {
		return nil
	}
	top := math.Max(vals[len(vals)-1], 0)
	var cols []int
	for c, v := range vals {
		if v <= symRelTol*top {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	out := mat.NewDense(n, len(cols), nil)
	for c, src := range cols {
		for r := 0; r < n; r++ {
			out.Set(r, c, vecs.At(r, src))
		}
	}
	return out
}

// cone computes the copositivity test on the zero coordinates.
func (h *hessian) cone(c ConeReport, tol float64) ConeReport {
	c.Min, c.Exact = math.NaN(), true
	if c.Coordinates == 0 {
		return c
	}
	// The groups that have zero-slack entries on the zero coordinates (all of
	// them, since H is 0 there; groups whose entry there is fixed by a
	// positive slack cannot exist as W[:, i] = 0 makes the slack 0).
	var gs []int
	for g := range h.groups {
		for i, z := range h.groups[g].zeroC {
			if z && h.zeroCoord[i] {
				gs = append(gs, g)
				break
			}
		}
	}
	n := len(gs)
	if n == 0 {
		return c
	}
	a := mat.NewSymDense(n, nil)
	mixed := false
	for x, g := range gs {
		for y := 0; y <= x; y++ {
			g2 := gs[y]
			dot := 0.0
			for j := range h.groups[g].g {
				dot += h.groups[g].g[j] * h.groups[g2].g[j]
			}
			v := -math.Sqrt(h.groups[g].m*h.groups[g2].m) * dot / h.lw
			if x == y {
				v += h.lh
			} else if v < -tol {
				mixed = true
			}
			a.SetSym(x, y, v)
		}
	}
	c.Min = math.Inf(1)
	c.Flat = 0
	if !mixed || n > 16 {
		// Non-negative off-diagonal: the minimum over u >= 0 is at a vertex.
		for x := 0; x < n; x++ {
			v := a.At(x, x)
			c.Min = math.Min(c.Min, v)
			if math.Abs(v) <= tol {
				c.Flat++
			}
		}
		c.Exact = !mixed
		return c
	}
	// Exact: the minimum over the non-negative part of the sphere is attained
	// at a point whose support S makes it a positive eigenvector of A_S.
	for mask := 1; mask < 1<<n; mask++ {
		var idx []int
		for x := 0; x < n; x++ {
			if mask&(1<<x) != 0 {
				idx = append(idx, x)
			}
		}
		sub := mat.NewSymDense(len(idx), nil)
		for p, x := range idx {
			for q := 0; q <= p; q++ {
				sub.SetSym(p, q, a.At(x, idx[q]))
			}
		}
		vals, vec, err := eigenSym(sub, true)
		if err != nil {
			c.Exact = false
			continue
		}
		for col, lam := range vals {
			pos, neg := true, true
			for r := range idx {
				v := vec.At(r, col)
				pos = pos && v > 0
				neg = neg && v < 0
			}
			if pos || neg {
				c.Min = math.Min(c.Min, lam)
				if math.Abs(lam) <= tol {
					c.Flat++
				}
			}
		}
	}
	return c
}

// verdict decides and explains.
func (h *hessian) verdict(r *HessianReport, tol float64) {
	ex := func(format string, args ...any) { r.Explanation = append(r.Explanation, fmt.Sprintf(format, args...)) }
	ex("free variables: %d of W, %d of b, %d positive entries of H; %d entries of H at 0 with positive slack are fixed (active constraints)",
		r.FreeW, r.FreeB, r.FreeH, r.FixedH)
	ex("within-class variations: each group of m identical samples contributes its sample block's eigenvalues (>= lambda_H) m-1 times")
	switch {
	case r.ExpectedZero < 0:
		ex("symmetry count not computed (more than %d rotation generators)", maxSkew)
	case r.ExpectedZero == 0:
		ex("no rotation W -> W Q^T, H -> Q H keeps the fixed zeros of H at 0 and moves the point: no zero eigenvalue is expected (the softmax shift z -> z + c 1 is not a symmetry: the penalty on W and b has curvature lambda_W K, lambda_b K along it)")
	default:
		ex("%d zero eigenvalue(s) expected from rotations W -> W Q^T, H -> Q H that keep the fixed zeros of H at 0 (rotations inside a class's support)", r.ExpectedZero)
	}
	if r.Cone.Coordinates > 0 {
		ex("%d unused coordinate(s) (W column and H row zero): curvature after optimising the W column, min over t >= 0 of lambda_H |t|^2 - |G t|^2 / lambda_W = %.6g per unit |t|^2, %d flat ray(s) per coordinate: moving one class's features into the unused coordinate (a rotation inside the non-negative orthant)",
			r.Cone.Coordinates, r.Cone.Min, r.Cone.Flat)
	}
	if r.Cone.Other > 0 {
		ex("%d zero-slack entries of H outside unused coordinates were treated as free in both directions (a stricter test)", r.Cone.Other)
	}
	switch {
	case r.GradientNorm > h.opt.GradTol*r.GradientScale:
		r.Verdict = NotKKT
		ex("not a KKT point: the gradient on the free variables is %.3g (gradient terms of size %.3g); the Hessian describes a non-stationary point", r.GradientNorm, r.GradientScale)
	case r.NegativeSlackH > 0 || r.NegativeH > 0:
		r.Verdict = NotKKT
		ex("not a KKT point: %d entries of H at 0 have a negative slack and %d are negative; f decreases to first order", r.NegativeSlackH, r.NegativeH)
	case r.Negative > 0:
		r.Verdict = Saddle
		ex("%d negative eigenvalue(s): a descent direction of second order", r.Negative)
	case r.Cone.Coordinates > 0 && r.Cone.Min < -tol:
		r.Verdict = Saddle
		ex("negative curvature into an unused coordinate: a feature direction that grows from 0 lowers f")
	case (r.ExpectedZero >= 0 && r.NearZero != r.ExpectedZero) || (r.ExpectedZero < 0 && r.NearZero > 0):
		r.Verdict = Degenerate
		ex("%d near-zero eigenvalue(s) where the symmetries explain %d: the second-order test is inconclusive", r.NearZero, r.ExpectedZero)
	case !r.Cone.Exact:
		r.Verdict = Degenerate
		ex("the curvature into unused coordinates could not be computed exactly (more than 16 groups with mixed signs): inconclusive")
	default:
		r.Verdict = LocalMinimum
		ex("local minimum up to the symmetries: %d near-zero eigenvalue(s), all explained; smallest other eigenvalue %.6g (largest %.6g)",
			r.NearZero, r.SmallestNonzero, r.Largest)
	}
}

// HessianAtPrediction analyses the float64 rounding of the explicit
// minimizer of p (grouped by class).
func HessianAtPrediction(p *closedform.Prediction, opt HessianOptions) (*HessianReport, error) {
	m, err := p.Minimizer()
	if err != nil {
		return nil, fmt.Errorf("derivation: minimizer of %s: %w", p.Setting, err)
	}
	return Hessian(p.Setting, FloatPointOf(MinimizerPoint(m)), opt)
}

// HessianAtBiasPrediction analyses the float64 rounding of the explicit
// point of the bias prediction p.
func HessianAtBiasPrediction(p *closedform.BiasPrediction, opt HessianOptions) (*HessianReport, error) {
	m, err := p.Minimizer()
	if err != nil {
		return nil, fmt.Errorf("derivation: bias minimizer of %s: %w", p.Setting, err)
	}
	return Hessian(p.Setting, FloatPointOf(BiasMinimizerPoint(m)), opt)
}

// FloatSamplePoint groups a float64 point with per-sample features (W K x d,
// H d x N, labels[s] the 0-based class of sample s, b of length K or nil)
// into a FloatPoint; identical columns of the same class are merged.
func FloatSamplePoint(w, h *mat.Dense, b []float64, labels []int) (*FloatPoint, error) {
	pt, err := SamplePoint(w, h, b, labels)
	if err != nil {
		return nil, err
	}
	return FloatPointOf(pt), nil
}
