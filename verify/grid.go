package verify

import (
	"encoding/json"
	"fmt"
	"io"

	"nccheck/setting"
)

// Grid is a list of settings, the JSON schema of --grid files and built-in
// suites:
//
//	{
//	  "name": "my-grid",
//	  "description": "free text",
//	  "settings": [
//	    {"name": "a", "n": [40, 20, 10, 5], "d": 8, "lambda_w": "5e-3", "lambda_h": "5e-3"},
//	    {"n": [100, 100], "d": 2, "lambda_w": 1e-4, "lambda_h": 1e-5, "bias": true, "lambda_b": "1e-3"}
//	  ]
//	}
//
// Lambdas may be JSON strings or numbers; both are read exactly from their
// text. "name" is optional (default "<grid>-<index>"); "no_relu": true drops
// the constraint H >= 0 (the plain UFM: compared with the simplex ETF of
// theory.md section 9 for balanced counts, out of scope otherwise);
// "solver_tol" tightens the solver's stopping residual for one setting
// (Case.SolverTol).
type Grid struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Seed        *uint64       `json:"seed,omitempty"` // for generated grids: the generator's seed
	Settings    []GridSetting `json:"settings"`
}

// GridSetting is one entry of a Grid: a name, the setting's JSON form
// (setting.JSON: "n", "d", "lambda_w", "lambda_h", "bias", "lambda_b",
// "no_relu", "loss") and the grid's own per-setting options.
type GridSetting struct {
	Name string `json:"name,omitempty"`
	setting.JSON
	// SolverTol, if positive, tightens the solver's stopping residual for
	// this setting (see Case.SolverTol).
	SolverTol float64 `json:"solver_tol,omitempty"`
}

// Case is a named, validated setting.
type Case struct {
	Name    string
	Setting setting.Setting
	// SolverTol, if positive, is the solver's stopping residual for this
	// case instead of the run's (a solver implementing TolSolver honours
	// it). A minimum exactly at a collapse boundary is degenerate: the
	// objective grows only quartically, so a residual r bounds the distance
	// to the minimizer by about r^(1/3) instead of r / curvature, and such a
	// setting needs a smaller residual for the same geometric accuracy.
	SolverTol float64
}

// ParseGrid reads a grid and validates every setting; errors name the entry.
func ParseGrid(r io.Reader) (*Grid, []Case, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var g Grid
	if err := dec.Decode(&g); err != nil {
		return nil, nil, fmt.Errorf("grid: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("grid: unexpected data after the grid object")
	}
	if len(g.Settings) == 0 {
		return nil, nil, fmt.Errorf("grid %q: no settings", g.Name)
	}
	cases := make([]Case, 0, len(g.Settings))
	seen := map[string]bool{}
	for i, gs := range g.Settings {
		s, err := gs.JSON.Setting()
		if err != nil {
			return nil, nil, fmt.Errorf("grid %q, setting %d: %w", g.Name, i+1, err)
		}
		name := gs.Name
		if name == "" {
			name = fmt.Sprintf("%s-%d", g.Name, i+1)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("grid %q: duplicate setting name %q", g.Name, name)
		}
		seen[name] = true
		if gs.SolverTol < 0 || gs.SolverTol > 1 || gs.SolverTol != gs.SolverTol {
			return nil, nil, fmt.Errorf("grid %q, setting %d: solver_tol %v must be in (0, 1]", g.Name, i+1, gs.SolverTol)
		}
		cases = append(cases, Case{Name: name, Setting: s, SolverTol: gs.SolverTol})
	}
	return &g, cases, nil
}

// GridOf builds the Grid form of cases (for writing generated suites).
func GridOf(name, description string, cases []Case) *Grid {
	g := &Grid{Name: name, Description: description}
	for _, c := range cases {
		g.Settings = append(g.Settings, GridSetting{Name: c.Name, JSON: c.Setting.JSON(), SolverTol: c.SolverTol})
	}
	return g
}
