package closedform

import (
	"fmt"
	"math/big"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// Precision limits and default, in bits of mantissa.
const (
	DefaultPrec uint = 256
	MinPrec     uint = 64
	MaxPrec     uint = 4096
	// GuardBits is the extra working precision the built-in theories use
	// inside Predict.
	GuardBits uint = 64
)

// Class holds the per-class quantities of a prediction for class k. Every
// *big.Float has precision Prediction.Prec; a quantity the theory does not
// define is nil (Gamma and CBeta with a bias, ProbCorrect and CBeta for the
// squared error).
type Class struct {
	N     int  // n_k
	Alive bool // h_k != 0 at the predicted point (for the closed forms: M_k > 0, decided exactly)
	// Margin is M_k, the logit gap of class k at the optimum (0 when
	// collapsed): (W h_k)_k - (W h_k)_j for every j != k. With a bias it is
	// the smallest gap of the biased logits, (y_k + b)_k - max_{j != k} (y_k + b)_j.
	Margin *big.Float
	// FeatureNormSq is rho_k = ||h_k||^2 = M_k sqrt((K-1) lambda_W / (K lambda_H n_k))
	// for cross-entropy (with a bias: ||y_k|| sqrt(lambda_W / (lambda_H n_k))).
	FeatureNormSq *big.Float
	// Gamma is gamma_k = M_k^2 / rho_k: for cross-entropy
	// M_k sqrt(K lambda_H n_k / ((K-1) lambda_W)), the k-th diagonal entry in
	// W W^T = (I - J/K) diag(gamma) (I - J/K).
	Gamma *big.Float
	// ClassifierNormSq is ||w_k||^2, the squared norm of row k of W:
	// ((K-1)^2 gamma_k + sum_{j != k} gamma_j) / K^2 for cross-entropy
	// without a bias.
	ClassifierNormSq *big.Float
	// CosWH is cos(w_k, h_k) (((K-1) M_k / K) / (||w_k|| sqrt(rho_k)) for
	// cross-entropy without a bias); nil when the class collapses (h_k = 0,
	// the angle is undefined).
	CosWH *big.Float
	// ProbCorrect is the softmax probability of the correct class at the
	// optimum, 1 / (1 + (K-1) exp(-M_k)); for the paper's theorem this
	// equals 1 - c beta_k when alive and 1/K when collapsed.
	ProbCorrect *big.Float
	// CBeta is c beta_k = N sqrt((K-1) lambda_W lambda_H / (K n_k)).
	CBeta *big.Float
	// CollapseRoots are the two roots n_lo <= n_hi of a (R + n)^2 = n in n,
	// with R = N - n_k the other classes' samples and a the collapse
	// coefficient (K lambda_W lambda_H / (K-1) for the paper): with the other
	// counts fixed, class k collapses for n <= n_lo or n >= n_hi. Real is false
	// (and Lo, Hi nil) when 4 a R > 1: then the class collapses for every n;
	// and for theories without a closed-form threshold.
	CollapseRoots Roots
}

// Roots are the two real roots of a quadratic, or none.
type Roots struct {
	Real   bool
	Lo, Hi *big.Float
}

// Prediction is the predicted global minimizer geometry of one setting, as
// a Theory makes it: the same type whatever the theory, so that package
// verify and package derivation take one argument. Fields a theory does not
// define are nil (or false). A theory outside this package starts from
// NewPrediction, fills the fields (matrices from NewMatrix), attaches its
// explicit point (SetMinimizer or SetMinimizerFunc) and can check the result
// with Validate, as package verify does for every prediction it compares.
type Prediction struct {
	Setting setting.Setting
	// Theory is the Name of the theory that made the prediction; Model says
	// what the prediction is when that is not the theorem of section 2
	// ("bias, vs sec. 4"); "" otherwise.
	Theory string
	Model  string
	Prec   uint // bits of mantissa of every *big.Float below

	Classes []Class // in the setting's class order
	// Objective is f*, the objective f of theory.md section 1 (with the
	// setting's loss) at the predicted point: for cross-entropy with
	// orthogonal class means and no bias
	// sum_k (n_k/N) [log(1 + (K-1) exp(-M_k)) + c beta_k M_k] (log K when
	// every class collapses).
	Objective *big.Float
	// CollapseThreshold is the count at or below which a class collapses
	// (K N^2 lambda_W lambda_H / (K-1) for the paper; K N^2 lambda_W^2 /
	// (4 (K-1)) for the authors' code): class k collapses iff n_k <= it. nil
	// for theories without a closed-form threshold.
	CollapseThreshold *big.Float
	// GlobalCollapse is true iff every class collapses (W = 0, H = 0).
	GlobalCollapse bool

	// WH is W Hbar, the logits of the class means without the bias: for the
	// orthogonal structure (I - J/K) diag(M), entry (j, k) = M_k (delta_jk - 1/K).
	WH *Matrix
	// WWT is W W^T; (I - J/K) diag(gamma) (I - J/K) for cross-entropy
	// without a bias.
	WWT *Matrix
	// HTH is Hbar^T Hbar = diag(rho) for orthogonal class means.
	HTH *Matrix
	// Bias is the predicted bias b* (length K), nil for a bias-free theory.
	Bias []*big.Float
	// ClassifierRule is the K x K matrix A with W = c A Hbar^T for some
	// c > 0 at the predicted point: the classifier as a combination of the
	// class means, the reference of the metric NC2_W (theory.md section 8).
	// For the theorem of section 2, A = K diag(sqrt(n)) - 1 sqrt(n)^T (rows
	// K sqrt(n_k) e_k - sqrt(n), PaperClassifierRule); for the simplex ETF of
	// section 9, A = I; nil when the theory has no such rule (with a bias).
	// Float64: it only enters normalised distances.
	ClassifierRule *mat.Dense
	// MeanCos is the predicted cosine between two distinct alive class means
	// (0 for orthogonal means).
	MeanCos float64
	// Reduced holds the solution of the reduced problem of theory.md
	// section 4 for a prediction with a bias; nil otherwise.
	Reduced *Reduced

	// point builds the explicit point (SetMinimizer, SetMinimizerFunc).
	point func() (*Minimizer, error)
}

// NewPrediction returns the prediction of the named theory for s at prec
// bits with only its frame filled in: a copy of the setting, the name, the
// precision and one Class per class with its count N (every other field
// zero). The theory sets the rest; Validate checks it.
func NewPrediction(theory string, s setting.Setting, prec uint) *Prediction {
	p := &Prediction{Setting: s.Clone(), Theory: theory, Prec: prec, Classes: make([]Class, s.K())}
	for i, n := range s.Counts {
		p.Classes[i].N = n
	}
	return p
}

// SetMinimizer makes m the explicit point of the prediction; Minimizer
// returns a copy of it. Validate checks it against the prediction.
func (p *Prediction) SetMinimizer(m *Minimizer) {
	p.point = func() (*Minimizer, error) { return m.Clone(), nil }
}

// SetMinimizerFunc makes build the constructor of the explicit point,
// called by every Minimizer call (for a point that is large, K x d, and
// rarely needed). build must return a new Minimizer each time.
func (p *Prediction) SetMinimizerFunc(build func() (*Minimizer, error)) { p.point = build }

// HasMinimizer reports whether the prediction has an explicit point.
func (p *Prediction) HasMinimizer() bool { return p.point != nil }

// Minimizer returns one explicit point of the predicted geometry (see the
// type Minimizer): for the built-in theories built from values the
// prediction kept at its working precision and rounded once to Prec bits;
// each call returns a new one.
func (p *Prediction) Minimizer() (*Minimizer, error) {
	if p.point == nil {
		return nil, fmt.Errorf("closedform: the %s prediction has no explicit point", p.Theory)
	}
	return p.point()
}

// K returns the number of classes.
func (p *Prediction) K() int { return len(p.Classes) }

// Alive returns, per class, whether the prediction keeps it alive (a new
// slice).
func (p *Prediction) Alive() []bool {
	a := make([]bool, len(p.Classes))
	for i, cl := range p.Classes {
		a[i] = cl.Alive
	}
	return a
}

// AliveCount returns the number of alive classes.
func (p *Prediction) AliveCount() int { return countTrue(p.Alive()) }

// BiasDense returns the predicted bias rounded to float64, nil for a
// bias-free prediction.
func (p *Prediction) BiasDense() []float64 { return float64s(p.Bias) }

func float64s(xs []*big.Float) []float64 {
	if xs == nil {
		return nil
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i], _ = x.Float64()
	}
	return v
}

// checkFinite reports a non-finite (or missing) objective or per-class
// value of a built-in prediction, wrapping setting.ErrNonFinite.
func (p *Prediction) checkFinite() error {
	if p.Objective == nil {
		return fmt.Errorf("closedform: no objective: %w", setting.ErrNonFinite)
	}
	vals := []*big.Float{p.Objective}
	for _, cl := range p.Classes {
		vals = append(vals, cl.Margin, cl.FeatureNormSq, cl.ClassifierNormSq, cl.ProbCorrect, cl.Gamma, cl.CBeta, cl.CosWH)
	}
	for _, v := range vals {
		if v != nil && v.IsInf() {
			return fmt.Errorf("closedform: an intermediate result is infinite: %w", setting.ErrNonFinite)
		}
	}
	return nil
}
