// Package bigmath holds the few math/big.Float helpers that several packages
// of nccheck need and that are not part of what nccheck checks: log(1+x)
// without losing a small x, and a Cholesky factorisation with its solve.
//
// The formulas of the theorem (package closedform) and the objective the
// checker evaluates (package derivation) are deliberately not here: each of
// those packages writes its own, so that a mistake in one cannot hide in the
// other.
package bigmath
