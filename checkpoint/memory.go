package checkpoint

import (
	"math"

	"nccheck/closedform"
	"nccheck/derivation"
	"nccheck/metrics"
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
// (OpenWith checks it before reading any data), with the features held in
// memory or streamed as OpenWith decided (InMemory). With B = rows d the
// values of a block of rows = min(N, max(1, 2^20/d)) samples and s the
// bytes of a feature in the file (4 or 8), it is the sum of
//
//   - RetainedBytes, the decoding chunks of Open (2^16 elements of each
//     array at most), npyio's bulk-decoding buffer of each array read (128
//     KiB at most), the read buffers of the members (64 KiB each) and a
//     transposed copy of W when it is stored in Fortran order (8 K d);
//   - the features: two blocks of the file's bytes (2 s B; one when there
//     is one block) for a pass that reads the file, and the whole array
//     held in memory (s N d) or one decoded block (s B) when streamed; in
//     Fortran order, the whole array read by npyio, its bulk-decoding
//     buffer and a transposed block (s B);
//   - metrics.MeasureBytes(N, d, K): package metrics' passes and report
//     (which read float32 features as float32: no float64 block), and the
//     logits of two blocks for the certificate (16 rows K, one block's when
//     there is one: its hook runs one block behind the pass);
//   - the certificate's bound (boundBytes) and the prediction of package
//     closedform at opt.Prec bits, the upper bound
//     derivation.PredictionMemoryBytes.
//
// Every buffer of the measurement is allocated once, so the sum bounds
// its peak; TestMemoryBytesMeasured compares it with the bytes a
// measurement allocates.
func (c *Checkpoint) MemoryBytes(opt Options) int64 { return c.memoryBytes(opt, c.inMemory) }

// memoryBytes is MemoryBytes with the features in memory or streamed.
func (c *Checkpoint) memoryBytes(opt Options, inMemory bool) int64 {
	if c.FeatureType == FeatureStatistics {
		return c.statsMemoryBytes(opt)
	}
	n, d, k := int64(c.N), int64(c.D), int64(c.K)
	s := int64(c.fSize)
	blk := int64(rowsPerBlock(c.N, c.D)) * d
	raw := int64(rawBuffers(c.N, c.D))
	b := c.RetainedBytes()
	// Open's decoding chunks, npyio's bulk-decoding buffers, the members'
	// read buffers (features, classifier, labels, bias, epoch; one more
	// per opening of the features by a measurement).
	b += 8*min(k*d, chunkElems) + int64(c.labelSz)*min(n, chunkElems)
	b += bulkBuffer(k*d, c.wSize) + bulkBuffer(n, c.labelSz)
	members := int64(5)
	if c.bias {
		b += bulkBuffer(k, c.bSize)
	}
	if c.wFortran {
		b += 8 * k * d
	}
	// The features.
	switch {
	case c.fortran:
		b += s*n*d + bulkBuffer(n*d, c.fSize) + s*blk
		members++
	case inMemory:
		b += s*n*d + raw*s*blk
		members++
	default:
		b += (raw + 1) * s * blk
		members += 2
	}
	b += members * (64 << 10)
	// Package metrics' passes and report, the certificate's logits of a
	// block (Options.Logits), the bound and the prediction.
	b += metrics.MeasureBytes(c.N, c.D, c.K) + 8*raw*blk/d*k
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
	// The headers bound every array below 2^62 bytes, but a Gram matrix
	// near that size and its Fortran copy can overflow the sum: the same
	// sum in float64 catches it.
	df, kf := float64(d), float64(k)
	f := 16*kf*df + 16*df*df + 8*kf*kf + float64(c.statsFortran) + 380*kf*df + 24*float64(m)*float64(m) + 200*kf*kf
	if f > 1<<62 {
		return math.MaxInt64
	}
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
