// Package setting defines the problem instance shared by every path of
// nccheck: the class counts n_1..n_K, the feature dimension d, the
// regularisation strengths lambda_W, lambda_H (and lambda_b with a bias), and
// whether the features are constrained to be non-negative (ReLU, the UFM+
// model) or not (the plain UFM).
//
// The problem is the one of theory.md section 1:
//
//	f(W, H, b) = (1/N) sum_k sum_{i<=n_k} CE(W h_{k,i} + b, k)
//	             + (lambda_W/2) ||W||_F^2 + (lambda_H/2) ||H||_F^2 + (lambda_b/2) ||b||^2
//
// Regularisation strengths are kept as the exact rational value of their
// decimal text ("1e-4" is exactly 1/10000), so the arbitrary-precision path
// never sees a float64 rounding of its inputs. The float64 paths use the
// nearest float64.
//
// Validation errors are of type *InputError and name the field of Setting
// (or the option) and the offending value; a command maps the field to its
// flag and prints a one-line reason.
// Validate checks what every path needs; the theorem's own scope (no bias,
// d at least the number of alive classes) is checked by package closedform.
package setting
