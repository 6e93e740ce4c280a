package metrics

// MeasureBytes predicts the memory, in bytes, that Measure of n samples in
// dimension d with k classes and the Report of the measurement (with a
// target) allocate, besides the Samples' own buffers and, with
// Options.Logits, two blocks of logits (16 K bytes per row of the largest
// block). With pk = k rounded up to a multiple of 4 (16 where the AVX-512
// kernel runs), r = min(d, k-1) (the most pinv directions of Sigma_B)
// and m = min(d, k), it is the sum of
//
//   - the decisions (4 n) and the per-class arrays (K x K softmax sums and
//     5 vectors of length k);
//   - the first pass: W^T padded (d pk) and, for each of the 2 parts, the
//     class sums (k d), the softmax sums (k^2), 8 rows (8 d) and their
//     logits (8 pk);
//   - the means: their rows, Hbar and the centred means (3 k d), mu_G (d),
//     Hbar^T Hbar, W W^T and W Hbar (3 k^2), the eigenproblem of Sigma_B or
//     of its Gram matrix (about 4 m^2 + 40 m) and the directions (d r);
//   - the second pass: the centred means and, when d <= k, the directions,
//     transposed and padded (d padded(k + r) or d pk), the separations
//     (k^2) and, per part, 8 rows (8 d), their products and 2 vectors of
//     length k; when d > k, the directions' coefficients (k padded(r)) and,
//     per part, 8 rows of k products and of their r projections;
//   - the report: about 13 k x d matrices (the centred means of the
//     structure metrics, the references of NC2_W and their normalised
//     copies) and 16 k x k.
//
// Every buffer is allocated once per measurement (none per block), so the
// sum bounds the measurement's peak; TestMeasureBytes compares it with the
// bytes Measure and Report allocate.
func MeasureBytes(n, d, k int) int64 {
	n64, d64, k64 := int64(n), int64(d), int64(k)
	pk := int64(padded(k))
	r := int64(min(d, k-1))
	m := int64(min(d, k))
	f := k64*k64 + 5*k64                                     // per-class arrays
	f += d64*pk + parts*(k64*d64+k64*k64+group*(d64+pk)+k64) // first pass
	f += 3*k64*d64 + d64 + 3*k64*k64 + 4*m*m + 40*m + d64*r  // means
	kq := k64
	if d <= k {
		kq += r
	} else {
		pr := int64(padded(int(r)))
		f += k64*pr + parts*group*(k64+pr)
	}
	f += d64*int64(padded(int(kq))) + k64*k64 + parts*(group*(d64+int64(padded(int(kq))))+2*k64) // second pass
	f += 13*k64*d64 + 16*k64*k64                                                                 // report
	return 4*n64 + 8*f + 16<<10
}
