// Package metrics measures a point of the training problem, a solver's
// solution or a trained network's last layer, against a predicted geometry,
// with the definitions of theory.md sections 8 and 10 and the metrics of the
// neural-collapse literature. It is the one implementation of every metric
// in nccheck: package verify applies it to the float64 solver's solutions,
// package checkpoint to checkpoints of real networks, and both report it as
// one type, [Report] (with [Class] per class).
//
// A point is the classifier W (K x d), an optional bias b, and the
// per-sample features h_i (the rows of an N x d matrix, any class order)
// with their labels, read through the [Samples] interface in two passes, so
// that a checkpoint larger than memory can be streamed:
//
//   - pass 1: class sums, ||H||_F^2, the cross-entropy of every sample
//     (logits W h_i + b, log-sum-exp shifted by the largest logit), the
//     softmax sums and the classifier's decision;
//   - pass 2: NC1, the within-class spread and the nearest class mean, from
//     one product of the centred features with the centred class means
//     (see [Measure]).
//
// Float32 features ([Float32Samples], [FromFloat32Rows]) are read as
// float32 and widened exactly. Both passes run on two goroutines over a
// fixed partition of every block, with amd64 assembly for their products
// and row loops (the noasm build tag runs the Go loops: the same bits).
//
// Or from sufficient statistics ([Stats]: class counts, sums, the d x d
// Gram, loss and softmax sums, accuracy counts), which a training loop
// accumulates instead of keeping the features; [Stats.Measure] gives every
// metric but NC4 (unless the statistics carry nc4_agree).
//
// [Measure] returns a [Measurement]: what the point is, without reference to
// any theory (class means, their Gram matrix, W W^T, W Hbar, NC1, the loss,
// the norms, the accuracy counts). [Measurement.Report] measures it, against
// a [Target] when there is a prediction: dist(A, B) = ||A/||A||_F -
// B/||B||_F||_F for NC2_H, NC2_W, NC2_WWT and NC3_WH, the margin error, the
// deviation of the class-mean cosines from the predicted one, the bias
// error, the class statuses (alive, collapsed, merged: [Measurement.Statuses])
// and whether they are the predicted ones; and, with or without a target,
// NC4, the accuracy, the worst-case margin, and the structure metrics of the
// balanced literature (equinorm, equiangularity, self-duality, CDNV, GNC2,
// the bias relation). [Measurement.DistTo] is the same dist of the
// class-level matrices to a [Geometry] given up to scale, a limit such as
// SELI rather than a prediction. [Measurement.Split] measures a held-out split with
// the training means and classifier. [ObjectiveGap] is the one gap between
// an objective and its prediction.
//
// An undefined metric (a zero norm, two equal class means, statistics that
// lack what it needs) is nil in Go and null in JSON, with the reason in the
// report's Undefined map under the metric's JSON key ([UndefinedError]); a
// metric is never NaN. The mean mu_G is the mean of all N features by
// default, or of the class means ([GlobalMean]).
//
// The package depends on gonum and package setting only: it cannot see how
// a target was made. Every computation is float64; sums run in a fixed
// order (sample order within each part of a block), so the same input in
// the same blocks gives the same bits on any machine. A non-finite input or
// result is an error wrapping setting.ErrNonFinite, never a NaN metric.
package metrics
