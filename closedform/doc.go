// Package closedform computes predicted global minimizers of the training
// problem in arbitrary precision with math/big.Float. Each theorem is one
// type implementing [Theory]:
//
//	Paper           theory.md section 2: the bias-free UFM+ with cross-entropy (Dang, Tran, Nguyen, Ho, ICML 2024)
//	AuthorsCode     section 7: the margin of the authors' released evaluation code
//	BiasOrthogonal  section 4: the orthogonal structure with a penalised bias (solved by Newton in big-float)
//	ETF             section 9: the plain UFM's simplex ETF for balanced classes
//	LabelSmoothing  section 12a: label-smoothed cross-entropy (derived for this project, unpublished)
//	MSE             section 12b: the squared error, bias-free, ReLU or plain (Dang et al., ICML 2023)
//	MSEBias         section 12b: the squared error with an unregularised bias (SVT; unconfirmed)
//	MarginTheory    a researcher's own margin formula, the rest derived as in section 2
//
// [SELI] is the reference geometry of section 13 for the imbalanced plain
// UFM with cross-entropy (no closed-form minimizer, so not a Theory).
// [Default] names the theorem that applies to a setting and [Auto] (named
// "paper") predicts with it; [TheorySet] reads a list of theories by name,
// the form of every command's --theory flag.
//
// Every quantity is computed at a working precision of Prec+64 bits from the
// exact rational inputs (class counts and the decimal values of lambda_W and
// lambda_H) and rounded once to Prec bits, so each reported number is correct
// to about Prec bits: the few dozen roundings and the logarithms of the
// working precision (each good to a few ulps of Prec+64 bits) stay far inside
// the 64 guard bits. Whether a class collapses is decided exactly, in rational
// arithmetic, not from a rounded margin.
//
// Every prediction is a [Prediction]: the same type for every theory,
// carrying its alive set, its objective, the K x K matrices W Hbar, W W^T,
// Hbar^T Hbar, the classifier rule, the bias when there is one, and its
// explicit point ([Prediction.Minimizer]). A theory that does not apply to
// a setting returns a [*ScopeError] naming the field (the loss, the bias,
// the ReLU constraint, d). A theory written in another package builds its
// Prediction with [NewPrediction], [NewMatrix] and [NewMinimizer] and
// attaches the point with [Prediction.SetMinimizer]; [Prediction.Validate]
// checks any prediction (shapes, finiteness, and its point against its
// matrices and objective at its precision).
package closedform
