// Package verify runs both paths of nccheck over many settings, the
// closed-form prediction (package closedform, arbitrary precision) and the
// float64 solver of the full training problem (package optimize), compares
// them with the metrics of theory.md section 8, and gives each setting a
// verdict:
//
//	agree           every deviation within its tolerance
//	counterexample  the numerical objective is below f* by more than the
//	                tolerance: the prediction is not the global minimum
//	solver-gap      the numerical objective is above f*: the solver missed
//	                the minimum
//	mismatch        the objectives agree, the geometry does not
//	out-of-scope    the theorem's assumptions do not hold (a bias, the plain
//	                UFM, d below the number of alive classes); the numerical
//	                result is still shown
//
// Settings come from grids (JSON, see Grid) and run in parallel; rows can be
// streamed to a JSON-lines file as they finish and a run can be resumed.
package verify
