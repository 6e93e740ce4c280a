// Package verify runs both paths of nccheck over many settings: a
// prediction (a [closedform.Theory], arbitrary precision) and a float64
// solver of the full training problem ([Solver]; by default package
// optimize, see [NewSolver]), compares them with the metrics of theory.md
// section 8 (package metrics) and gives each row a [Verdict]:
//
//	agree           every deviation within its tolerance
//	counterexample  the numerical objective is below f* by more than the
//	                tolerance: the prediction is not the global minimum
//	solver-gap      the numerical objective is above f*: the solver missed
//	                the minimum
//	mismatch        the objectives agree, the geometry does not
//	out-of-scope    the theory makes no prediction for the setting (a
//	                *closedform.ScopeError: the plain UFM, d below the number
//	                of alive classes, ...); the numerical result and the
//	                prediction-free measurements are still shown
//	error           the row could not be computed
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
// and run in parallel ([Config.Jobs]); rows stream to a JSON-lines file as
// they finish ([RowWriter], [OpenRowFile]: locked, after a header line
// [RowHeader] with the grid's hash and the parameters that change results,
// [HeaderOf]) and a run resumes from such a file ([ReadRows], which reads
// lines in bounded memory and checks every row against itself, its verdict
// judged again from its numbers, [CheckRow]; [Rows.Check] against the grid;
// [Config.SkipKeys]); row sets from several runs merge ([Merge]). [Write]
// renders rows as text, Markdown, LaTeX, CSV or JSON lines.
package verify
