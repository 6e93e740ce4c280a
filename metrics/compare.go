package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// Target is a predicted geometry as the metrics compare against it: K x K
// matrices that do not depend on the choice of feature coordinates.
type Target struct {
	// HTH is the predicted Hbar^T Hbar (diag(rho) for orthogonal means),
	// WWT the predicted W W^T and WH the predicted W Hbar, the logits of the
	// class means without the bias ((I - J/K) diag(M) without a bias).
	HTH, WWT, WH *mat.Dense
	// ClassifierRule is the matrix A of the predicted relation W = c A Hbar^T
	// (c > 0), the reference of NC2_W = dist(W, A Hbar^T); nil: NC2_W is not
	// measured.
	ClassifierRule *mat.Dense
	// Alive tells, per class, whether the prediction keeps it alive.
	Alive []bool
	// B is the predicted bias, nil without one.
	B []float64
	// MeanCos is the predicted cosine between the means of two distinct
	// alive classes (0 for orthogonal means, -1/(K-1) for a simplex ETF); it
	// predicts nothing about a class the target does not keep alive.
	MeanCos float64
	// PairCos, when not nil, is the K x K matrix of the predicted cosines
	// between the means of two distinct alive classes, for a prediction
	// whose pairs do not share one cosine (the squared error with an
	// unregularised bias, theory.md section 12b); it replaces MeanCos.
	PairCos *mat.Dense
}

// Deviations are the differences between a measurement and a target.
type Deviations struct {
	// NC2H = dist(Hbar^T Hbar, target HTH), NC2W = dist(W, A Hbar^T),
	// NC2WWT = dist(W W^T, target WWT), NC3WH = dist(W Hbar, target WH),
	// dist(A, B) = ||A/||A||_F - B/||B||_F||_F; nil when a norm is zero
	// (undefined) or, for NC2W, when the target has no classifier rule.
	NC2H, NC2W, NC2WWT, NC3WH *float64
	// MarginError is max_k max_{j != k} |((W mu_k)_k - (W mu_k)_j) - (WH_kk - WH_jk)|:
	// the largest error of a logit gap of a class mean.
	MarginError float64
	// MeanCosError is MaxCosDeviationAmong(target MeanCos, target Alive)
	// (with the target's PairCos: max |cos(mu_k, mu_l) - PairCos_kl| over the
	// same pairs):
	// over the pairs of classes the target keeps alive only (0 when fewer
	// than two are), since the cosine of a collapsed class's mean, zero up
	// to the solver's accuracy, is noise that no theory predicts.
	MeanCosError float64
	// BiasError is ||b - b*||_inf when both have a bias, else nil.
	BiasError *float64
	// Status is the measured status of every class and MergedWith, per
	// class, the class it is merged with (-1: none) (see
	// Measurement.Statuses); Collapsed tells which classes are collapsed.
	Status     []Status
	MergedWith []int
	Collapsed  []bool
	// CollapseAgree is true when the classes the target keeps alive are
	// exactly the measured alive ones (neither collapsed nor merged), and
	// Disagree lists the 0-based classes that differ.
	CollapseAgree bool
	Disagree      []int
	// AllCollapsed is true when every measured class counts as collapsed:
	// normalised quantities then divide rounding noise by rounding noise.
	AllCollapsed bool
}

