package derivation

// The second-order test of package derivation, in four stages, one file
// each: the API and the entry point (this file); the first-order quantities
// and the classification of the entries of H (hessian_first.go); the reduced
// Hessian and its spectrum (hessian_spectrum.go); the symmetries that
// explain zero eigenvalues (hessian_symmetry.go); and the cone test on the
// unused coordinates with the verdict (hessian_cone.go).

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"nccheck/closedform"
	"nccheck/setting"
)

// floatPoint is a Point rounded to float64: column g of Columns stands for
// Mult[g] samples of class Labels[g].
type floatPoint struct {
	W       *mat.Dense // K x d
	B       []float64  // length K; nil without a bias
	Columns *mat.Dense // d x G
	Labels  []int      // 0-based class of each column
	Mult    []int      // multiplicity of each column, >= 1
}

// floatPointOf rounds a Point to float64.
func floatPointOf(pt *Point) *floatPoint {
	k := len(pt.W)
	d := 0
	if k > 0 {
		d = len(pt.W[0])
	}
	fp := &floatPoint{W: mat.NewDense(k, d, nil), Columns: mat.NewDense(d, len(pt.Columns), nil),
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

// String returns "local-minimum", "not-kkt", "saddle" or "degenerate".
func (v Verdict) String() string {
	switch v {
	case LocalMinimum:
		return "local-minimum"
	case NotKKT:
		return "not-kkt"
	case Saddle:
		return "saddle"
	case Degenerate:
		return "degenerate"
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
	// H at 0), plus BiasShift. -1 when not computed (too many active
	// coordinates).
	ExpectedZero int `json:"expected_zero"`
	// BiasShift is 1 when the shift b -> b + t 1 is a symmetry: an
	// unregularised bias (lambda_b = 0) with a softmax loss (ce, ls:A), whose
	// value depends on the logits only through their differences. It is then
	// an exact null vector of the Hessian (S 1 = 0 for S = diag(p) - p p^T).
	// 0 otherwise (a penalised bias, MSE, or no bias).
	BiasShift int `json:"bias_shift,omitempty"`
	// SmallestNonzero is the smallest eigenvalue above the zero tolerance
	// (0 if none): the curvature margin of the local minimum.
	SmallestNonzero float64 `json:"smallest_nonzero"`
	// Cone is the test on the entries of H at 0 with zero slack (ReLU
	// model only; without the constraint there is no cone: Coordinates 0).
	Cone ConeReport `json:"cone"`
	// Plain reports the plain UFM (no constraint H >= 0): every entry of H is
	// a free variable, and ExpectedZero is the dimension of the orbit of the
	// full rotation group O(d) through the point, r d - r (r+1)/2 with
	// r = SpanRank = rank [W^T H] (numerically: eigenvalues of the Gram
	// matrix above 1e-12 times the largest); the rotations that fix the span
	// of the point pointwise, O(d - r), are the stabiliser.
	Plain    bool `json:"plain_ufm,omitempty"`
	SpanRank int  `json:"span_rank,omitempty"`
	// Unused (plain UFM) are the coordinates i with W[:, i] = 0 and
	// H[i, :] = 0. Each decouples exactly from the rest as the block
	// [[lambda_W I_K, B], [B^T, lambda_H I_G]], B = [sqrt(m_g) G_g] (one
	// column per group of m_g identical samples), plus lambda_H for every
	// within-group variation; UnusedMin is that block's smallest eigenvalue
	// and UnusedZero its near-zero eigenvalues, counted once per coordinate
	// in NearZero.
	Unused     int      `json:"unused_coordinates,omitempty"`
	UnusedMin  *float64 `json:"unused_min,omitempty"`
	UnusedZero int      `json:"unused_zero,omitempty"`
	Verdict    Verdict  `json:"verdict"`
	// Explanation lists, in words, what the counts mean.
	Explanation []string `json:"explanation"`
}

// LocalMin reports whether the point is a local minimum up to the
// symmetries (Verdict == LocalMinimum).
func (r *HessianReport) LocalMin() bool { return r.Verdict == LocalMinimum }

// hgroup is the data of one column of the point (m identical samples).
type hgroup struct {
	h     []float64   // features
	y     int         // class
	m     float64     // multiplicity
	g     []float64   // G column: the loss's gradient in the logits, divided by N
	curv  [][]float64 // the loss's Hessian in the logits (K x K), not divided by N
	free  []int       // coordinates that are free variables
	zeroC []bool      // zero-slack entries on zero coordinates (cone)
}

// Hessian analyses the second-order conditions of the problem s at pt in
// float64 (see HessianReport), for the loss s.Loss. The point must match s
// like in Evaluate. The loss's gradient and curvature in the logits come
// from the package's big-float losses (the same code as Evaluate), evaluated
// at the float64 logits and rounded to float64; the matrix is assembled and
// decomposed in float64.
//
// With the ReLU constraint the free variables are W, b and the positive
// entries of H; for the plain UFM (s.NoReLU) every entry of H is free, the
// symmetries are all rotations Q in O(d) (W -> W Q^T, H -> Q H), and the
// expected zero eigenvalues are the dimension of their orbit through the
// point, r d - r (r+1)/2 for r = rank [W^T H]. An unregularised bias
// (lambda_b = 0) with a softmax loss adds one symmetry, b -> b + t 1
// (HessianReport.BiasShift).
//
// Samples in a group of m identical columns: the variations of their free
// features that sum to zero decouple exactly from every other variable, so
// each eigenvalue of the per-sample block W_F^T S W_F / N + lambda_H I (F the
// free coordinates, S the loss's Hessian in the logits: diag(p) - p p^T for
// ce and ls:A, the identity for mse) appears with multiplicity m-1, and
// the remaining spectrum is that of a reduced matrix with one aggregated
// column per group (coupling scaled by sqrt(m)). The columns of W on zero
// coordinates (W[:, i] = 0 and H[i, :] = 0) decouple too, each entry with
// eigenvalue lambda_W, and are left out of the matrix. The cost is
// O((K d_a + K + sum_g |F_g|)^3) for d_a coordinates that are not zero
// coordinates; the matrix dimension must be at most opt.MaxDim.
func Hessian(s setting.Setting, pt *Point, opt HessianOptions) (*HessianReport, error) {
	if pt == nil {
		return nil, errors.New("derivation: nil point")
	}
	return hessianFloat(s, floatPointOf(pt), opt)
}

// hessianFloat is Hessian on the float64 rounding of the point.
func hessianFloat(s setting.Setting, pt *floatPoint, opt HessianOptions) (*HessianReport, error) {
	opt = opt.withDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	k, d := s.K(), s.Dim
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
			return nil, fmt.Errorf("derivation: class %d has %d samples in the point, want %d", c, per[c], n)
		}
	}
	if !finiteDense(pt.W) || !finiteDense(pt.Columns) || !finiteSlice(pt.B) {
		return nil, fmt.Errorf("derivation: hessian: %w", setting.ErrNonFinite)
	}
	h, err := newHessian(s, pt, opt)
	if err != nil {
		return nil, err
	}
	return h.run()
}

// newHessian returns the state of the second-order test of s at pt (checked
// by the caller), with the options already defaulted.
func newHessian(s setting.Setting, pt *floatPoint, opt HessianOptions) (*hessian, error) {
	loss, err := newSampleLoss(s.Loss, s.K(), hessianLossPrec)
	if err != nil {
		return nil, err
	}
	return &hessian{s: s, pt: pt, opt: opt, k: s.K(), d: s.Dim, n: float64(s.N()), plain: !s.ReLU(),
		lw: s.LambdaW.Float64(), lh: s.LambdaH.Float64(), lb: s.LambdaB.Float64(), loss: loss}, nil
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
	pt         *floatPoint
	opt        HessianOptions
	k, d       int
	n          float64
	lw, lh, lb float64
	loss       sampleLoss // at hessianLossPrec bits
	// plain is the plain UFM (no constraint H >= 0): every entry of H is
	// free, and the unused coordinates decouple as ordinary blocks.
	plain     bool
	groups    []hgroup
	zeroCoord []bool
	// unusedEig are the eigenvalues of the block of one unused coordinate
	// (plain UFM), ascending.
	unusedEig []float64
}

func (h *hessian) run() (*HessianReport, error) {
	rep, err := h.prepare()
	if err != nil {
		return nil, err
	}
	return h.analyse(rep)
}

// HessianAtPrediction analyses the float64 rounding of the explicit point
// of p (p.Minimizer(), grouped by class; with its bias when p has one).
func HessianAtPrediction(p *closedform.Prediction, opt HessianOptions) (*HessianReport, error) {
	pt, err := PredictionPoint(p)
	if err != nil {
		return nil, err
	}
	return Hessian(p.Setting, pt, opt)
}
