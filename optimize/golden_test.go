package optimize

import (
	"fmt"
	"hash/fnv"
	"math"
	"testing"
)

// bitsDigest returns an FNV-1a digest of the bits of a solve's result: the
// returned point, and per restart the objective, the residual and the work
// counts.
func bitsDigest(res *Result) string {
	h := fnv.New64a()
	var b [8]byte
	put := func(u uint64) {
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	for _, v := range res.X {
		put(math.Float64bits(v))
	}
	for _, r := range res.Restarts {
		put(math.Float64bits(r.Objective))
		put(math.Float64bits(r.KKTResidual))
		put(uint64(r.Iterations))
		put(uint64(r.Evaluations))
		put(uint64(r.Escapes))
		put(uint64(r.EscapedClasses))
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// goldenCases are the solves whose bits TestIteratesGolden pins.
func goldenCases() []struct {
	name string
	p    Problem
	set  Settings
} {
	batch := make([]int, 24)
	for k := range batch {
		batch[k] = 120 - 4*k
	}
	a := Problem{Counts: []int{40, 20, 10, 5}, Dim: 8, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}
	bias := a
	bias.Bias, bias.LambdaB = true, 1e-3
	plain := Problem{Counts: []int{20, 10, 5}, Dim: 4, LambdaW: 5e-3, LambdaH: 5e-3}
	plainBias := plain
	plainBias.Bias, plainBias.LambdaB = true, 1e-3
	shared := Problem{Counts: []int{108, 17, 4, 9, 27, 180, 2, 5, 78, 4, 3, 2, 3, 7, 2, 175, 20, 123, 3, 21},
		Dim: 20, LambdaW: 5e-4, LambdaH: 9e-4, ReLU: true}
	collapsed := Problem{Counts: []int{200, 150, 100, 4, 2}, Dim: 5, LambdaW: 8e-3, LambdaH: 2e-3, ReLU: true}
	threads := Problem{Counts: []int{3000, 2500, 1500}, Dim: 6, LambdaW: 1e-4, LambdaH: 1e-5, ReLU: true}
	return []struct {
		name string
		p    Problem
		set  Settings
	}{
		{"a", a, Settings{Seed: 1}},
		{"a-small-start", a, Settings{Seed: 3, InitScale: 0.01, Restarts: 3}},
		{"a-bias", bias, Settings{Seed: 7, Restarts: 2}},
		{"plain", plain, Settings{Seed: 3, Restarts: 2}},
		{"plain-bias", plainBias, Settings{Seed: 3, Restarts: 2}},
		{"batch-escape", Problem{Counts: batch, Dim: 24, LambdaW: 2e-3, LambdaH: 2e-3, ReLU: true}, Settings{Seed: 1, Restarts: 1, InitScale: 0.01}},
		{"shared-support", shared, Settings{Seed: 1, Restarts: 1}},
		{"collapsed", collapsed, Settings{Seed: 5, Restarts: 2}},
		{"threads", threads, Settings{Seed: 2, Restarts: 1, Workers: 2}},
		{"memory9", a, Settings{Seed: 2, Restarts: 1, NewMethod: func() Method { return &LBFGSB{Memory: 9} }}},
		{"pgd", a, Settings{Seed: 2, Restarts: 1, NewMethod: func() Method { return &ProjectedGradient{Step: 3} }, MaxIter: 3000}},
		{"revival", Problem{Counts: []int{40, 20, 10, 5}, Dim: 2, LambdaW: 5e-3, LambdaH: 5e-3, ReLU: true}, Settings{Seed: 0, Restarts: 6, InitScale: 0.01}},
		{"no-escapes", a, Settings{Seed: 4, Restarts: 2, InitScale: 0.01, MaxEscapes: -1}},
	}
}

// TestIteratesGolden pins the bits of the built-in methods' iterates for
// cross-entropy: the digests were recorded with the code of commit d0d42d2
// (before the methods owned their state and losses became data), so any
// change of an iterate, an evaluation count or an escape shows here.
func TestIteratesGolden(t *testing.T) {
	want := map[string]string{
		"a":              "8d69a5f3a2340c10", // f 0.32620757874725848, 159 evaluations
		"a-small-start":  "6f54d585ffeb2621", // f 0.32620757874725848, 205 evaluations
		"a-bias":         "7bf627ac6ce97762", // f 0.30711603969693141, 266 evaluations
		"plain":          "56b9e7dc1571dafa", // f 0.16888533279027285, 68 evaluations
		"plain-bias":     "59f7452d597bbdbb", // f 0.15750238040212119, 100 evaluations
		"batch-escape":   "d71be93f34965088", // f 1.9019047514770535, 93 evaluations
		"shared-support": "6c0f63b70c5d82c2", // f 0.40620231687615549, 206 evaluations
		"collapsed":      "3fa4bdccfade5e69", // f 0.58513708282107457, 97 evaluations
		"threads":        "e08c8424454ddd04", // f 0.026973319957990925, 79 evaluations
		"memory9":        "90c5f712ff2d7f69", // f 0.32620757874725848, 42 evaluations
		"pgd":            "61fcc9238fdb4f2d", // f 0.32620757874725859, 1402 evaluations
		"revival":        "9b05900df91d8f74", // f 0.50603254504211137, 774 evaluations
		"no-escapes":     "c154d4278f717f9d", // f 0.32620757874725848, 83 evaluations
	}
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			res, err := Solve(&p, c.set)
			if err != nil {
				t.Fatal(err)
			}
			got := bitsDigest(res)
			t.Logf("%q: %q, // f %.17g, %d evaluations", c.name, got, res.Objective, res.Stats.Evaluations)
			if got != want[c.name] {
				t.Errorf("digest %s, want %s (the bits of the iterates changed)", got, want[c.name])
			}
		})
	}
}
