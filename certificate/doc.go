// Package certificate computes the convex lower bound of theory.md sections
// 11 and 12 on the global minimum of the training problem: at any point,
// for every feature dimension d, with cross-entropy, label-smoothed
// cross-entropy or the squared error, ReLU features or the plain UFM, no
// bias, a regularised bias or an unregularised one. At a global minimum the
// bound equals the objective; the gap f(point) - LB bounds how far a point
// is from the global minimum. It is a checker: it imports only setting,
// internal/bigmath (Cholesky) and gonum, shares no code with closedform or
// optimize, and so can refute either.
//
// # The bound
//
// Let l(z; k) be the loss of the logits z of a sample of class k,
// F = (1/N) sum_i l(z_i; y_i), s = sqrt(lambda_W lambda_H). For any Y in
// R^{K x N} whose dual gauge (max over v >= 0, ||v|| = 1 of ||Y v||; the
// spectral norm without ReLU) is at most s,
//
//	f(W, H, b) >= LB(Y) = -(1/N) sum_i l*(-N Y_i; y_i) - ||Y 1||^2 / (2 lambda_b)
//
// (theory.md sections 11 and 12; no last term without a bias, and Y 1 = 0
// required instead for an unregularised bias). The package takes the
// class-constant Y = alpha g_k / N for the samples of class k, where g_k is
// the class mean of -grad_z l at the point (for the softmax losses
// t_k - pbar_k, pbar_k the class mean of the softmax vectors, t_k the
// target), so that after one pass over the samples everything is at class
// level. With A = [sqrt(n_1) g_1, ..., sqrt(n_K) g_K] / N and Q = A^T A the
// gauge of the class dual point is omega, omega^2 <= rho(Q+) (Q with its
// negative entries set to 0) with ReLU features, omega^2 = lambda_max(Q)
// without. The scale alpha ranges over the admissible interval
// [0, min(s / omega, largest alpha keeping every t_k - alpha g_k a
// probability vector)] (no probability constraint for the squared error)
// and LB is maximised over it (LB is concave in alpha). The loss enters
// only through its conjugate: see [Conjugate] and [BigConjugate],
// implemented by [CrossEntropy], [LabelSmoothing] and [SquaredError].
//
// Unregularised bias: Y 1 = 0 is arranged, never refused. For the softmax
// losses the class dual points D_k = t_k - g_k are mixed towards c/N,
// c = sum_k n_k t_k: D_k <- (1 - eps) D_k + eps c/N - (1 - eps) e/N with
// e = sum_k n_k D_k - c and eps the smallest power of two >= max_j |e_j| /
// c_j (at most 1); this keeps every D_k a probability vector (its
// off-target entries stay >= 0) and makes sum_k n_k g_k = 0 exactly; at a
// point where the bias is stationary, e = 0 and nothing changes. For the
// squared error the weighted mean sum_k n_k g_k / N is subtracted from
// every g_k. Q, omega and the admissible interval are then computed from
// the centred directions.
//
// The descent test of theory.md section 11 is reported with the bound: if
// c^T Q c > lambda_W lambda_H for the Perron vector c of Q+ (the top
// eigenvector of Q without ReLU) or for a unit vector e_k, a rank-one move
// on a free feature coordinate lowers f ([Descent]); the point is then not
// a global minimum for large enough d.
//
// # Two arithmetics, and what is proved
//
// [Accumulator] and [AtPoint] work in float64 at any point, fed sample by
// sample (AtPoint forms the logits of a float64 point with gonum). Their
// bound is a bracket with float64 rounding error: sums of N terms, an
// O(K^3) symmetric eigendecomposition (gonum), logarithms; relative errors
// of order 1e-16 times the condition of those sums. It is not a proof.
//
// [BigBound] and [BigAtPoint] work in math/big at an explicit point given
// by grouped logits or by W, grouped feature columns and b, and their
// LowerBound is rigorous, in this sense:
//
//   - The logits and the softmax only choose the dual point (computed to
//     nearest at Prec+GuardBits bits); the bound holds for any choice.
//
//   - The class directions are then made exact (math/big.Rat): each g_k of
//     a softmax loss sums to exactly 0, and for an unregularised bias
//     sum_k n_k g_k = 0 exactly (checked exactly before use).
//
//   - The upper end of the admissible interval is rigorous: the
//     probability constraint exactly in rationals, and s / omega from a
//     rigorous upper bound of omega^2, computed with directed rounding
//     (big.Float's ToPositiveInf and ToNegativeInf modes, which round
//     every +, -, *, / correctly; square roots are checked by squaring):
//     with ReLU, Collatz-Wielandt, rho(Q+) <= max_i (Q+ x)_i / x_i for a
//     positive x (a big-float inverse-iteration Perron estimate, shifted to
//     be positive on every block), with every entry of Q+ bounded above
//     (the rounding of G = g g^T carried by Higham's gamma_K bound);
//     without ReLU, a big-float Cholesky factor L of sigma S^-2 - G
//     (S = diag(sqrt(n_k)) / N, a congruence of sigma I - Q) and the
//     residual C - L L^T bounded entrywise, so lambda_max(Q) <= sigma +
//     (||residual||_F + ||rounding of C||_F) max_k n_k / N^2.
//
//   - LB at the chosen exact alpha: the squared error's conjugate and the
//     bias term exactly in rationals (rounded down, resp. up); the
//     entropies term by term, -q log q >= -y L - y (1 + |L|) 2^-(P-10) with
//     y = q rounded to nearest at P = Prec+GuardBits bits and L the
//     logarithm of ALTree/bigfloat, which has no directed rounding. That
//     widening covers the rounding of q and the error model
//
//     |L - log y| <= 2^-(P-8) max(1, |log y|),
//
//     which is an assumption on bigfloat.Log (it works at P+64 bits and
//     rounds once), tested against bigfloat.Log at 2P+64 bits on values
//     from 1e-300 to 1 - 2^-P (TestLogErrorModel), not proved. The sum is
//     rounded down.
//
// So BigResult.LowerBound is a proved lower bound on the global minimum of
// the problem (for every d) provided bigfloat.Log meets that error model;
// everything else is directed rounding or exact. Its tightness at a global
// minimum whose point is given to Prec bits is about 2^-Prec relative
// (the final shift above the estimated spectral radius is 2^-(Prec-16)
// relative). Exponentials (the softmax) come from the package's own Taylor
// series; their accuracy affects tightness only.
//
// # Checked
//
// At the paper's prediction (closedform.FormulaPaper) the bound at 256 bits
// equals f* to 1e-60 relative (measured: about 1e-77) on balanced,
// imbalanced, collapsed, all-collapsed (LB = log K) and K = 100 settings,
// and at the simplex ETF (plain UFM) with the spectral bound; at the
// label-smoothing and squared-error predictions of theory.md section 12
// likewise; the worked values of section 11 at nccheck's solver points to
// 1e-8 (measured: to the 11 or 12 digits theory.md gives); the authors'
// released formula and a margin formula without its "- 1" are refuted at
// n = (40, 20, 10, 5), lambda = 5e-3 (gaps 1.4e-2 and 6.1e-3); and the
// bound is below f (and below the known f*) at random points of every
// model.
package certificate
