package verify

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Geometry is what the metrics need from a numerical solution: W (K x d),
// the per-sample features H (d x N, classes laid out in order) and the class
// counts.
type Geometry struct {
	W      *mat.Dense
	H      *mat.Dense
	B      []float64 // nil without a bias
	Counts []int
}

// Target is the predicted geometry the metrics compare against (theory.md
// section 8), as K x K matrices that do not depend on the choice of feature
// coordinates: Hbar^T Hbar (diag(rho) without a bias), W W^T, and W Hbar
// (the bias-free logits (I - J/K) diag(M)).
type Target struct {
	HTH, WWT, WH *mat.Dense
	Alive        []bool
	// BiasFree enables NC2_W, whose reference Wtilde (rows K sqrt(n_k) mu_k -
	// sum_j sqrt(n_j) mu_j) is the bias-free theorem's.
	BiasFree bool
	// B is the predicted bias (nil without a bias).
	B []float64
}

// BiasFreeTarget builds the target of the bias-free theorem from per-class
// rho_k, gamma_k and M_k.
func BiasFreeTarget(rho, gamma, margin []float64, alive []bool) Target {
	k := len(rho)
	cent := centering(k)
	var wwt, tmp, wh mat.Dense
	tmp.Mul(cent, mat.NewDiagDense(k, append([]float64(nil), gamma...)))
	wwt.Mul(&tmp, cent)
	wh.Mul(cent, mat.NewDiagDense(k, append([]float64(nil), margin...)))
	hth := mat.NewDense(k, k, nil)
	for i, r := range rho {
		hth.Set(i, i, r)
	}
	return Target{HTH: hth, WWT: &wwt, WH: &wh, Alive: append([]bool(nil), alive...), BiasFree: true}
}

// Metrics are the deviations of theory.md section 8 and the extra
// measurements. A nil pointer means "undefined" (a normalised distance whose
// norm is zero, e.g. everything collapsed); it prints as "undef" and as JSON
// null.
type Metrics struct {
	NC1    *float64 `json:"nc1"`
	NC2H   *float64 `json:"nc2_h"`
	NC2W   *float64 `json:"nc2_w"`
	NC2WWT *float64 `json:"nc2_wwt"`
	NC3WH  *float64 `json:"nc3_wh"`
	// MarginError is max_k max_{j != k} |(W mu_k)_k - (W mu_k)_j - M_k|
	// (with a bias: against the predicted logit gaps (y_k)_k - (y_k)_j).
	MarginError float64 `json:"margin_error"`
	// BiasError is ||b - b*||_inf (bias rows only).
	BiasError *float64 `json:"bias_error,omitempty"`
	// MaxCos is max |cos(mu_k, mu_l)| over pairs of classes with nonzero means
	// (0 when fewer than two are nonzero).
	MaxCos float64 `json:"max_cos"`
	// MeanNorm is ||mu_k|| per class, and MeasuredMargin the measured logit
	// gap min_{j != k} (W mu_k)_k - (W mu_k)_j per class.
	MeanNorm       []float64 `json:"mean_norm"`
	MeasuredMargin []float64 `json:"measured_margin"`
	// CollapseAgree is true when the measured collapsed classes (see
	// Measure) are exactly the predicted ones; Disagree lists the 1-based
	// classes that differ.
	CollapseAgree bool  `json:"collapse_agree"`
	Disagree      []int `json:"collapse_disagree,omitempty"`
	// AllCollapsed is true when every measured class mean is ~0; NC1 and
	// NC2_W are then undefined (null).
	AllCollapsed bool `json:"all_collapsed"`
}

// classMeans returns Hbar = [mu_1 ... mu_K] (d x K) and the global mean.
func classMeans(g Geometry) (*mat.Dense, []float64) {
	d, _ := g.H.Dims()
	k := len(g.Counts)
	hbar := mat.NewDense(d, k, nil)
	global := make([]float64, d)
	col := 0
	n := 0
	for c, nk := range g.Counts {
		for i := 0; i < d; i++ {
			s := 0.0
			for j := col; j < col+nk; j++ {
				s += g.H.At(i, j)
			}
			hbar.Set(i, c, s/float64(nk))
			global[i] += s
		}
		col += nk
		n += nk
	}
	for i := range global {
		global[i] /= float64(n)
	}
	return hbar, global
}

