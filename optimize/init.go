package optimize

import (
	"math"
	"math/rand/v2"
)

// splitmix64 is the SplitMix64 output function; it derives well-mixed
// independent seeds from a user seed and a restart index.
func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// RestartSeed returns the seed of restart r (0-based) of a solve with the
// given user seed. Restart 0 uses splitmix64(seed), restart r the r-th
// further output, so the seeds do not depend on the number of restarts.
func RestartSeed(seed uint64, r int) uint64 {
	return splitmix64(seed + uint64(r)*0x9e3779b97f4a7c15)
}

// newRand returns the generator of one restart.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix64(seed^0x5851f42d4c957f2d)))
}

// InitialPoint fills x with a random start for the problem, drawn from the
// generator seeded with seed (same seed, same bits). scale multiplies the
// default scales (1 for the default).
//
// The scales are chosen from the problem constants only, not from the
// predicted solution: entries of W are N(0, sw^2), entries of H are
// |N(0, sh^2)| (ReLU) or N(0, sh^2), b = 0, with
//
//	sw^2 d K lambda_W = sh^2 d N lambda_H   (the two penalties balance, as at
//	                                         any stationary point)
//	sw sh sqrt(d) = scale                  (logits W h of order 1)
//
// Large enough that every class starts with features and a classifier of the
// size the loss cares about; small starts are what lead first-order methods
// to the dead-class stationary points.
func InitialPoint(p *Problem, seed uint64, scale float64, x []float64) {
	if scale <= 0 {
		scale = 1
	}
	k, d, n := float64(p.K()), float64(p.Dim), float64(p.N())
	ratio := math.Sqrt(p.LambdaH * n / (p.LambdaW * k)) // sw / sh
	prod := scale / math.Sqrt(d)                        // sw * sh
	sw := math.Sqrt(prod * ratio)
	sh := math.Sqrt(prod / ratio)
	r := newRand(seed)
	oh, ob := p.offH(), p.offB()
	for i := 0; i < oh; i++ {
		x[i] = sw * r.NormFloat64()
	}
	for i := oh; i < ob; i++ {
		v := sh * r.NormFloat64()
		if p.ReLU {
			v = math.Abs(v)
		}
		x[i] = v
	}
	for i := ob; i < len(x); i++ {
		x[i] = 0
	}
}