// Compare measures m against the target t, with the class statuses of
// Measurement.Statuses under c.
func (m *Measurement) Compare(t Target, c Criteria) (Deviations, error) {
	k := m.K
	for _, x := range []*mat.Dense{t.HTH, t.WWT, t.WH} {
		if x == nil {
			return Deviations{}, fmt.Errorf("metrics: target lacks a matrix")
		}
		if rows, cols := x.Dims(); rows != k || cols != k {
			return Deviations{}, fmt.Errorf("metrics: target matrix is %dx%d, want %dx%d", rows, cols, k, k)
		}
	}
	if len(t.Alive) != k {
		return Deviations{}, fmt.Errorf("metrics: target has %d alive flags, want %d", len(t.Alive), k)
	}
	var dv Deviations
	dv.NC2H = Dist(m.HTH, t.HTH)
	dv.NC2WWT = Dist(m.WWT, t.WWT)
	dv.NC3WH = Dist(m.WH, t.WH)
	if t.ClassifierRule != nil {
		dv.NC2W = m.ClassifierDist(t.ClassifierRule)
	}
	for a := 0; a < k; a++ {
		for j := 0; j < k; j++ {
			if j == a {
				continue
			}
			gap := m.WH.At(a, a) - m.WH.At(j, a)
			want := t.WH.At(a, a) - t.WH.At(j, a)
			dv.MarginError = math.Max(dv.MarginError, math.Abs(gap-want))
		}
	}
	dv.MeanCosError = m.maxCosDeviationFrom(t.MeanCos, t.PairCos, t.Alive)
	if t.B != nil && m.B != nil {
		e := 0.0
		for i := range t.B {
			e = math.Max(e, math.Abs(m.B[i]-t.B[i]))
		}
		dv.BiasError = &e
	}
	var err error
	if dv.Status, dv.MergedWith, err = m.Statuses(c); err != nil {
		return dv, err
	}
	dv.Collapsed = make([]bool, k)
	dv.CollapseAgree, dv.AllCollapsed = true, true
	for j, st := range dv.Status {
		dv.Collapsed[j] = st == Collapsed
		dv.AllCollapsed = dv.AllCollapsed && dv.Collapsed[j]
		if (st == Alive) != t.Alive[j] {
			dv.CollapseAgree = false
			dv.Disagree = append(dv.Disagree, j)
		}
	}
	for _, v := range []*float64{dv.NC2H, dv.NC2W, dv.NC2WWT, dv.NC3WH, dv.BiasError, &dv.MarginError, &dv.MeanCosError} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return dv, fmt.Errorf("metrics: a deviation is %v: %w", *v, setting.ErrNonFinite)
		}
	}
	return dv, nil
}

// Collapsed returns, per class, whether its margin equivalent
// ||mu_k||^2 sqrt(K lambda_H n_k / ((K-1) lambda_W)) is at most tol times
// max(1, the largest over the classes).
func (m *Measurement) Collapsed(lambdaW, lambdaH, tol float64) []bool {
	k := m.K
	equiv := make([]float64, k)
	maxEquiv := 1.0
	for c := 0; c < k; c++ {
		equiv[c] = m.HTH.At(c, c) * math.Sqrt(float64(k)*lambdaH*float64(m.Counts[c])/(float64(k-1)*lambdaW))
		maxEquiv = math.Max(maxEquiv, equiv[c])
	}
	out := make([]bool, k)
	for c := range out {
		out[c] = equiv[c] <= tol*maxEquiv
	}
	return out
}

// Dist is dist(A, B) = || A/||A||_F - B/||B||_F ||_F (theory.md section 8),
// nil when a norm is zero (undefined).
func Dist(a, b mat.Matrix) *float64 {
	na, nb := mat.Norm(a, 2), mat.Norm(b, 2) // Frobenius for p = 2
	if na == 0 || nb == 0 || math.IsNaN(na) || math.IsNaN(nb) {
		return nil
	}
	var as, bs, d mat.Dense
	as.Scale(1/na, a)
	bs.Scale(1/nb, b)
	d.Sub(&as, &bs)
	v := mat.Norm(&d, 2)
	return &v
}

// ClassifierDist is dist(W, A Hbar^T): NC2_W against the classifier rule A
// (K x K). The paper's rule K diag(sqrt(n)) - 1 sqrt(n)^T gives theory.md
// section 8's NC2_W; I - J/K gives NC2_W against the balanced theory
// (rows mu_k - mean_j mu_j, theory.md section 10).
func (m *Measurement) ClassifierDist(a *mat.Dense) *float64 {
	var ref mat.Dense
	ref.Mul(a, m.Means.T()) // K x d
	return Dist(m.W, &ref)
}

// BalancedRule returns I - J/K, the classifier rule of the balanced theory:
// w_k proportional to mu_k - (1/K) sum_j mu_j.
func BalancedRule(k int) *mat.Dense {
	a := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			v := -1 / float64(k)
			if i == j {
				v++
			}
			a.Set(i, j, v)
		}
	}
	return a
}

