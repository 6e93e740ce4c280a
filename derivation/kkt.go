package derivation

import (
	"errors"
	"fmt"
	"math/big"

	"nccheck/closedform"
	"nccheck/setting"
)

// Point is a point (W, H, b) of the training problem in big.Float, with the
// sample columns of H grouped: column g of Columns stands for Mult[g]
// samples of class Labels[g], all with the same features. A point with
// per-sample features simply has Mult[g] = 1 for every column.
//
// The precision of the entries does not matter; Evaluate reads them exactly.
type Point struct {
	// W is K x d, row-major: W[j][i] is the weight of class j on coordinate i.
	W [][]*big.Float
	// B is the bias, length K; nil for a bias-free point.
	B []*big.Float
	// Columns holds the G distinct feature columns, each of length d:
	// Columns[g][i] is coordinate i of column g.
	Columns [][]*big.Float
	// Labels[g] is the 0-based class of column g.
	Labels []int
	// Mult[g] >= 1 is the number of samples column g stands for.
	Mult []int
}

// KKT is the result of Evaluate: the objective and the residuals of the KKT
// conditions of theory.md section 5 at one point, with G the K x N matrix
// whose column for a sample of class y with logits z is grad_z l(z; y) / N
// for the setting's loss l ((P - Y)/N for cross-entropy, (P - T)/N for label
// smoothing with the smoothed targets T, (Z - Y)/N for the squared error).
// Every *big.Float has precision Prec. Norms are infinity norms (largest
// absolute entry).
type KKT struct {
	Prec uint // bits of mantissa of the arithmetic and of every result
	// Objective is f(W, H, b) of theory.md section 1.
	Objective *big.Float
	// StationarityW is ||grad_W||_inf, grad_W = G H^T + lambda_W W.
	StationarityW *big.Float
	// StationarityB is ||grad_b||_inf, grad_b = G 1 + lambda_b b (G 1 for an
	// unregularised bias, lambda_b = 0); nil without a bias.
	StationarityB *big.Float
	// Complementarity is ||min(H, grad_H)||_inf with the ReLU constraint, and
	// ||grad_H||_inf without it (plain UFM), grad_H = W^T G + lambda_H H.
	Complementarity *big.Float
	// MinDualSlack is the smallest entry of grad_H over the entries with
	// H = 0 (negative means dual feasibility is violated there); nil when no
	// entry of H is 0 or there is no ReLU constraint.
	MinDualSlack *big.Float
	// MinDualSlackClass and MinDualSlackCoord locate MinDualSlack: the
	// 0-based class of the sample and the coordinate of the feature (-1 when
	// MinDualSlack is nil).
	MinDualSlackClass, MinDualSlackCoord int
	// ZeroEntries is the number of entries of H (counting every sample) equal
	// to 0, the entries over which MinDualSlack is taken.
	ZeroEntries int
	// PrimalInfeasibility is max(0, -min H): how far H is from H >= 0 (0
	// without the ReLU constraint).
	PrimalInfeasibility *big.Float
	// Residual is the overall KKT residual: the largest of StationarityW,
	// StationarityB, Complementarity, PrimalInfeasibility and
	// max(0, -MinDualSlack).
	Residual *big.Float
	// Scale is the largest of ||lambda_W W||_inf, ||lambda_H H||_inf and
	// ||lambda_b b||_inf, and for an unregularised bias also of
	// || |G| 1 ||_inf (the per-sample terms that cancel in grad_b = G 1): the
	// size of the terms that cancel in the gradient, against which Residual
	// can be read as a relative error.
	Scale *big.Float

	// GradW (K x d), GradB (K, nil without bias) and GradH (one gradient
	// column per distinct column of the point, the gradient with respect to
	// the features of each single sample of that column) are the gradient.
	GradW   [][]*big.Float
	GradB   []*big.Float
	GradH   [][]*big.Float
	Columns int // number of distinct columns G evaluated
}

