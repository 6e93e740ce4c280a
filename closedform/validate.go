package closedform

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// ErrInvalidPrediction is wrapped by every error of Prediction.Validate.
var ErrInvalidPrediction = errors.New("invalid prediction")

// ValidateSlackBits is the slack of Validate's comparisons: a value
// recomputed from the explicit point must agree with the prediction's to
// 2^-(Prec - ValidateSlackBits) relative to the size of the sum that forms
// it (a few ulps per rounding of a point rounded to Prec bits, times the
// number of terms, stay far inside it).
const ValidateSlackBits = 24

// Validate checks that p is a complete, finite prediction for its setting
// at p.Prec bits, whatever theory made it:
//
//   - the setting is valid and MinPrec <= Prec <= MaxPrec;
//   - shapes: one Class per class with N = n_k; WH, WWT, HTH K x K; Bias nil
//     or of length K, nil without a bias; ClassifierRule nil or K x K;
//   - Objective, WH, WWT and HTH present; every big.Float present finite,
//     every float64 finite, MeanCos in [-1, 1];
//   - Classes[k].Alive iff (Hbar^T Hbar)_kk > 0, GlobalCollapse iff no class
//     is alive;
//   - the explicit point, when there is one (HasMinimizer): of the setting's
//     shape (W K x d, class means d x K, with non-negative means for ReLU
//     features, b exactly when Bias is set), reproducing W Hbar, W W^T,
//     Hbar^T Hbar, the bias, and the objective (f of theory.md section 1
//     with the setting's loss, evaluated at the point) to
//     2^-(Prec - ValidateSlackBits) relative to the size of each sum.
//
// It does not check that the point is a minimizer: that is what package
// derivation and the solver of package verify are for. Errors wrap
// ErrInvalidPrediction (and setting.ErrNonFinite for an infinite or NaN
// value) and name the field. Cost: O(K^2 d) big-float operations and K^2
// exponentials at Prec+GuardBits bits for the point.
func (p *Prediction) Validate() error {
	if err := p.validateFrame(); err != nil {
		return fmt.Errorf("closedform: %s prediction: %w: %w", p.Theory, ErrInvalidPrediction, err)
	}
	if p.point == nil {
		return nil
	}
	if err := p.validatePoint(); err != nil {
		return fmt.Errorf("closedform: %s prediction: %w: explicit point: %w", p.Theory, ErrInvalidPrediction, err)
	}
	return nil
}

// validateFrame checks everything but the explicit point.
func (p *Prediction) validateFrame() error {
	s := p.Setting
	if err := s.Validate(); err != nil {
		return err
	}
	if p.Prec < MinPrec || p.Prec > MaxPrec {
		return fmt.Errorf("the precision Prec = %d is not between %d and %d", p.Prec, MinPrec, MaxPrec)
	}
	k := s.K()
	if len(p.Classes) != k {
		return fmt.Errorf("%d classes for K = %d", len(p.Classes), k)
	}
	if err := finite("Objective", p.Objective, true); err != nil {
		return err
	}
	for i, cl := range p.Classes {
		if cl.N != s.Counts[i] {
			return fmt.Errorf("class %d has N = %d, the setting %d", i+1, cl.N, s.Counts[i])
		}
		if err := cl.validate(i); err != nil {
			return err
		}
	}
	if err := p.validateMatrices(k); err != nil {
		return err
	}
	switch {
	case p.Bias != nil && !s.Bias:
		return errors.New("a bias for a bias-free setting")
	case p.Bias != nil && len(p.Bias) != k:
		return fmt.Errorf("the bias has length %d, want K = %d", len(p.Bias), k)
	}
	for j, b := range p.Bias {
		if err := finite(fmt.Sprintf("Bias(%d)", j+1), b, true); err != nil {
			return err
		}
	}
	if math.IsNaN(p.MeanCos) || math.Abs(p.MeanCos) > 1 {
		return fmt.Errorf("the mean cosine MeanCos = %v is not a cosine: %w", p.MeanCos, setting.ErrNonFinite)
	}
	alive := 0
	for i, cl := range p.Classes {
		if pos := p.HTH.at(i, i).Sign() > 0; pos != cl.Alive {
			return fmt.Errorf("class %d: Alive = %t but (Hbar^T Hbar)_kk = %s", i+1, cl.Alive, p.HTH.at(i, i).Text('g', 5))
		}
		if cl.Alive {
			alive++
		}
	}
	if p.GlobalCollapse != (alive == 0) {
		return fmt.Errorf("GlobalCollapse = %t with %d alive classes", p.GlobalCollapse, alive)
	}
	return nil
}

