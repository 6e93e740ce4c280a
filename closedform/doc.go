// Package closedform computes predicted global minimizers of the training
// problem in arbitrary precision with math/big.Float: the bias-free UFM+
// problem (Dang, Tran, Nguyen, Ho, ICML 2024; the formulas of theory.md
// sections 2 and 3), the orthogonal structure with a bias (section 4) and
// the plain UFM's simplex ETF (section 9).
//
// Every quantity is computed at a working precision of Prec+64 bits from the
// exact rational inputs (class counts and the decimal values of lambda_W and
// lambda_H) and rounded once to Prec bits, so each reported number is correct
// to about Prec bits: the few dozen roundings and the logarithms of the
// working precision (each good to a few ulps of Prec+64 bits) stay far inside
// the 64 guard bits. Whether a class collapses is decided exactly, in rational
// arithmetic, not from a rounded margin.
//
// Every prediction is a [Prediction] made by a [Theory]: the same type for
// every theory, carrying its alive set, its objective, the K x K matrices
// W Hbar, W W^T, Hbar^T Hbar, the classifier rule, the bias when there is
// one, and its explicit point ([Prediction.Minimizer]). A theory that does
// not apply to a setting returns a [*ScopeError].
//
// Two formula sets are built in, as values of [Formula]. [FormulaPaper] is
// theory.md section 2 (with a bias, the orthogonal structure of section 4,
// solved by [PredictBias]). [FormulaAuthorsCode] is the margin of the
// authors' released evaluation code (theory.md section 7); every quantity
// derived from the margin follows it, and the reported objective is then the
// true objective f evaluated at the point that formula predicts, so it is at
// or above the paper's optimum. [MarginTheory] makes any margin formula a
// theory the same way. For the plain UFM (no ReLU constraint) with balanced
// classes, FormulaPaper predicts the simplex ETF of theory.md section 9
// (also available on its own as the theory [ETF]).
package closedform
