package optimize

// softmaxRow turns the logits row[:K] of one sample into its
// probabilities divided by N: with m the largest logit, am the first index
// of m and e_j = expShifted(row_j - m) (e_am = 1), it sets row_j =
// e_j invN / (1 + rest), rest = sum_{j != am} e_j, and returns m and rest
// (the cross-entropy of label y is log1p(rest) + m - row_y, with row_y the
// logit before the call). rest is summed in 8 lanes (lane j mod 8)
// reduced as reduce8, so that the AVX-512 version (softmax_amd64.s) gives
// the same bits. K = len(row) >= 1.
//
// The AVX-512 version reads and writes row[0:K] only, although it works on
// vectors of 8: it runs over the vectors at byte offsets 0, 64, ..., R8 =
// 64 (ceil(K/8) - 1), and every load and store of the last one is masked
// by K7 to its first K - 8 (ceil(K/8) - 1) lanes (all 8 when 8 divides K);
// AVX-512 masked loads and stores do not access the masked-off elements
// (no read, no write, no fault: Intel SDM vol. 1, "memory fault
// suppression" of AVX-512 masked operations). So no bound beyond len(row)
// is needed (TestSoftmaxRowBounds runs it on rows that end at an
// inaccessible page, and with sentinels after the row).
func softmaxRow(useAsm bool, row []float64, invN float64) (m, rest float64) {
	k := len(row)
	if useAsm && haveAVX512 {
		var out [3]float64
		softmaxRowAVX(k, &row[0], &exp2Table, invN, &out)
		return out[0], out[1]
	}
	m = row[0]
	for _, v := range row[1:] {
		if v > m {
			m = v
		}
	}
	am := 0
	for j, v := range row {
		if v == m {
			am = j
			break
		}
	}
	expShifted(row, m)
	var lanes [8]float64
	for j, e := range row {
		if j != am {
			lanes[j&7] += e
		}
	}
	rest = reduce8(&lanes)
	inv := invN / (1 + rest)
	for j := range row {
		row[j] *= inv
	}
	return m, rest
}
