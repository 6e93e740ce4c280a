package certificate

import (
	"math/big"
	"time"
)

// Result is the float64 certificate at one point (AtPoint, Accumulator):
// a lower bound on the global minimum of the training problem, valid for
// every feature dimension d, computed in float64. It is a bracket with
// float64 rounding error (relative errors of order 1e-16 times the
// condition of the sums), not a proof; BigBound and BigAtPoint give the
// rigorous form.
type Result struct {
	// LowerBound is LB(alpha Yhat) of theory.md sections 11 and 12:
	//
	//	LB = sum_k (n_k/N) V_k(alpha) - alpha^2 ||sum_k n_k g_k||^2 / (2 lambda_b N^2),
	//
	// V_k(alpha) = -l*(-alpha g_k; k) (the entropy Ent(t_k - alpha g_k) for
	// cross-entropy and label smoothing), g_k the class mean of -grad l at
	// the point (centred for an unregularised bias); the last term only with
	// a regularised bias.
	LowerBound float64
	// Loss is the mean loss (1/N) sum_i l(z_i; y_i) at the point.
	Loss float64
	// Objective is f at the point (loss plus the penalties), set by AtPoint;
	// 0 from an Accumulator, which does not see W, H, b (use Gap).
	Objective float64
	// Alpha is the scale of the dual point, the maximiser of the concave LB
	// over [0, AlphaMax]; AlphaMax is the upper end of the admissible
	// interval, min(s / omega, the largest alpha keeping every
	// t_k - alpha g_k a probability vector); math.MaxFloat64 when nothing
	// bounds alpha (squared error with every g_k = 0). At the paper's
	// prediction Alpha = AlphaMax = 1.
	Alpha, AlphaMax float64
	// DualNormRatio is omega/s: omega bounds the dual gauge of the class
	// dual point Yhat (sqrt(rho(Q+)) with ReLU features, ||A||_2 for the
	// plain UFM), s = sqrt(lambda_W lambda_H). 1 at the paper's prediction;
	// above 1 means the point is not a global minimum for large enough d.
	DualNormRatio float64
	// R holds r_k = Q_kk / (lambda_W lambda_H), Q = A^T A (the solver's
	// escape statistic: r_k > 1 lets class k lower the objective on a free
	// coordinate).
	R []float64
	// PerronRatio is c^T Q c / (lambda_W lambda_H) for c the Perron vector
	// of Q+ (the top eigenvector of Q for the plain UFM), whatever its
	// value: with R, what a caller needs to apply its own descent test.
	PerronRatio float64
	// Descent is the strongest descent direction found (theory.md section
	// 11), nil when neither the Perron vector of Q+ (the top eigenvector
	// of Q for the plain UFM) nor any e_k has c^T Q c > (1 + 1e-6)
	// lambda_W lambda_H (a solver point at KKT residual 1e-10 has
	// r_k - 1 of order 1e-9 from the residual alone).
	Descent *Descent
	Stats   Stats
}

// Gap returns f - LowerBound for the objective f of the point: an upper
// bound on how far f lies above the global minimum (for every d).
func (r *Result) Gap(f float64) float64 { return f - r.LowerBound }

// Descent is a direction along which the objective can be lowered
// (theory.md section 11): with c >= 0 (any sign for the plain UFM),
// ||c|| = 1 and c^T Q c > lambda_W lambda_H, on a feature coordinate e_r
// that no sample uses, the rank-one move
//
//	W += t_w U e_r^T,   H += t_h e_r v^T,   v_i = V[y_i],   t_w / t_h = StepRatio,
//
// lowers f for small t_h > 0 (first order in t_w t_h: by
// t_w t_h (s - sqrt(c^T Q c))).
type Descent struct {
	// Classes are the classes to move: c_k > 1e-9 max_j |c_j| (|c_k| for the
	// plain UFM), in increasing order.
	Classes []int
	// C is c (length K); U = A c / ||A c|| (length K, in logit space); V[k]
	// = c_k / sqrt(n_k) is the feature entry of every sample of class k.
	C, U, V []float64
	// Ratio is c^T Q c / (lambda_W lambda_H) > 1.
	Ratio float64
	// StepRatio is t_w / t_h = sqrt(lambda_H / lambda_W) ||v|| (||v|| = 1).
	StepRatio float64
	// Perron is true when c is the Perron vector of Q+ (top eigenvector of
	// Q), false when it is a unit vector e_k.
	Perron bool
}

// Stats are the work of one bound.
type Stats struct {
	// Samples is N, the number of samples the point has; Groups the number
	// of distinct logit columns evaluated (N for float64 input).
	Samples, Groups int
	// Iterations counts the steps of the search of alpha; Inverse the
	// inverse-iteration steps of the big-float spectral bound.
	Iterations, Inverse int
	Time                time.Duration
}

// BigResult is the big-float certificate at an explicit point (BigBound,
// BigAtPoint). LowerBound is rigorous: see the package documentation for
// what is proved and under which stated error bound of the logarithm.
// Every *big.Float has precision Prec.
type BigResult struct {
	Prec uint
	// LowerBound is a lower bound of LB(alpha Yhat) (see Result), every
	// operation rounded in the safe direction; a lower bound on the global
	// minimum of the problem for every d.
	LowerBound *big.Float
	// Loss is the mean loss at the point, rounded to nearest (not a bound).
	Loss *big.Float
	// Objective is f at the point, rounded to nearest (BigAtPoint only;
	// nil from BigBound, which sees only logits).
	Objective *big.Float
	// Alpha is the scale used (rounded to Prec from the exact value the
	// bound used); AlphaMax a lower bound of the upper end of the
	// admissible interval, nil when nothing bounds alpha.
	Alpha, AlphaMax *big.Float
	// DualNormRatio is an upper bound of omega/s (rounded up).
	DualNormRatio *big.Float
	// R holds r_k = Q_kk / (lambda_W lambda_H), rounded to nearest.
	R []*big.Float
	// PerronRatio is Result.PerronRatio, in float64.
	PerronRatio float64
	// Descent is computed in float64 from the class-level matrices (see
	// Result.Descent); its threshold is Ratio > 1 + 2^-(Prec/2).
	Descent *Descent
	Stats   Stats
}

// Gap returns f - LowerBound rounded up: with f the objective of the point,
// an upper bound on f minus the global minimum.
func (r *BigResult) Gap(f *big.Float) *big.Float {
	return up(r.Prec).Sub(f, r.LowerBound)
}
