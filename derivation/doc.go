// Package derivation checks the predicted minimizers of package closedform
// against the training problem itself, without any float64 solver:
//
//   - Evaluate computes, in math/big.Float arithmetic at a chosen precision,
//     the full objective f(W, H, b) of theory.md section 1 at a given point,
//     for the setting's loss (cross-entropy, label-smoothed cross-entropy or
//     squared error, theory.md section 12), its gradient (theory.md section
//     5, with G the loss's gradient in the logits divided by N) and the
//     residuals of the KKT conditions of the constrained problem (H >= 0):
//     stationarity in W and b (G 1 = 0 for an unregularised bias),
//     complementarity min(H, grad_H) = 0, and dual feasibility grad_H >= 0
//     where H = 0. At the explicit minimizer of closedform.Paper the
//     residual is at the level of 2^-Prec, not of float64; at the point of a
//     wrong formula (for example the authors' code with lambda_W != 4
//     lambda_H) it is not.
//
//   - Hessian forms, in float64, the Hessian of f restricted to the free
//     variables (all of W, b when present, and the entries of H that are
//     positive; every entry of H for the plain UFM) and reports its smallest
//     eigenvalues, the near-zero ones and the symmetries that explain them
//     (rotations, and the shift of an unregularised bias under a softmax
//     loss), together with the curvature along the entries of H that sit at
//     0 with zero dual slack (a cone, tested for copositivity), and decides
//     whether the point is a local minimum up to those symmetries.
//
// The points are [Point] values: AtPrediction and HessianAtPrediction take
// the explicit point of any closedform.Prediction, whatever theory made it
// (the paper's closed form, the authors' formula, the orthogonal structure
// with a bias of theory.md section 4, a user's closedform.MarginTheory).
// With a bias, stationarity in W, b and the positive entries of H holds by
// construction; dual feasibility does not follow from the reduction and is a
// genuine test of the orthogonal structure. SamplePoint converts a float64
// point (for example a solver's) exactly.
//
// # Independence
//
// This package is a checker: it evaluates the objective, the softmax and
// every loss with its own big-float code (objective.go, loss.go: each loss
// once, with its value, its gradient in the logits and the curvature the
// Hessian needs), never with closedform's, whose reduced problem uses a
// softmax of its own, nor optimize's. A mistake in the code under check
// cannot pass through the checker. It imports
// closedform only for the Prediction and Minimizer types it is given, and
// shares with it only helpers that are not part of what is checked
// (log1p, in package internal/bigmath).
//
// Samples of the same class with identical features have identical
// gradients, so a point stores its distinct feature columns with their
// multiplicities ([Point]): the cost is O(G K d) for G distinct columns, not
// O(N K d). The Hessian uses the same structure: the variations
// of the features inside a group of m identical samples that keep the group's
// sum fixed decouple exactly from every other variable, so the full spectrum
// is the spectrum of a reduced matrix (one aggregated column per group) plus
// the per-sample feature blocks, each with multiplicity m-1.
//
// A first-order (KKT) point is not necessarily a global minimum, and a local
// minimum is not necessarily global: these checks prove stationarity and local
// optimality of the predicted point, never global optimality.
package derivation
