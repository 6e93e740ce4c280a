// Package target converts a prediction of package closedform into the
// float64 target package metrics measures against. It is the one place
// that knows both types, so that closedform does not depend on metrics and
// metrics depends on gonum only (it cannot see how a target was made);
// verify and checkpoint import it.
package target
