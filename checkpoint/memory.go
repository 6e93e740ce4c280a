package checkpoint

import (
	"nccheck/closedform"
	"nccheck/derivation"
)

// RetainedBytes is the memory an opened checkpoint keeps until it is
// dropped, in bytes: W (8 K d), the bias (8 K), the labels (8 N) and the
// class counts (8 K).
func (c *Checkpoint) RetainedBytes() int64 {
	n, d, k := int64(c.N), int64(c.D), int64(c.K)
	if c.FeatureType == FeatureStatistics {
		return c.statsRetainedBytes()
	}
	b := 8*k*d + 8*n + 8*k
	if c.bias {
		b += 8 * k
	}
	return b
}

// MemoryBytes predicts the memory, in bytes, that opening the checkpoint
// and measuring it with opt allocate, from the shapes of its headers
// (OpenWith checks it before reading any data). With B = rows d the values
// of a block of rows = min(N, max(1, 2^20/d)) samples and m = min(d, K), it
// is the sum of
//
//   - RetainedBytes, the decoding chunks of Open (2^16 elements of each
//     array at most), npyio's bulk-decoding buffer of each array read (128
//     KiB at most) and a transposed copy of W when it is stored in
//     Fortran order (8 K d);
//   - the feature blocks: two float64 blocks (16 B) and a float32 block
//     (4 B) for float32 features, or for features in Fortran order the
//     whole array as float64 (8 N d) and one block (8 B); 64 KiB of read
//     buffer;
//   - package metrics' passes and report: the predicted class of every
//     sample (4 N), the centred block (8 B), the logits and the
//     projections of a block (8 rows K and at most 16 rows K), about 19
//     K x d matrices (the class sums, the means, the centred means, the
//     projection directions, the classifier distances' and the structure
//     metrics' temporaries: 152 K d), the d x d or K x K eigenproblem
//     (24 m^2) and about 25 K x K matrices (200 K^2);
//   - the prediction of package closedform at opt.Prec bits, the upper
//     bound derivation.PredictionMemoryBytes.
//
// Every buffer of the measurement is allocated once, so the sum bounds
// its peak; TestMemoryBytesMeasured compares it with the bytes a
// measurement allocates.
func (c *Checkpoint) MemoryBytes(opt Options) int64 {
	if c.FeatureType == FeatureStatistics {
		return c.statsMemoryBytes(opt)
	}
	n, d, k := int64(c.N), int64(c.D), int64(c.K)
	rows := int64(rowsPerBlock(c.N, c.D))
	blk := rows * d
	b := c.RetainedBytes()
	// Open's decoding chunks, and the buffers of npyio's bulk decoding (one
	// per array read).
	b += 8*min(k*d, chunkElems) + int64(c.labelSz)*min(n, chunkElems)
	b += bulkBuffer(k*d, c.wSize) + bulkBuffer(n, c.labelSz)
	if c.bias {
		b += bulkBuffer(k, c.bSize)
	}
	if c.wFortran {
		b += 8 * k * d
	}
	// Feature blocks.
	switch {
	case c.fortran:
		b += 8*n*d + 8*blk + bulkBuffer(n*d, c.fSize)
		if c.FeatureType == "float32" {
			b += 4 * min(n*d, chunkElems)
		}
	case c.FeatureType == "float32":
		b += 20*blk + 2*bulkBuffer(blk, c.fSize)
	default:
		b += 16*blk + 2*bulkBuffer(blk, c.fSize)
	}
	b += 64 << 10
	// metrics.Measure and metrics.Measurement.Report.
	m := min(d, k)
	b += 4*n + 8*blk + 24*rows*k + 152*k*d + 24*m*m + 200*k*k
	return b + boundBytes(k) + predictionBytes(c.K, opt)
}

// boundBytes is the memory of the certificate's accumulators and its
// class-level bound (a few K x K matrices and a K x K eigendecomposition).
func boundBytes(k int64) int64 { return 120 * k * k }

// predictionBytes is the memory of the prediction of package closedform at
// opt.Prec bits, the upper bound derivation.PredictionMemoryBytes.
func predictionBytes(k int, opt Options) int64 {
	prec := opt.Prec
	if prec == 0 {
		prec = closedform.DefaultPrec
	}
	return derivation.PredictionMemoryBytes(k, prec)
}

// statsRetainedBytes is RetainedBytes of a statistics checkpoint: W and the
// feature sums (16 K d), the Gram matrix (8 d^2), the softmax sums (8 K^2)
// and the per-class vectors (8 K each, six of them, and the bias).
func (c *Checkpoint) statsRetainedBytes() int64 {
	d, k := int64(c.D), int64(c.K)
	return 16*k*d + 8*d*d + 8*k*k + 56*k
}

// statsMemoryBytes is MemoryBytes of a statistics checkpoint: RetainedBytes,
// the decoding chunks, npyio's bulk buffers and the transposed copies of
// the arrays stored in Fortran order, the readers of the ten members open
// at once (80 KiB each), metrics.Stats.Measure and the report (the copy of
// the sums, the means, the pseudo-inverse directions and their product with
// the Gram matrix, the structure metrics' centred means: 380 K d, measured;
// the d x d or K x K eigenproblem 24 m^2, 200 K^2), the bound and the
// prediction.
func (c *Checkpoint) statsMemoryBytes(opt Options) int64 {
	d, k := int64(c.D), int64(c.K)
	m := min(d, k)
	b := c.statsRetainedBytes() + 4*chunkElems + c.statsFortran
	for _, elems := range []int64{k * d, k * d, d * d, k * k, k, k, k, k, k} {
		b += bulkBuffer(elems, 8)
	}
	b += 10*(80<<10) + 380*k*d + 24*m*m + 200*k*k
	return b + boundBytes(k) + predictionBytes(c.K, opt)
}

// bulkBuffer is the buffer npyio's bulk decoding allocates for a member
// read in calls of at most chunkElems elements of size bytes each: at most
// 128 KiB (internal/third_party/npyio/PATCH.md).
func bulkBuffer(elems int64, size int) int64 {
	if size == 0 {
		return 0
	}
	return min(elems, chunkElems, (128<<10)/int64(size)) * int64(size)
}
