package optimize

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"nccheck/setting"
)

// Problem is one instance of the training problem of theory.md section 1,
// in float64. It is plain data: build it with NewProblem (from a validated
// setting.Setting) or fill the fields and call Validate.
//
// Samples are laid out class by class: columns 0..n_1-1 of H belong to
// class 0, the next n_2 columns to class 1, and so on.
type Problem struct {
	// Counts holds n_1..n_K; K = len(Counts).
	Counts []int
	// Dim is the feature dimension d.
	Dim int
	// LambdaW, LambdaH, LambdaB are the regularisation strengths (float64
	// roundings of the exact decimals). LambdaB is used only with Bias;
	// LambdaB = 0 is an unregularised bias (no penalty on b).
	LambdaW, LambdaH, LambdaB float64
	// Bias adds the bias vector b to the logits.
	Bias bool
	// ReLU constrains H >= 0 entrywise (the UFM+ model); false is the plain
	// UFM.
	ReLU bool
	// Loss is the loss l(z; k) of the logits of a sample (theory.md
	// sections 1 and 12): cross-entropy (the zero value), label-smoothed
	// cross-entropy or the squared error.
	Loss setting.Loss
}

// NewProblem converts a setting into a Problem, with its loss and, for an
// unregularised bias (s.Unregularised()), LambdaB = 0. The setting is
// validated first; its errors are returned unchanged (*setting.InputError).
func NewProblem(s setting.Setting) (*Problem, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	p := &Problem{
		Counts:  append([]int(nil), s.Counts...),
		Dim:     s.Dim,
		LambdaW: s.LambdaW.Float64(),
		LambdaH: s.LambdaH.Float64(),
		Bias:    s.Bias,
		ReLU:    s.ReLU(),
		Loss:    s.Loss,
	}
	if s.Bias {
		p.LambdaB = s.LambdaB.Float64()
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("optimize: setting %v: %w", s, err)
	}
	return p, nil
}

// K returns the number of classes.
func (p *Problem) K() int { return len(p.Counts) }

// N returns the number of samples, sum_k n_k.
func (p *Problem) N() int {
	n := 0
	for _, c := range p.Counts {
		n += c
	}
	return n
}

// NumVars returns the length of the variable vector, (K + N) d, plus K with
// a bias (the layout is described before Problem.Vector).
func (p *Problem) NumVars() int {
	n := p.K()*p.Dim + p.N()*p.Dim
	if p.Bias {
		n += p.K()
	}
	return n
}

// ClassStart returns the index of the first sample (column of H) of class k.
func (p *Problem) ClassStart(k int) int {
	s := 0
	for _, c := range p.Counts[:k] {
		s += c
	}
	return s
}

// Validate checks that the problem is well formed: K >= 2, every n_k >= 1,
// d >= 1, lambda_W and lambda_H finite and positive, and with a bias
// lambda_b finite and >= 0 (0: unregularised).
func (p *Problem) Validate() error {
	if p == nil {
		return errors.New("nil problem")
	}
	if p.K() < 2 {
		return fmt.Errorf("need at least 2 classes, got %d", p.K())
	}
	for i, c := range p.Counts {
		if c < 1 {
			return fmt.Errorf("class %d has %d samples, need at least 1", i+1, c)
		}
	}
	if p.Dim < 1 {
		return fmt.Errorf("feature dimension %d, need at least 1", p.Dim)
	}
	check := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s = %v, need a finite positive number", name, v)
		}
		return nil
	}
	if err := check("lambda_W", p.LambdaW); err != nil {
		return err
	}
	if err := check("lambda_H", p.LambdaH); err != nil {
		return err
	}
	if p.Bias && !(p.LambdaB >= 0 && !math.IsInf(p.LambdaB, 0)) {
		return fmt.Errorf("lambda_b = %v, need a finite number >= 0 (0: an unregularised bias)", p.LambdaB)
	}
	return nil
}

// Point is a point (W, H, b) of the problem: W is K x d, H is d x N (one
// column per sample, classes in order), B has length K, or is nil for a
// bias-free problem.
type Point struct {
	W *mat.Dense
	H *mat.Dense
	B []float64
}

// The variable vector x used by Evaluator and the methods is laid out as
//
//	x = [ W row-major (K*d) | H column-major, i.e. sample after sample (N*d) | b (K, with Bias) ]
//
// so that the features of sample i are the contiguous slice
// x[K*d+i*d : K*d+(i+1)*d].

// offH returns the offset of H in the variable vector.
func (p *Problem) offH() int { return p.K() * p.Dim }

// offB returns the offset of b in the variable vector.
func (p *Problem) offB() int { return p.K()*p.Dim + p.N()*p.Dim }

