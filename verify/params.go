package verify

import (
	"fmt"
	"strconv"
	"strings"
)

// Params returns the parameters of a run that change its results, by
// command-line flag name, as a row file's header records them: "theory"
// (the theories' names, comma-separated), "prec", "seed", "kkt", the
// tolerances ("tol-objective", "tol-geometry", "tol-nc1", "tol-margin",
// "tol-cos", "tol-collapse", "proof-bits"), "proof-budget" and the solver's own parameters
// when it is a ParamSolver ("restarts", "tol", "max-iter" for NewSolver).
func (cfg Config) Params() map[string]string {
	cfg = cfg.withDefaults()
	p := map[string]string{
		"theory": strings.Join(cfg.TheoryNames(), ","),
		"prec":   strconv.FormatUint(uint64(cfg.Prec), 10),
		"seed":   strconv.FormatUint(cfg.Seed, 10),
		"kkt":    strconv.FormatBool(cfg.ExactKKT),
		// Which rows get a proved bracket (the verdicts certified and
		// refuted rest on it where there is one).
		"proof-budget": strconv.FormatInt(cfg.ProofBudget, 10),
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	t := cfg.Tol
	for name, v := range map[string]string{"tol-objective": f(t.Objective), "tol-geometry": f(t.Geometry), "tol-nc1": f(t.NC1),
		"tol-margin": f(t.Margin), "tol-cos": f(t.Cos), "tol-collapse": f(t.Collapse), "proof-bits": strconv.Itoa(t.ProofBits)} {
		p[name] = v
	}
	if ps, ok := cfg.Solver.(ParamSolver); ok {
		for k, v := range ps.Params() {
			p[k] = v
		}
	}
	return p
}

// TolerancesOf reads tolerances from parameters named as Params names
// them. ProofBits is 0 without "proof-bits" (the header of a row file of
// an older version, whose rows were judged without certificates).
func TolerancesOf(params map[string]string) (Tolerances, error) {
	var t Tolerances
	for _, f := range []struct {
		name string
		v    *float64
	}{{"tol-objective", &t.Objective}, {"tol-geometry", &t.Geometry}, {"tol-nc1", &t.NC1}, {"tol-margin", &t.Margin}, {"tol-cos", &t.Cos}, {"tol-collapse", &t.Collapse}} {
		v, err := strconv.ParseFloat(params[f.name], 64)
		if err != nil || !(v > 0) || v > 1e300 {
			return t, fmt.Errorf("%s is %s, not a positive tolerance", f.name, clipQuote(params[f.name]))
		}
		*f.v = v
	}
	if text, ok := params["proof-bits"]; ok {
		v, err := strconv.Atoi(text)
		if err != nil || v < 1 || v > 1<<16 {
			return t, fmt.Errorf("proof-bits is %s, not a positive whole number", clipQuote(text))
		}
		t.ProofBits = v
	}
	return t, nil
}

// TheoryNames lists the names of the run's theories (the default's when
// Theories is empty), the theories of its rows.
func (cfg Config) TheoryNames() []string {
	cfg = cfg.withDefaults()
	names := make([]string, len(cfg.Theories))
	for i, th := range cfg.Theories {
		names[i] = th.Name()
	}
	return names
}