// MaxCosDeviation returns max |cos(mu_k, mu_l) - c| over the pairs k < l of
// classes whose means are nonzero (0 when fewer than two are): with c = 0,
// max |cos(mu_k, mu_l)| (0 = orthogonal means).
func (m *Measurement) MaxCosDeviation(c float64) float64 {
	return m.MaxCosDeviationAmong(c, nil)
}

// MaxCosDeviationAmong is MaxCosDeviation over the pairs of classes k < l
// with among[k] and among[l] (every class when among is nil).
func (m *Measurement) MaxCosDeviationAmong(c float64, among []bool) float64 {
	return m.maxCosDeviationFrom(c, nil, among)
}

// maxCosDeviationFrom is MaxCosDeviationAmong with the reference cosine of
// the pair k, l taken from pair when it is not nil.
func (m *Measurement) maxCosDeviationFrom(c float64, pair *mat.Dense, among []bool) float64 {
	k := m.K
	in := func(a int) bool { return among == nil || among[a] }
	out := 0.0
	for a := 0; a < k; a++ {
		na := math.Sqrt(m.HTH.At(a, a))
		for b := a + 1; b < k; b++ {
			nb := math.Sqrt(m.HTH.At(b, b))
			if na == 0 || nb == 0 || !in(a) || !in(b) {
				continue
			}
			ref := c
			if pair != nil {
				ref = pair.At(a, b)
			}
			out = math.Max(out, math.Abs(m.HTH.At(a, b)/(na*nb)-ref))
		}
	}
	return out
}

// Margins returns, per class, the measured margin of theory.md section 10,
// M_k = (W mu_k)_k - mean_{j != k} (W mu_k)_j (without the bias). At the
// bias-free prediction W mu_k = M_k (e_k - 1/K), so it is M_k.
func (m *Measurement) Margins() []float64 {
	return GapMeans(m.WH)
}

// GapMeans returns, per column k of a K x K logit matrix L (the logits of
// class k's mean), L_kk - mean_{j != k} L_jk: the margin of section 10 for a
// measured W Hbar, and the predicted one for a target's.
func GapMeans(l *mat.Dense) []float64 {
	k, _ := l.Dims()
	out := make([]float64, k)
	for c := 0; c < k; c++ {
		s := 0.0
		for j := 0; j < k; j++ {
			if j != c {
				s += l.At(j, c)
			}
		}
		out[c] = l.At(c, c) - s/float64(k-1)
	}
	return out
}

// MeanNormSq returns rho_k = ||mu_k||^2 per class.
func (m *Measurement) MeanNormSq() []float64 { return Diag(m.HTH) }

// ClassifierRowNormSq returns ||w_k||^2, the squared norm of row k of W, per class.
func (m *Measurement) ClassifierRowNormSq() []float64 { return Diag(m.WWT) }

// CosWMu returns cos(w_k, mu_k) per class, NaN-free: 0 when either vector
// is zero.
func (m *Measurement) CosWMu() []float64 {
	out := make([]float64, m.K)
	for c := range out {
		den := math.Sqrt(m.WWT.At(c, c) * m.HTH.At(c, c))
		if den > 0 {
			out[c] = m.WH.At(c, c) / den
		}
	}
	return out
}

// Objective returns f of theory.md section 1 at the point: Loss +
// (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2 + (lambda_b/2) ||b||^2
// (the last term only when the point has a bias and lambda_b > 0).
func (m *Measurement) Objective(lambdaW, lambdaH, lambdaB float64) float64 {
	f := m.Loss + lambdaW/2*m.ClassifierNormSq + lambdaH/2*m.FeatureNormSq
	if m.B != nil && lambdaB > 0 {
		s := 0.0
		for _, v := range m.B {
			s += v * v
		}
		f += lambdaB / 2 * s
	}
	return f
}

// Diag returns the diagonal of a square matrix (rho_k from Hbar^T Hbar,
// ||w_k||^2 from W W^T).
func Diag(a *mat.Dense) []float64 {
	k, _ := a.Dims()
	out := make([]float64, k)
	for i := range out {
		out[i] = a.At(i, i)
	}
	return out
}
