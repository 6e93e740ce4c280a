package main

import (
	"fmt"
	"math"
	"sync"
	"time"

	"nccheck/certificate"
	"nccheck/optimize"
	"nccheck/setting"
)

// solveCertifier is the float64 lower bound of theory.md section 11
// (certificate.AtPoint) as the solver's optimize.Certifier: the solver
// stops its restarts at the first one whose bracket [LowerBound, f] is
// within Settings.CertTol. It adds up the time its bounds take (they run
// concurrently, one per restart).
type solveCertifier struct {
	s     setting.Setting
	mu    sync.Mutex
	calls int
	time  time.Duration
}

// newSolveCertifier returns the certifier of s, or nil and a note saying
// why the bound does not apply (K above certificate.MaxClasses, lambdas
// below its float64 range).
func newSolveCertifier(s setting.Setting) (*solveCertifier, string) {
	if _, err := certificate.NewAccumulator(s); err != nil {
		return nil, "no certificate: " + err.Error()
	}
	return &solveCertifier{s: s.Clone()}, ""
}

// LowerBound implements optimize.Certifier: the float64 bound at the
// variable vector x of p (samples laid out class by class).
func (c *solveCertifier) LowerBound(p *optimize.Problem, x []float64) (float64, error) {
	res, err := c.at(p.PointOf(x))
	if err != nil {
		return 0, err
	}
	return res.LowerBound, nil
}

// at returns the float64 certificate at pt and counts its time.
func (c *solveCertifier) at(pt optimize.Point) (*certificate.Result, error) {
	t0 := time.Now()
	res, err := certificate.AtPoint(c.s, pt.W, pt.H, pt.B, nil)
	c.mu.Lock()
	c.calls++
	c.time += time.Since(t0)
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if math.IsNaN(res.LowerBound) || math.IsInf(res.LowerBound, 0) {
		return nil, fmt.Errorf("the lower bound is %v: %w", res.LowerBound, setting.ErrNonFinite)
	}
	return res, nil
}

// solveBracket is the float64 certificate at the best point in the solve
// report: a bracket [LowerBound, Objective] around the global minimum, with
// float64 rounding error (not a proof).
type solveBracket struct {
	LowerBound     float64 `json:"lower_bound"`
	CertifiedGap   float64 `json:"certified_gap"`
	DualNormRatio  float64 `json:"dual_norm_ratio"`
	Certified      bool    `json:"certified"`
	DescentClasses []int   `json:"descent_classes"`
}

// bracketAt computes the certificate at the solver's best point; the gap
// is the solver's objective minus the bound, certified when at most
// tol max(1, |f|) (tol 0: never).
func (c *solveCertifier) bracketAt(res *optimize.Result, tol float64) (*solveBracket, error) {
	r, err := c.at(res.Point)
	if err != nil {
		return nil, fmt.Errorf("certificate at the best point: %w", err)
	}
	b := &solveBracket{LowerBound: r.LowerBound, CertifiedGap: res.Objective - r.LowerBound, DualNormRatio: r.DualNormRatio}
	b.Certified = b.CertifiedGap <= tol*math.Max(1, math.Abs(res.Objective))
	if r.Descent != nil {
		b.DescentClasses = append([]int{}, r.Descent.Classes...)
	}
	return b, nil
}
