package optimize

// softmaxRow turns the logits row[:K] of one sample into its
// probabilities divided by N: with m the largest logit, am the first index
// of m and e_j = expShifted(row_j - m) (e_am = 1), it sets row_j =
// e_j invN / (1 + rest), rest = sum_{j != am} e_j, and returns m and rest
// (the cross-entropy of label y is log1p(rest) + m - row_y, with row_y the
// logit before the call). rest is summed in 8 lanes (lane j mod 8)
// reduced as reduce8, so that the AVX-512 version (softmax_amd64.s) gives
// the same bits. With useAsm, row must be readable up to K rounded up to a
// multiple of 8.
func softmaxRow(useAsm bool, row []float64, invN float64) (m, rest float64) {
	k := len(row)
	if useAsm && haveAVX512 {
		var out [3]float64
		softmaxRowAVX(k, &row[:cap(row)][0], &exp2Table, invN, &out)
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
