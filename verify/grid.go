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
// the constraint H >= 0 (such rows are out of the theorem's scope).
type Grid struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Seed        *uint64       `json:"seed,omitempty"` // for generated grids: the generator's seed
	Settings    []GridSetting `json:"settings"`
}

// GridSetting is one entry of a Grid.
type GridSetting struct {
	Name    string           `json:"name,omitempty"`
	N       []int            `json:"n"`
	D       int              `json:"d"`
	LambdaW setting.Decimal  `json:"lambda_w"`
	LambdaH setting.Decimal  `json:"lambda_h"`
	Bias    bool             `json:"bias,omitempty"`
	LambdaB *setting.Decimal `json:"lambda_b,omitempty"`
	NoReLU  bool             `json:"no_relu,omitempty"`
}

// Case is a named, validated setting.
type Case struct {
	Name    string
	Setting setting.Setting
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
		for _, req := range []struct {
			key     string
			missing bool
		}{{"n", len(gs.N) == 0}, {"d", gs.D == 0}, {"lambda_w", gs.LambdaW.IsZero()}, {"lambda_h", gs.LambdaH.IsZero()}} {
			if req.missing {
				return nil, nil, fmt.Errorf("grid %q, setting %d: %q is missing (or zero)", g.Name, i+1, req.key)
			}
		}
		s := setting.Setting{Counts: gs.N, Dim: gs.D, LambdaW: gs.LambdaW, LambdaH: gs.LambdaH, Bias: gs.Bias, NoReLU: gs.NoReLU}
		if gs.LambdaB != nil {
			s.LambdaB = *gs.LambdaB
		}
		if err := s.Validate(); err != nil {
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
		cases = append(cases, Case{Name: name, Setting: s})
	}
	return &g, cases, nil
}

// GridOf builds the Grid form of cases (for writing generated suites).
func GridOf(name, description string, cases []Case) *Grid {
	g := &Grid{Name: name, Description: description}
	for _, c := range cases {
		s := c.Setting
		gs := GridSetting{Name: c.Name, N: append([]int(nil), s.Counts...), D: s.Dim, LambdaW: s.LambdaW, LambdaH: s.LambdaH, Bias: s.Bias, NoReLU: s.NoReLU}
		if s.Bias {
			lb := s.LambdaB
			gs.LambdaB = &lb
		}
		g.Settings = append(g.Settings, gs)
	}
	return g
}
