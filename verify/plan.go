package verify

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"nccheck/setting"
)

// Plan is the work of a run: the cases it solves, in order, and the rows
// they emit.
type Plan struct {
	// Cases are the indices of the cases to solve: those of Config.Shard
	// with at least one row not in Config.SkipKeys.
	Cases []int
	// Rows is the number of rows they emit: a case runs when any of its
	// rows is missing, and the rows it already has are not emitted again.
	Rows int
}

// NewPlan returns the plan of a run of cases with cfg.
func NewPlan(cases []Case, cfg Config) Plan {
	cfg = cfg.withDefaults()
	var p Plan
	for i, c := range cases {
		if !cfg.Shard.Has(i) {
			continue
		}
		missing := 0
		for _, th := range cfg.Theories {
			if !cfg.SkipKeys[KeyOf(c, th.Name())] {
				missing++
			}
		}
		if missing > 0 {
			p.Cases = append(p.Cases, i)
			p.Rows += missing
		}
	}
	return p
}

// Run checks the cases of NewPlan(cases, cfg) with cfg.Jobs workers. emit
// is called (from one goroutine at a time) for each row as soon as its
// case finishes, in completion order; the returned rows are in case order,
// then theory order. A cancelled context stops the run: cases not started
// are skipped, running solves are asked to stop, the rows of a case that
// the cancellation cut short (an error row after the context ended) are
// neither emitted nor returned, so that a resumed run computes them, and
// Run returns the rows it has with ctx.Err().
func Run(ctx context.Context, cases []Case, cfg Config, emit func(Row) error) ([]Row, error) {
	cfg = cfg.withDefaults()
	seen := map[string]bool{}
	for _, th := range cfg.Theories {
		if seen[th.Name()] {
			return nil, &setting.InputError{Field: "Theory", Value: strconv.Quote(th.Name()),
				Reason: "names two theories of the run: rows are keyed by the theory's name"}
		}
		seen[th.Name()] = true
	}
	todo := make(chan int)
	results := make(chan []Row)
	var wg sync.WaitGroup
	for w := 0; w < cfg.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				results <- CheckCase(ctx, i, cases[i], cfg)
			}
		}()
	}
	go func() {
		defer close(todo)
		for _, i := range NewPlan(cases, cfg).Cases {
			select {
			case todo <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var all []Row
	var emitErr error
	for rows := range results {
		if ctx.Err() != nil && cutShort(rows) {
			continue
		}
		for _, r := range rows {
			if cfg.SkipKeys[r.Key] {
				continue
			}
			if emit != nil && emitErr == nil {
				emitErr = emit(r)
			}
			all = append(all, r)
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Index < all[b].Index })
	if emitErr != nil {
		return all, emitErr
	}
	return all, ctx.Err()
}

// cutShort reports whether a case's rows failed (after a cancellation:
// because of it).
func cutShort(rows []Row) bool {
	for _, r := range rows {
		if r.Verdict == Failed {
			return true
		}
	}
	return false
}