// validate checks that every value of the class present is finite.
func (cl Class) validate(i int) error {
	for _, v := range []struct {
		name string
		x    *big.Float
	}{{"Margin", cl.Margin}, {"FeatureNormSq", cl.FeatureNormSq}, {"Gamma", cl.Gamma}, {"ClassifierNormSq", cl.ClassifierNormSq},
		{"CosWH", cl.CosWH}, {"ProbCorrect", cl.ProbCorrect}, {"CBeta", cl.CBeta}, {"CollapseRoots.Lo", cl.CollapseRoots.Lo},
		{"CollapseRoots.Hi", cl.CollapseRoots.Hi}} {
		if err := finite(fmt.Sprintf("class %d %s", i+1, v.name), v.x, false); err != nil {
			return err
		}
	}
	return nil
}

// validateMatrices checks the K x K matrices and the classifier rule.
func (p *Prediction) validateMatrices(k int) error {
	for _, m := range []struct {
		name string
		m    *Matrix
	}{{"WH", p.WH}, {"WWT", p.WWT}, {"HTH", p.HTH}} {
		if m.m == nil {
			return fmt.Errorf("%s is missing", m.name)
		}
		if m.m.n != k || len(m.m.data) != k*k {
			return fmt.Errorf("%s is %d x %d, want %d x %d", m.name, m.m.n, m.m.n, k, k)
		}
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				if err := finite(fmt.Sprintf("%s(%d,%d)", m.name, i+1, j+1), m.m.at(i, j), true); err != nil {
					return err
				}
			}
		}
	}
	if p.ClassifierRule == nil {
		return nil
	}
	if r, c := p.ClassifierRule.Dims(); r != k || c != k {
		return fmt.Errorf("ClassifierRule is %d x %d, want %d x %d", r, c, k, k)
	}
	if !finiteDense(p.ClassifierRule) {
		return fmt.Errorf("ClassifierRule has a non-finite entry: %w", setting.ErrNonFinite)
	}
	return nil
}