// normDist is dist(A, B) = || A/||A||_F - B/||B||_F ||_F, nil when a norm is 0.
func normDist(a, b mat.Matrix) *float64 {
	na, nb := mat.Norm(a, 2), mat.Norm(b, 2) // Frobenius for p = 2
	if na == 0 || nb == 0 || math.IsNaN(na) || math.IsNaN(nb) {
		return nil
	}
	var d mat.Dense
	var as, bs mat.Dense
	as.Scale(1/na, a)
	bs.Scale(1/nb, b)
	d.Sub(&as, &bs)
	v := mat.Norm(&d, 2)
	return &v
}

// centering returns I - J/K.
func centering(k int) *mat.Dense {
	c := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := -1 / float64(k)
			if i == j {
				v += 1
			}
			c.Set(i, j, v)
		}
	}
	return c
}

// Measure computes the metrics of a numerical solution against a target.
// A class counts as collapsed when its margin equivalent
// ||mu_k||^2 sqrt(K lambda_H n_k / ((K-1) lambda_W)) is at most collapseTol
// times max(1, the largest over the classes).
func Measure(g Geometry, t Target, lambdaW, lambdaH, collapseTol float64) (Metrics, error) {
	k := len(g.Counts)
	d, n := g.H.Dims()
	if wr, wc := g.W.Dims(); wr != k || wc != d {
		return Metrics{}, fmt.Errorf("verify: W is %dx%d, want %dx%d", wr, wc, k, d)
	}
	total := 0
	for _, c := range g.Counts {
		total += c
	}
	if n != total {
		return Metrics{}, fmt.Errorf("verify: H has %d columns, want N = %d", n, total)
	}
	var m Metrics
	hbar, global := classMeans(g)

	// NC1 = tr(Sigma_W pinv(Sigma_B)) / K.
	// Sigma_W accumulates the upper triangle in place: one pass over the
	// samples, no allocation per sample.
	sw := mat.NewSymDense(d, nil)
	swRaw := sw.RawSymmetric()
	col := 0
	diff := make([]float64, d)
	for c, nk := range g.Counts {
		for j := col; j < col+nk; j++ {
			for i := 0; i < d; i++ {
				diff[i] = g.H.At(i, j) - hbar.At(i, c)
			}
			for a := 0; a < d; a++ {
				row := swRaw.Data[a*swRaw.Stride:]
				for b := a; b < d; b++ {
					row[b] += diff[a] * diff[b]
				}
			}
		}
		col += nk
	}
	sw.ScaleSym(1/float64(total), sw)
	sb := mat.NewSymDense(d, nil)
	for c := 0; c < k; c++ {
		for i := 0; i < d; i++ {
			diff[i] = hbar.At(i, c) - global[i]
		}
		sb.SymRankOne(sb, 1/float64(k), mat.NewVecDense(d, diff))
	}
	if nc1, ok := traceTimesPinv(sw, sb); ok {
		v := nc1 / float64(k)
		m.NC1 = &v
	}

	// NC2_H = dist(Hbar^T Hbar, diag(rho)).
	var hth mat.Dense
	hth.Mul(hbar.T(), hbar)
	m.NC2H = normDist(&hth, t.HTH)

	// NC2_W = dist(W, Wtilde), Wtilde_k = K sqrt(n_k) mu_k - sum_j sqrt(n_j) mu_j.
	if t.BiasFree {
		sum := make([]float64, d)
		for c, nk := range g.Counts {
			for i := 0; i < d; i++ {
				sum[i] += math.Sqrt(float64(nk)) * hbar.At(i, c)
			}
		}
		wt := mat.NewDense(k, d, nil)
		for c, nk := range g.Counts {
			for i := 0; i < d; i++ {
				wt.Set(c, i, float64(k)*math.Sqrt(float64(nk))*hbar.At(i, c)-sum[i])
			}
		}
		m.NC2W = normDist(g.W, wt)
	}

	// NC2_WWT = dist(W W^T, (I - J/K) diag(gamma) (I - J/K)).
	var wwt mat.Dense
	wwt.Mul(g.W, g.W.T())
	m.NC2WWT = normDist(&wwt, t.WWT)

	// NC3_WH = dist(W Hbar, (I - J/K) diag(M)).
	var wh mat.Dense
	wh.Mul(g.W, hbar)
	m.NC3WH = normDist(&wh, t.WH)

	// Margins: the logit gaps of each class mean against the predicted ones.
	m.MeasuredMargin = make([]float64, k)
	for c := 0; c < k; c++ {
		minGap := math.Inf(1)
		for j := 0; j < k; j++ {
			if j == c {
				continue
			}
			gap := wh.At(c, c) - wh.At(j, c)
			want := t.WH.At(c, c) - t.WH.At(j, c)
			minGap = math.Min(minGap, gap)
			m.MarginError = math.Max(m.MarginError, math.Abs(gap-want))
		}
		m.MeasuredMargin[c] = minGap
	}
	if t.B != nil && g.B != nil {
		e := 0.0
		for i := range t.B {
			e = math.Max(e, math.Abs(g.B[i]-t.B[i]))
		}
		m.BiasError = &e
	}

	// Orthogonality and collapse.
	m.MeanNorm = make([]float64, k)
	maxSq := 0.0
	for c := 0; c < k; c++ {
		m.MeanNorm[c] = math.Sqrt(hth.At(c, c))
		maxSq = math.Max(maxSq, hth.At(c, c))
	}
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			if m.MeanNorm[a] == 0 || m.MeanNorm[b] == 0 {
				continue
			}
			m.MaxCos = math.Max(m.MaxCos, math.Abs(hth.At(a, b))/(m.MeanNorm[a]*m.MeanNorm[b]))
		}
	}
	// Collapse: compare ||mu_k||^2 on the scale of the margin it carries.
	// At the prediction rho_k sqrt(K lambda_H n_k / ((K-1) lambda_W)) = M_k,
	// so the measured "margin equivalent" m_k of a class is O(1) when it is
	// alive and ~0 when it collapses, whatever the lambdas.
	equiv := make([]float64, k)
	maxEquiv := 1.0
	for c := 0; c < k; c++ {
		equiv[c] = hth.At(c, c) * math.Sqrt(float64(k)*lambdaH*float64(g.Counts[c])/(float64(k-1)*lambdaW))
		maxEquiv = math.Max(maxEquiv, equiv[c])
	}
	m.CollapseAgree = true
	allCollapsed := true
	for c := 0; c < k; c++ {
		collapsed := equiv[c] <= collapseTol*maxEquiv
		allCollapsed = allCollapsed && collapsed
		if collapsed == t.Alive[c] {
			m.CollapseAgree = false
			m.Disagree = append(m.Disagree, c+1)
		}
	}
	if allCollapsed {
		// Everything is (numerically) zero: the normalised quantities divide
		// rounding noise by rounding noise. They are undefined, as theory.md
		// section 8 says for a zero norm.
		m.NC1, m.NC2W, m.MaxCos = nil, nil, 0
		m.AllCollapsed = true
	}
	for _, v := range []*float64{m.NC1, m.NC2H, m.NC2W, m.NC2WWT, m.NC3WH} {
		if v != nil && math.IsNaN(*v) {
			return m, fmt.Errorf("verify: a metric is NaN")
		}
	}
	if math.IsNaN(m.MarginError) || math.IsNaN(m.MaxCos) {
		return m, fmt.Errorf("verify: a metric is NaN")
	}
	return m, nil
}

// traceTimesPinv returns tr(A pinv(B)) for symmetric A, B, with the
// pseudo-inverse over the eigenvalues of B above a relative cutoff (the
// cutoff numpy.linalg.pinv uses, rcond = 1e-15 times the largest, raised to
// d * eps). ok is false when B is zero.
func traceTimesPinv(a, b *mat.SymDense) (float64, bool) {
	var eig mat.EigenSym
	if !eig.Factorize(b, true) {
		return 0, false
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	maxv := 0.0
	for _, v := range vals {
		maxv = math.Max(maxv, math.Abs(v))
	}
	if maxv == 0 {
		return 0, false
	}
	d := len(vals)
	cut := maxv * math.Max(1e-15, float64(d)*2.220446049250313e-16)
	tr := 0.0
	for i, v := range vals {
		if math.Abs(v) <= cut {
			continue
		}
		u := mat.Col(nil, i, &vecs)
		// tr(A u u^T / v) = u^T A u / v
		tr += mat.Inner(mat.NewVecDense(d, u), a, mat.NewVecDense(d, u)) / v
	}
	return tr, true
}