// Vector packs a point into a new variable vector. It checks the shapes.
func (p *Problem) Vector(pt Point) ([]float64, error) {
	k, d, n := p.K(), p.Dim, p.N()
	if pt.W == nil || pt.H == nil {
		return nil, errors.New("optimize: point has a nil W or H")
	}
	if r, c := pt.W.Dims(); r != k || c != d {
		return nil, fmt.Errorf("optimize: W is %dx%d, want %dx%d", r, c, k, d)
	}
	if r, c := pt.H.Dims(); r != d || c != n {
		return nil, fmt.Errorf("optimize: H is %dx%d, want %dx%d", r, c, d, n)
	}
	if p.Bias && len(pt.B) != k {
		return nil, fmt.Errorf("optimize: b has length %d, want %d", len(pt.B), k)
	}
	if !p.Bias && len(pt.B) != 0 {
		return nil, errors.New("optimize: b given for a bias-free problem")
	}
	x := make([]float64, p.NumVars())
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			x[i*d+j] = pt.W.At(i, j)
		}
	}
	o := p.offH()
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x[o+i*d+j] = pt.H.At(j, i)
		}
	}
	copy(x[p.offB():], pt.B)
	return x, nil
}

// PointOf unpacks a variable vector into a new Point (copies).
func (p *Problem) PointOf(x []float64) Point {
	k, d, n := p.K(), p.Dim, p.N()
	w := mat.NewDense(k, d, append([]float64(nil), x[:k*d]...))
	h := mat.NewDense(d, n, nil)
	o := p.offH()
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			h.Set(j, i, x[o+i*d+j])
		}
	}
	var b []float64
	if p.Bias {
		b = append([]float64(nil), x[p.offB():p.offB()+k]...)
	}
	return Point{W: w, H: h, B: b}
}

// Objective returns f(W, H, b) at the point. It does not check H >= 0. A
// non-finite value is an error.
func (p *Problem) Objective(pt Point) (float64, error) {
	x, err := p.Vector(pt)
	if err != nil {
		return 0, err
	}
	e, err := NewEvaluator(p)
	if err != nil {
		return 0, err
	}
	g := make([]float64, len(x))
	return e.FuncGrad(x, g)
}

// Gradient returns f and its gradient at the point, as a Point of the same
// shapes (grad_W, grad_H, grad_b) of theory.md section 5.
func (p *Problem) Gradient(pt Point) (float64, Point, error) {
	x, err := p.Vector(pt)
	if err != nil {
		return 0, Point{}, err
	}
	e, err := NewEvaluator(p)
	if err != nil {
		return 0, Point{}, err
	}
	g := make([]float64, len(x))
	f, err := e.FuncGrad(x, g)
	if err != nil {
		return 0, Point{}, err
	}
	return f, p.PointOf(g), nil
}

// KKTResidual returns the objective and the KKT residual of theory.md
// section 5 at the point:
//
//	max(||grad_W||_inf, ||grad_b||_inf, ||min(H, grad_H)||_inf)   (ReLU)
//	max(||grad_W||_inf, ||grad_b||_inf, ||grad_H||_inf)           (plain UFM)
//
// For the ReLU problem a point with a negative entry of H is infeasible and
// is an error.
func (p *Problem) KKTResidual(pt Point) (f, res float64, err error) {
	x, err := p.Vector(pt)
	if err != nil {
		return 0, 0, err
	}
	if p.ReLU {
		for i, v := range x[p.offH():p.offB()] {
			if v < 0 {
				d := p.Dim
				return 0, 0, fmt.Errorf("optimize: infeasible point: H[%d,%d] = %v < 0", i%d, i/d, v)
			}
		}
	}
	e, err := NewEvaluator(p)
	if err != nil {
		return 0, 0, err
	}
	g := make([]float64, len(x))
	f, err = e.FuncGrad(x, g)
	if err != nil {
		return 0, 0, err
	}
	return f, p.Residual(x, g), nil
}

// Residual returns the KKT residual (see KKTResidual) of a variable vector x
// and its gradient g. It is NaN if an entry is NaN.
func (p *Problem) Residual(x, g []float64) float64 {
	oh, ob := p.offH(), p.offB()
	r := absMax(g[:oh])
	if p.ReLU {
		h, gh := x[oh:ob], g[oh:ob:ob]
		gh = gh[:len(h)]
		r0, r1 := r, r
		i := 0
		for ; i+2 <= len(h); i += 2 {
			a, b := gh[i], gh[i+1]
			if h[i] < a {
				a = h[i]
			}
			if h[i+1] < b {
				b = h[i+1]
			}
			a, b = math.Abs(a), math.Abs(b)
			if a > r0 || a != a {
				r0 = a
			}
			if b > r1 || b != b {
				r1 = b
			}
		}
		for ; i < len(h); i++ {
			a := gh[i]
			if h[i] < a {
				a = h[i]
			}
			if a = math.Abs(a); a > r0 || a != a {
				r0 = a
			}
		}
		r = max(r0, r1)
	} else {
		r = max(r, absMax(g[oh:ob]))
	}
	return max(r, absMax(g[ob:]))
}

// absMax returns max_i |v_i| (0 for an empty slice, NaN if any is NaN).
func absMax(v []float64) float64 {
	r := 0.0
	for _, a := range v {
		r = max(r, math.Abs(a))
	}
	return r
}