func finiteDense(a *mat.Dense) bool {
	r, c := a.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// finite reports a missing (when required) or infinite value.
func finite(name string, x *big.Float, required bool) error {
	switch {
	case x == nil && required:
		return fmt.Errorf("%s is missing", name)
	case x != nil && x.IsInf():
		return fmt.Errorf("%s is %s: %w", name, x.String(), setting.ErrNonFinite)
	}
	return nil
}

// validatePoint checks the explicit point against the prediction.
func (p *Prediction) validatePoint() error {
	m, err := p.Minimizer()
	if err != nil {
		return err
	}
	if m == nil {
		return errors.New("the point is nil")
	}
	s := p.Setting
	k, d := s.K(), s.Dim
	if m.K != k || m.D != d || m.N != s.N() {
		return fmt.Errorf("K, d, N = %d, %d, %d, the setting's %d, %d, %d", m.K, m.D, m.N, k, d, s.N())
	}
	if err := checkGrid("W", m.W, k, d); err != nil {
		return err
	}
	if err := checkGrid("class means", m.Means, d, k); err != nil {
		return err
	}
	if err := p.validatePointBias(m); err != nil {
		return err
	}
	if !s.NoReLU {
		for i := range m.Means {
			for c, x := range m.Means[i] {
				if x.Sign() < 0 {
					return fmt.Errorf("class mean %d has a negative coordinate %d (%s) with ReLU features", c+1, i+1, x.Text('g', 5))
				}
			}
		}
	}
	v := newValidator(p.Prec)
	f, wh := pointObjective(s, m, v.wp)
	if err := v.objective(f, p.Objective); err != nil {
		return err
	}
	wT, hT := transpose(m.W), transpose(m.Means) // d x K, K x d
	wNorms, hNorms := rowNorms(m.W, v.wp), rowNorms(hT, v.wp)
	if err := v.product("WH", p.WH, wh, wNorms, hNorms); err != nil {
		return err
	}
	if err := v.product("WWT", p.WWT, multiply(m.W, wT, v.wp), wNorms, wNorms); err != nil {
		return err
	}
	return v.product("HTH", p.HTH, multiply(hT, m.Means, v.wp), hNorms, hNorms)
}

// validatePointBias checks the point's bias against the prediction's.
func (p *Prediction) validatePointBias(m *Minimizer) error {
	switch {
	case (m.B != nil) != (p.Bias != nil):
		return fmt.Errorf("the point has a bias: %t, the prediction: %t", m.B != nil, p.Bias != nil)
	case m.B == nil:
		return nil
	}
	if err := checkGrid("b", [][]*big.Float{m.B}, 1, len(p.Bias)); err != nil {
		return err
	}
	v := newValidator(p.Prec)
	for j := range m.B {
		if !v.close(m.B[j], p.Bias[j], new(big.Float)) {
			return fmt.Errorf("b(%d) = %s, the prediction's bias %s (%s)", j+1, m.B[j].Text('g', 20), p.Bias[j].Text('g', 20),
				v.excess(m.B[j], p.Bias[j], new(big.Float)))
		}
	}
	return nil
}

// validator compares recomputed values with a prediction's.
type validator struct {
	wp  uint
	tol *big.Float // 2^-(prec - ValidateSlackBits)
}

func newValidator(prec uint) *validator {
	return &validator{wp: prec + GuardBits, tol: new(big.Float).SetMantExp(big.NewFloat(1), -int(prec)+ValidateSlackBits)}
}

// close reports |got - want| <= tol (|want| + scale).
func (v *validator) close(got, want, scale *big.Float) bool {
	d := new(big.Float).SetPrec(v.wp).Sub(got, want)
	d.Abs(d)
	bound := new(big.Float).SetPrec(v.wp).Abs(want)
	bound.Add(bound, scale)
	return d.Cmp(bound.Mul(bound, v.tol)) <= 0
}

func (v *validator) objective(got, want *big.Float) error {
	if !v.close(got, want, new(big.Float)) {
		return fmt.Errorf("the objective at the point is %s, the prediction's Objective %s (%s)", got.Text('g', 20), want.Text('g', 20), v.excess(got, want, new(big.Float)))
	}
	return nil
}

// excess describes |got - want| against the tolerance tol (|want| + scale).
func (v *validator) excess(got, want, scale *big.Float) string {
	d := new(big.Float).SetPrec(v.wp).Sub(got, want)
	bound := new(big.Float).SetPrec(v.wp).Abs(want)
	bound.Add(bound, scale)
	return fmt.Sprintf("difference %s, allowed %s", d.Abs(d).Text('g', 2), bound.Mul(bound, v.tol).Text('g', 2))
}

// product compares a recomputed K x K matrix of inner products, entry (i,
// j) = a_i . b_j, with the prediction's; the size of entry (i, j) is
// ||a_i|| ||b_j|| (Cauchy-Schwarz bounds the sum of |a_il b_jl| by it).
func (v *validator) product(name string, want *Matrix, got [][]*big.Float, aNorms, bNorms []*big.Float) error {
	scale := new(big.Float).SetPrec(v.wp)
	for i := range got {
		for j := range got[i] {
			scale.Mul(aNorms[i], bNorms[j])
			if !v.close(got[i][j], want.at(i, j), scale) {
				return fmt.Errorf("%s(%d,%d) at the point is %s, the prediction's %s (%s)", name, i+1, j+1,
					got[i][j].Text('g', 20), want.at(i, j).Text('g', 20), v.excess(got[i][j], want.at(i, j), scale))
			}
		}
	}
	return nil
}

// rowNorms returns the Euclidean norm of each row of a.
func rowNorms(a [][]*big.Float, wp uint) []*big.Float {
	out := make([]*big.Float, len(a))
	t := new(big.Float).SetPrec(wp)
	for i, row := range a {
		sq := new(big.Float).SetPrec(wp)
		for _, x := range row {
			sq.Add(sq, t.Mul(x, x))
		}
		out[i] = sq.Sqrt(sq)
	}
	return out
}

func transpose(a [][]*big.Float) [][]*big.Float {
	if len(a) == 0 {
		return nil
	}
	out := make([][]*big.Float, len(a[0]))
	for j := range out {
		out[j] = make([]*big.Float, len(a))
		for i := range a {
			out[j][i] = a[i][j]
		}
	}
	return out
}

// multiply returns A B at wp bits, skipping zero entries of A.
func multiply(a, b [][]*big.Float, wp uint) [][]*big.Float {
	cols := 0
	if len(b) > 0 {
		cols = len(b[0])
	}
	out := make([][]*big.Float, len(a))
	t := new(big.Float).SetPrec(wp)
	for i := range a {
		out[i] = make([]*big.Float, cols)
		for j := range out[i] {
			out[i][j] = new(big.Float).SetPrec(wp)
		}
		for l, x := range a[i] {
			if x.Sign() == 0 {
				continue
			}
			for j := 0; j < cols; j++ {
				out[i][j].Add(out[i][j], t.Mul(x, b[l][j]))
			}
		}
	}
	return out
}