// Evaluate computes the objective, the gradient and the KKT residuals of the
// problem s at pt, in big.Float arithmetic at prec bits of mantissa (prec in
// [closedform.MinPrec, closedform.MaxPrec]), for the loss s.Loss
// (cross-entropy, label smoothing or squared error). The losses are this
// package's own (loss.go, objective.go; the softmax relative to the correct
// logit, with 1 - p_y and CE formed without cancellation), so the residual
// stays at 2^-prec relative to the gradient terms even when p_y is within
// 2^-prec of 1; none of closedform's or optimize's objective code is used.
// The point must match s: W is K x d, every column has length d, the
// multiplicities of each class sum to its count n_k, and B is present
// exactly when s.Bias is set (an unregularised bias, lambda_b = 0, is
// supported: stationarity in b is then G 1 = 0). Non-finite values are
// errors wrapping setting.ErrNonFinite.
//
// Cost: O(G K d) multiplications and O(G K) exponentials at prec bits, for G
// distinct columns.
func Evaluate(s setting.Setting, pt *Point, prec uint) (res *KKT, err error) {
	if prec < closedform.MinPrec || prec > closedform.MaxPrec {
		return nil, &setting.InputError{Field: "Prec", Value: fmt.Sprint(prec),
			Reason: fmt.Sprintf("must be between %d and %d bits", closedform.MinPrec, closedform.MaxPrec)}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if err := pt.check(s); err != nil {
		return nil, err
	}
	defer func() {
		// big.Float panics with ErrNaN on Inf-Inf and similar; the inputs are
		// checked finite, so this is a safety net that turns it into an error.
		if r := recover(); r != nil {
			if _, ok := r.(big.ErrNaN); ok {
				res, err = nil, fmt.Errorf("derivation: evaluate %s: %w", s, setting.ErrNonFinite)
				return
			}
			panic(r)
		}
	}()
	e, err := newEvaluator(s, prec)
	if err != nil {
		return nil, err
	}
	return e.run(pt)
}

// check validates the shapes and values of pt against s.
func (pt *Point) check(s setting.Setting) error {
	k, d := s.K(), s.Dim
	if pt == nil {
		return errors.New("derivation: nil point")
	}
	if len(pt.W) != k {
		return fmt.Errorf("derivation: W has %d rows, want K = %d", len(pt.W), k)
	}
	for j, row := range pt.W {
		if len(row) != d {
			return fmt.Errorf("derivation: W row %d has %d entries, want d = %d", j+1, len(row), d)
		}
		if err := checkFinite(row); err != nil {
			return fmt.Errorf("derivation: W row %d: %w", j+1, err)
		}
	}
	if s.Bias != (pt.B != nil) {
		return fmt.Errorf("derivation: bias given %t, setting has bias %t", pt.B != nil, s.Bias)
	}
	if pt.B != nil {
		if len(pt.B) != k {
			return fmt.Errorf("derivation: b has length %d, want K = %d", len(pt.B), k)
		}
		if err := checkFinite(pt.B); err != nil {
			return fmt.Errorf("derivation: b: %w", err)
		}
	}
	if len(pt.Labels) != len(pt.Columns) || len(pt.Mult) != len(pt.Columns) {
		return fmt.Errorf("derivation: %d columns, %d labels, %d multiplicities", len(pt.Columns), len(pt.Labels), len(pt.Mult))
	}
	per := make([]int, k)
	for g, col := range pt.Columns {
		if len(col) != d {
			return fmt.Errorf("derivation: column %d has %d entries, want d = %d", g+1, len(col), d)
		}
		if err := checkFinite(col); err != nil {
			return fmt.Errorf("derivation: column %d: %w", g+1, err)
		}
		if pt.Labels[g] < 0 || pt.Labels[g] >= k {
			return fmt.Errorf("derivation: column %d has label %d, want 0..%d", g+1, pt.Labels[g], k-1)
		}
		if pt.Mult[g] < 1 {
			return fmt.Errorf("derivation: column %d has multiplicity %d, want >= 1", g+1, pt.Mult[g])
		}
		per[pt.Labels[g]] += pt.Mult[g]
	}
	for c, n := range s.Counts {
		if per[c] != n {
			return fmt.Errorf("derivation: class %d has %d samples in the point, want n_%d = %d", c, per[c], c, n)
		}
	}
	return nil
}

func checkFinite(xs []*big.Float) error {
	for i, x := range xs {
		if x == nil {
			return fmt.Errorf("entry %d is nil", i+1)
		}
		if x.IsInf() {
			return fmt.Errorf("entry %d: %w", i+1, setting.ErrNonFinite)
		}
	}
	return nil
}

// evaluator holds the exact problem data at the working precision.
type evaluator struct {
	s          setting.Setting
	prec       uint
	k, d       int
	lw, lh, lb *big.Float
	invN       *big.Float
	loss       sampleLoss
}

func newEvaluator(s setting.Setting, prec uint) (*evaluator, error) {
	loss, err := newSampleLoss(s.Loss, s.K(), prec)
	if err != nil {
		return nil, err
	}
	e := &evaluator{s: s, prec: prec, k: s.K(), d: s.Dim, loss: loss}
	e.lw = s.LambdaW.Float(prec)
	e.lh = s.LambdaH.Float(prec)
	e.lb = s.LambdaB.Float(prec)
	e.invN = e.newF().Quo(e.fromInt(1), e.fromInt(int64(s.N())))
	return e, nil
}

func (e *evaluator) newF() *big.Float           { return new(big.Float).SetPrec(e.prec) }
func (e *evaluator) fromInt(i int64) *big.Float { return e.newF().SetInt64(i) }

func (e *evaluator) zeros(n int) []*big.Float {
	v := make([]*big.Float, n)
	for i := range v {
		v[i] = e.newF()
	}
	return v
}

// raise sets dst to |v| when |v| > dst (a running infinity norm).
func raise(dst, v *big.Float) {
	if new(big.Float).Abs(v).Cmp(dst) > 0 {
		dst.Abs(v)
	}
}

// columnSums are the sums over the columns of a point that Evaluate needs.
type columnSums struct {
	loss    *big.Float     // sum over samples of l(z; y)
	hNormSq *big.Float     // ||H||_F^2, every sample counted
	gradW   [][]*big.Float // G H^T (K x d)
	gradB   []*big.Float   // G 1; nil without a bias
	absB    []*big.Float   // |G| 1, the per-sample terms of G 1; nil without a bias
	gradH   [][]*big.Float // W^T G + lambda_H H, one column per distinct column
}

func (e *evaluator) run(pt *Point) (*KKT, error) {
	cs := e.columns(pt)
	r := &KKT{Prec: e.prec, Columns: len(pt.Columns), MinDualSlackClass: -1, MinDualSlackCoord: -1}
	r.Objective = e.objective(pt, cs)
	scale := e.newF()
	r.StationarityW = e.stationarityW(pt, cs.gradW, scale)
	if pt.B != nil {
		r.StationarityB = e.stationarityB(pt, cs, scale)
	}
	e.complementarity(r, pt, cs.gradH, scale)
	r.Residual = e.newF().Set(r.StationarityW)
	for _, v := range []*big.Float{r.StationarityB, r.Complementarity, r.PrimalInfeasibility} {
		if v != nil && v.Cmp(r.Residual) > 0 {
			r.Residual.Set(v)
		}
	}
	if r.MinDualSlack != nil && r.MinDualSlack.Sign() < 0 {
		raise(r.Residual, r.MinDualSlack)
	}
	r.Scale = scale
	r.GradW, r.GradB, r.GradH = cs.gradW, cs.gradB, cs.gradH
	for _, v := range []*big.Float{r.Objective, r.Residual, r.Scale} {
		if v.IsInf() {
			return nil, fmt.Errorf("derivation: evaluate %s: %w", e.s, setting.ErrNonFinite)
		}
	}
	return r, nil
}

// columns evaluates the loss at every distinct column and accumulates the
// loss, ||H||^2 and the data terms of the gradient.
func (e *evaluator) columns(pt *Point) *columnSums {
	k, d := e.k, e.d
	cs := &columnSums{loss: e.newF(), hNormSq: e.newF(), gradW: make([][]*big.Float, k), gradH: make([][]*big.Float, len(pt.Columns))}
	for j := range cs.gradW {
		cs.gradW[j] = e.zeros(d)
	}
	if pt.B != nil {
		cs.gradB, cs.absB = e.zeros(k), e.zeros(k)
	}
	t := e.newF()
	z := e.zeros(k)
	for g, h := range pt.Columns {
		y, m := pt.Labels[g], e.fromInt(int64(pt.Mult[g]))
		e.logits(z, pt, h)
		l, gc := e.loss.value(z, y)
		cs.loss.Add(cs.loss, l.Mul(l, m))
		// G column for one sample: grad l / N.
		for j := range gc {
			gc[j].Mul(gc[j], e.invN)
		}
		mg := e.zeros(k) // m * gc
		for j := range gc {
			mg[j].Mul(gc[j], m)
			if cs.gradB != nil {
				cs.gradB[j].Add(cs.gradB[j], mg[j])
				cs.absB[j].Add(cs.absB[j], t.Abs(mg[j]))
			}
			for i := 0; i < d; i++ {
				if h[i].Sign() != 0 {
					cs.gradW[j][i].Add(cs.gradW[j][i], t.Mul(mg[j], h[i]))
				}
			}
		}
		gh := e.zeros(d)
		for i := 0; i < d; i++ {
			for j := 0; j < k; j++ {
				if pt.W[j][i].Sign() != 0 {
					gh[i].Add(gh[i], t.Mul(pt.W[j][i], gc[j]))
				}
			}
			gh[i].Add(gh[i], t.Mul(e.lh, h[i]))
			cs.hNormSq.Add(cs.hNormSq, t.Mul(m, t.Mul(h[i], h[i])))
		}
		cs.gradH[g] = gh
	}
	return cs
}

// logits sets z = W h + b.
func (e *evaluator) logits(z []*big.Float, pt *Point, h []*big.Float) {
	t := e.newF()
	for j := 0; j < e.k; j++ {
		z[j].SetInt64(0)
		for i := 0; i < e.d; i++ {
			if h[i].Sign() == 0 || pt.W[j][i].Sign() == 0 {
				continue
			}
			z[j].Add(z[j], t.Mul(pt.W[j][i], h[i]))
		}
		if pt.B != nil {
			z[j].Add(z[j], pt.B[j])
		}
	}
}

// objective returns f = loss / N + (lambda_W/2) ||W||^2 + (lambda_H/2) ||H||^2
// + (lambda_b/2) ||b||^2.
func (e *evaluator) objective(pt *Point, cs *columnSums) *big.Float {
	t := e.newF()
	obj := e.newF().Mul(cs.loss, e.invN)
	half := e.newF().SetFloat64(0.5)
	wNormSq := e.newF()
	for j := 0; j < e.k; j++ {
		for i := 0; i < e.d; i++ {
			wNormSq.Add(wNormSq, t.Mul(pt.W[j][i], pt.W[j][i]))
		}
	}
	obj.Add(obj, t.Mul(half, t.Mul(e.lw, wNormSq)))
	obj.Add(obj, t.Mul(half, t.Mul(e.lh, cs.hNormSq)))
	if pt.B != nil {
		bNormSq := e.newF()
		for _, v := range pt.B {
			bNormSq.Add(bNormSq, t.Mul(v, v))
		}
		obj.Add(obj, t.Mul(half, t.Mul(e.lb, bNormSq)))
	}
	return obj
}

// stationarityW adds lambda_W W to gradW (in place) and returns
// ||grad_W||_inf, raising scale to ||lambda_W W||_inf.
func (e *evaluator) stationarityW(pt *Point, gradW [][]*big.Float, scale *big.Float) *big.Float {
	norm := e.newF()
	for j := 0; j < e.k; j++ {
		for i := 0; i < e.d; i++ {
			lw := e.newF().Mul(e.lw, pt.W[j][i])
			raise(scale, lw)
			gradW[j][i].Add(gradW[j][i], lw)
			raise(norm, gradW[j][i])
		}
	}
	return norm
}

// stationarityB adds lambda_b b to grad_b (in place) and returns
// ||grad_b||_inf, raising scale to ||lambda_b b||_inf, or for an
// unregularised bias (lambda_b = 0, grad_b = G 1) to || |G| 1 ||_inf, the
// size of the per-sample terms that cancel in G 1.
func (e *evaluator) stationarityB(pt *Point, cs *columnSums, scale *big.Float) *big.Float {
	norm := e.newF()
	for j := 0; j < e.k; j++ {
		lb := e.newF().Mul(e.lb, pt.B[j])
		raise(scale, lb)
		if e.s.Unregularised() {
			raise(scale, cs.absB[j])
		}
		cs.gradB[j].Add(cs.gradB[j], lb)
		raise(norm, cs.gradB[j])
	}
	return norm
}

// complementarity fills the complementarity, primal feasibility and dual
// slack fields of r from grad_H, raising scale to ||lambda_H H||_inf.
func (e *evaluator) complementarity(r *KKT, pt *Point, gradH [][]*big.Float, scale *big.Float) {
	relu := e.s.ReLU()
	t := e.newF()
	r.Complementarity = e.newF()
	r.PrimalInfeasibility = e.newF()
	for g, h := range pt.Columns {
		for i := 0; i < e.d; i++ {
			raise(scale, t.Mul(e.lh, h[i]))
			gh := gradH[g][i]
			if !relu {
				raise(r.Complementarity, gh)
				continue
			}
			if h[i].Sign() < 0 {
				raise(r.PrimalInfeasibility, h[i])
			}
			if h[i].Cmp(gh) < 0 {
				raise(r.Complementarity, h[i])
			} else {
				raise(r.Complementarity, gh)
			}
			if h[i].Sign() == 0 {
				r.ZeroEntries += pt.Mult[g]
				if r.MinDualSlack == nil || gh.Cmp(r.MinDualSlack) < 0 {
					r.MinDualSlack = e.newF().Set(gh)
					r.MinDualSlackClass, r.MinDualSlackCoord = pt.Labels[g], i
				}
			}
		}
	}
}
