// Package optimize solves the training problem of theory.md section 1
// numerically in float64, over all of W (K x d), H (d x N, one column per
// sample) and b, without using the predicted structure of the minimizer
// (it does not import package closedform):
//
//	f(W, H, b) = (1/N) sum_k sum_{i<=n_k} CE(W h_{k,i} + b, k)
//	             + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2 + (lambda_b/2) ||b||^2
//	subject to H >= 0 (ReLU features; Problem.ReLU), b = 0 without Problem.Bias.
//
// # Problem, points and evaluation
//
// A Problem is plain data (class counts, d, lambdas, Bias, ReLU); NewProblem
// builds one from a validated setting.Setting. Samples are laid out class by
// class: the first n_1 columns of H are class 1's. A Point holds W, H and b
// as matrices; Problem.Objective, Problem.Gradient and Problem.KKTResidual
// evaluate any given point. The KKT residual is that of theory.md section 5,
//
//	max(||grad_W||_inf, ||grad_b||_inf, ||min(H, grad_H)||_inf)
//
// (||grad_H||_inf for the plain UFM), in the original variables.
//
// The methods work on a flat variable vector x = [W row-major | H column by
// column | b] through an Evaluator, which computes f and its exact gradient
// with a max-shifted log-sum-exp, in blocks of samples (logits and feature
// gradients fused per sample, the block's G H^T by gonum BLAS), without
// allocation on one thread, optionally on several goroutines with the same
// bits. A non-finite objective or gradient is an error wrapping
// ErrNonFinite, never a NaN result.
//
// # Methods
//
// A Method is a local minimizer that stops when the KKT residual is at most
// Limits.Tol, or at an iteration or time limit. LBFGSB (the default) is a
// projected limited-memory BFGS method for the bound H >= 0 in two-metric
// form with a projected backtracking line search that never accepts a
// non-finite value. ProjectedGradient is the fixed-step baseline that
// published code for this model runs; it is kept for the benchmarks.
//
// # Global minima
//
// The problem has stationary points above the global minimum where a
// class could gain from features on a coordinate no class uses: classes
// whose features are zero ("dead" classes; first-order methods from small
// starts stop there), and, with d close to K and many classes, live classes
// that share feature coordinates with other classes while larger classes
// spread over two coordinates. Solve therefore (1) starts from
// InitialPoint, whose scales balance the two penalties and make the logits
// of order one, (2) runs Settings.Restarts restarts in parallel, each with a
// seed derived from Settings.Seed by RestartSeed, and (3) after each local
// run applies a second-order test to every class: with G = (P - Y)/N and
// q_k its sum over the samples of class k, r_k = ||q_k||^2 /
// (lambda_W lambda_H n_k) > 1 means that features of class k on an unused
// coordinate, with the matching column of W along -q_k, lower f (negative
// curvature). If such a class exists, an unused coordinate is found (or
// freed by a reflection when a class owns several), the move is tried on a
// grid of step sizes and, when f decreases, the local method continues from
// it; dead classes left over get one random revival. The test uses the
// point only, never the predicted minimizer, and a move is kept only if it
// lowers f. Every restart is reported (RestartReport: seed, objective,
// residual, iterations, zero classes, escapes); the best is returned.
//
// # Determinism
//
// Every random choice takes a seed: the same Settings give the same bits,
// whatever the number of parallel workers (the restarts are independent
// and reduced in index order). Only Settings.MaxTime can make a result
// depend on the machine. There is no package-level mutable state.
package optimize
