// Package verify runs both paths of nccheck over many settings: a
// prediction (a [closedform.Theory], arbitrary precision) and a float64
// solver of the full training problem ([Solver]; by default package
// optimize, see [NewSolver]), compares them with the metrics of theory.md
// section 8 (package metrics), certifies both with the lower bound of
// theory.md section 11 (package certificate: at the solver's point in
// float64, Row.LowerBound and Row.CertifiedGap, and rigorous big-float
// within [Config.ProofBudget], Row.LowerBoundProved and
// Row.CertifiedGapProved; rigorous big-float at the prediction's explicit
// point, Row.PredictedLowerBound and Row.PredictedCertificateGap) and
// gives each row a [Verdict]:
//
//	agree           every deviation within its tolerance, and the
//	                prediction's certificate gap at most
//	                2^-ProofBits max(1, |f*|): f* is proved to be the global
//	                minimum
//	certified       no prediction, and the solver's bracket [LB, f(point)]
//	                is within the objective tolerance (proved in big-float
//	                within the proof budget, else float64 evidence)
//	refuted         f* is below a certified lower bound by more than the
//	                tolerance: no point attains it
//	counterexample  the numerical objective is below f* by more than the
//	                tolerance: the prediction is not the global minimum
//	solver-gap      the numerical objective is above f*: the solver missed
//	                the minimum
//	mismatch        the objectives agree; the geometry does not, or the
//	                certificate does not prove f*
//	out-of-scope    the theory makes no prediction for the setting (a
//	                *closedform.ScopeError: the plain UFM, d below the number
//	                of alive classes, ...) and the bracket is wider; the
//	                numerical result and the prediction-free measurements are
//	                still shown
//	error           the row could not be computed (also: a solver objective
//	                below the certified bound at its own point)
//
// A library user checks a derivation in a few lines: build a
// [closedform.Theory] (for a margin formula, a [closedform.MarginTheory]),
// and call [Run] with a [Config] naming it; [Config.ExactKKT] adds the
// exact KKT residual of the theory's explicit point ([derivation.AtPrediction]).
// Each setting is solved once, each theory predicts once per row, and the
// solver never sees a prediction. See the package example.
//
// Settings come from grids ([ParseGrid]: keys case-sensitive, names
// printable, lambdas within the solver's float64 range, [CheckFloat64Range])
// and run in parallel ([Config.Jobs]) as a [Plan] says ([NewPlan]: the
// cases of [Config.Shard] whose rows are not all in [Config.SkipKeys]); a
// cancelled context stops [Run] with the rows finished so far. [CheckRow]
// checks a row read back against itself (its verdict judged again from its
// numbers, with the tolerances [TolerancesOf] reads from the parameters
// [Config.Params] names).
//
// This package is the engine and its types. Rendering (text, Markdown,
// LaTeX, CSV, JSON lines) is package verify/render; row files (streamed,
// locked, resumed, merged; their header records [GridHash] and
// [Config.Params]) are package verify/rowfile.
package verify
