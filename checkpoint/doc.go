// Package checkpoint measures the last layer of a trained network against
// the predicted global minimizer (theory.md section 10).
//
// A checkpoint is a NumPy .npz file (written by numpy.savez or
// numpy.savez_compressed, for example from PyTorch tensors) with the arrays
//
//	features    N x d, float32 or float64: the input of the last linear
//	            layer for every training sample (after its ReLU)
//	labels      N, any integer dtype, values 0..K-1, the same row order
//	classifier  K x d, float32 or float64: the last layer's weight W
//	bias        K (optional): the last layer's bias
//	epoch       a scalar (optional)
//
// [Open] reads everything but the features and checks the shapes, the
// dtypes and the labels. Before it reads any data it refuses a path that is
// not a regular file, an archive with two members for one array, a member
// whose declared shape and dtype do not account for exactly its bytes, and
// a checkpoint whose measurement ([Checkpoint.MemoryBytes]) would not fit
// the memory the process may still allocate; every member is read to its
// end, so its CRC-32 is checked. The features are read once by the first
// pass of package metrics and held in memory as the file stores them (up
// to [MaxInMemoryBytes], and when the measurement then fits the memory
// limit), or else streamed from the file in blocks, once per pass, so that
// a checkpoint larger than memory can be measured; both give the same
// bits. Arrays are read with codeberg.org/sbinet/npyio (a copy whose .npy
// header reader is patched to read what numpy reads and refuse the rest,
// and whose decoders work in bulk: internal/third_party/npyio), never by a
// hand-written parser; only the features' values, once npyio has read
// their header, are decoded by this package (float32 or float64 in the
// header's byte order, checked finite as they are decoded, on two
// goroutines). A panic of the library is an error. Every problem with a file is an [*Error] naming
// the file and the array, in one line.
//
// A statistics checkpoint (experiments/ncstats.py: per-class counts,
// feature sums, the d x d Gram matrix, sums of squared norms, the summed
// loss, softmax sums, accuracy and NC4 counts, W and b; see
// [FeatureStatistics]) is read the same way, with the same checks, and
// measured from the statistics (metrics.Stats): every metric but those that
// need each sample again (NC4 without nc4_agree, the NC4 of a test split).
//
// [Measure] computes, for one checkpoint, the objective of theory.md section
// 1 at the checkpoint (in float64 from the file's float32 or float64 data),
// the prediction of the paper's theorem for the class counts read from the
// labels, d and the lambdas (package closedform), and every metric of
// theory.md sections 8 and 10 (package metrics, the same code that package
// verify applies to the solver), and the checkpoint's own float64 lower
// bound on the global minimum (package certificate, theory.md section 11)
// with the classes along which the objective can still be lowered.
// [FitLambdas] estimates effective lambdas for a network trained without
// an explicit feature penalty.
package checkpoint
