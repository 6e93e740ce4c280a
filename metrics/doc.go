// Package metrics measures a point of the training problem, a solver's
// solution or a trained network's last layer, against a predicted geometry,
// with the definitions of theory.md sections 8 and 10. It is the one
// implementation of every metric in nccheck: package verify applies it to
// the float64 solver's solutions, the measure command to checkpoints of real
// networks.
//
// A point is the classifier W (K x d), an optional bias b, and the
// per-sample features h_i (the rows of an N x d matrix, any class order)
// with their labels, read through the [Samples] interface in two passes, so
// that a checkpoint larger than memory can be streamed:
//
//   - pass 1: class sums, ||H||_F^2, and the cross-entropy of every sample
//     (logits W h_i + b by blocks of rows, log-sum-exp shifted by the
//     largest logit);
//   - pass 2: NC1, from the projections of the centred features onto the
//     eigenvectors of Sigma_B (see [Measure]).
//
// [Measure] returns a [Measurement]: what the point is, without reference to
// any theory (class means, their Gram matrix, W W^T, W Hbar, NC1, the loss,
// the norms). [Measurement.Compare] measures it against a [Target], the
// predicted geometry as float64 K x K matrices that do not depend on the
// choice of feature coordinates: dist(A, B) = ||A/||A||_F - B/||B||_F||_F
// for NC2_H, NC2_W, NC2_WWT and NC3_WH, the margin error, the deviation of
// the class-mean cosines from the predicted one, the bias error and the
// collapsed classes. A distance whose reference has zero norm is undefined
// (nil), as theory.md section 8 says.
//
// The package depends on gonum only: it cannot see how a target was made.
// Every computation is float64; sums run in sample order, so the same input
// gives the same bits. A non-finite input or result is an error, never a
// NaN metric.
package metrics
