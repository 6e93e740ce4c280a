// Command cmp runs nccheck's solver (package optimize) and SciPy's
// L-BFGS-B (bench/scipy_lbfgsb.py) on the same settings, alternately, in one
// run, and prints every run and a summary table (see optimize/BENCHMARKS.md).
//
//	go run ./bench/cmp -settings k100,k50,k200,d512 -rounds 3
//
// For each round and setting it runs, in this order:
//
//   - nccheck: optimize.Solve with -restarts restarts (default 1) and the
//     round's seed, on GOMAXPROCS workers (one restart: its evaluations
//     and vector loops use every core);
//   - local (with -local): one local run of the same solver without the
//     escape step (Settings.MaxEscapes = -1), the cost of "one local run";
//   - scipy (unless -scipy=false): SciPy's L-BFGS-B, one local run from the
//     same kind of start (NumPy's generator, seed = the round's seed),
//     pgtol 1e-10 (the same KKT residual), OpenBLAS on every core.
//
// The gap to the optimal value f* of theory.md section 2 is computed here
// (in float64) only to judge the results; the solver never sees it.
//
// With -cert it measures the time to a certified minimum instead:
//
//   - all: optimize.Solve with -restarts restarts (default 4) and no
//     certifier (every restart runs), then the float64 bound of theory.md
//     section 11 (certificate.AtPoint) at the best point, its time added;
//
//   - cert-nopolish: the same with the bound as Settings.Certifier
//     (CertTol 1e-8) and no polishing (Settings.MaxPolish = -1): the first
//     restart whose bracket is within 1e-8 max(1, |f|) stops the others,
//     so -restarts is a ceiling (the certified solve before polishing);
//
//   - cert: the same with polishing (the default, nccheck solve's): a
//     restart whose bracket is wider is polished before the next one
//     counts;
//
//   - cert-r1: the same with one restart, which then has every core (what
//     the certified solve costs when its first restart is certified and
//     nothing runs beside it);
//
//   - scipy: one local run, as above; it certifies nothing.
//
//     go run ./bench/cmp -cert -settings k100,k200,d512
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"nccheck/certificate"
	"nccheck/closedform"
	"nccheck/optimize"
	nsetting "nccheck/setting"
	"nccheck/verify"
)

// setting is a benchmark setting; the same names and values are in
// bench/scipy_lbfgsb.py.
type setting struct {
	counts []int
	d      int
	lw, lh float64
}

func paper(scale int) []int {
	c := []int{100, 100, 200, 200, 300, 300, 400, 400, 500, 500}
	for i := range c {
		c[i] *= scale
	}
	return c
}

func linear(k, first, step int) []int {
	c := make([]int, k)
	for i := range c {
		c[i] = first - step*i
	}
	return c
}

var settings = map[string]setting{
	"a":     {[]int{40, 20, 10, 5}, 8, 5e-3, 5e-3},
	"b":     {paper(1), 16, 1e-4, 1e-5},
	"c":     {paper(10), 16, 1e-4, 1e-5},
	"d512":  {paper(1), 512, 1e-4, 1e-5},
	"k100":  {linear(100, 500, 4), 128, 5e-4, 5e-4},
	"k100q": {linear(100, 125, 1), 128, 1e-3, 1e-3},
	"k50":   {linear(50, 400, 6), 64, 2e-3, 6e-4},
	"k200":  {linear(200, 200, 1), 160, 5e-4, 5e-4},
}

// fstar is the optimal value of theory.md section 2 (bias-free), from the
// closed form (package closedform at 128 bits), to judge results only: the
// solver never sees it.
func fstar(s setting) float64 {
	p, err := closedform.Paper{}.Predict(s.setting(), 128)
	if err != nil {
		panic("bench/cmp: f*: " + err.Error())
	}
	f, _ := p.Objective.Float64()
	return f
}

// setting returns s as a setting.Setting (bias-free, ReLU, cross-entropy).
func (s setting) setting() nsetting.Setting {
	lw, err1 := nsetting.ParseDecimal(strconv.FormatFloat(s.lw, 'g', -1, 64))
	lh, err2 := nsetting.ParseDecimal(strconv.FormatFloat(s.lh, 'g', -1, 64))
	if err1 != nil || err2 != nil {
		panic(fmt.Sprint("bench/cmp: lambdas: ", err1, err2))
	}
	return nsetting.Setting{Counts: s.counts, Dim: s.d, LambdaW: lw, LambdaH: lh}
}

// certTol is the relative bracket width that certifies a restart (the
// default of nccheck solve --cert-tol).
const certTol = 1e-8

// run is one measured run.
type run struct {
	setting, solver string
	seed            int
	seconds         float64
	evals           int
	objective, gap  float64
	zero, escapes   int
	note            string
	// With -cert: the restarts run, the bracket width f - LB at the best
	// point (NaN for SciPy) and whether it is within certTol max(1, |f|).
	restarts  int
	width     float64
	certified bool
}

func main() {
	names := flag.String("settings", "k100", "comma-separated settings: "+strings.Join(sortedNames(), ","))
	rounds := flag.Int("rounds", 1, "rounds (seeds first-seed, first-seed+1, ...)")
	firstSeed := flag.Int("first-seed", 1, "seed of the first round")
	restarts := flag.Int("restarts", 1, "nccheck restarts")
	local := flag.Bool("local", false, "also time one local run of nccheck without escapes")
	scipy := flag.Bool("scipy", true, "run SciPy's L-BFGS-B")
	cert := flag.Bool("cert", false, "measure the time to a certified minimum (see the package doc); -restarts defaults to 4")
	python := flag.String("python", "/usr/bin/python3", "Python with SciPy")
	script := flag.String("script", "bench/scipy_lbfgsb.py", "the SciPy script")
	flag.Parse()
	if *cert {
		restartsGiven := false
		flag.Visit(func(f *flag.Flag) { restartsGiven = restartsGiven || f.Name == "restarts" })
		if !restartsGiven {
			*restarts = 4
		}
	}

	var runs []run
	fmt.Println("setting solver seed seconds evals objective relgap zero_classes escapes note")
	for r := 0; r < *rounds; r++ {
		seed := *firstSeed + r
		for _, name := range strings.Split(*names, ",") {
			s, ok := settings[name]
			if !ok {
				fmt.Fprintf(os.Stderr, "unknown setting %q\n", name)
				os.Exit(2)
			}
			fs := fstar(s)
			do := func(solver string, set optimize.Settings) {
				x := solveRun(name, s, seed, fs, solver, set, *cert)
				runs = append(runs, x)
				print(x)
			}
			switch {
			case *cert:
				do("all", optimize.Settings{Seed: uint64(seed), Restarts: *restarts})
				do("cert-nopolish", optimize.Settings{Seed: uint64(seed), Restarts: *restarts, Certifier: verify.BoundCertifier(s.setting()), CertTol: certTol, MaxPolish: -1})
				do("cert", optimize.Settings{Seed: uint64(seed), Restarts: *restarts, Certifier: verify.BoundCertifier(s.setting()), CertTol: certTol})
				do("cert-r1", optimize.Settings{Seed: uint64(seed), Restarts: 1, Certifier: verify.BoundCertifier(s.setting()), CertTol: certTol})
			default:
				do("nccheck", optimize.Settings{Seed: uint64(seed), Restarts: *restarts})
			}
			if *local {
				do("local", optimize.Settings{Seed: uint64(seed), Restarts: 1, MaxEscapes: -1})
			}
			if *scipy {
				x, err := runSciPy(*python, *script, name, s, seed, fs)
				if err != nil {
					fmt.Fprintln(os.Stderr, "scipy:", err)
					os.Exit(1)
				}
				runs = append(runs, x)
				print(x)
			}
		}
	}
	summary(runs)
	if *cert {
		certSummary(runs)
	}
}

// certSummary prints, per setting, the time to a certified minimum of each
// solver in a Markdown table, and the ratios to the certified solve (in
// the same run).
func certSummary(runs []run) {
	fmt.Println()
	fmt.Println("| setting | seed | solver | restarts run | seconds | evaluations | bracket width f - LB | certified | seconds / cert's |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	ref := map[string]float64{}
	for _, r := range runs {
		if r.solver == "cert" {
			ref[r.setting+strconv.Itoa(r.seed)] = r.seconds
		}
	}
	for _, r := range runs {
		width, cert, rr := "-", "no (certifies nothing)", "1 (one local run)"
		if !math.IsNaN(r.width) {
			width, cert, rr = fmt.Sprintf("%.2g", r.width), map[bool]string{true: "yes", false: "no"}[r.certified], strconv.Itoa(r.restarts)
		}
		fmt.Printf("| %s | %d | %s | %s | %.3g | %d | %s | %s | %.2f |\n", r.setting, r.seed, r.solver, rr, r.seconds, r.evals, width, cert,
			r.seconds/ref[r.setting+strconv.Itoa(r.seed)])
	}
}

func sortedNames() []string {
	var n []string
	for k := range settings {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func print(x run) {
	fmt.Printf("%s %s %d %.3f %d %.17g %.3g %d %d %s\n", x.setting, x.solver, x.seed, x.seconds, x.evals, x.objective, x.gap, x.zero, x.escapes, x.note)
}

func runSciPy(python, script, name string, s setting, seed int, fs float64) (run, error) {
	counts := make([]string, len(s.counts))
	for i, c := range s.counts {
		counts[i] = strconv.Itoa(c)
	}
	cmd := exec.Command(python, script, "--counts", strings.Join(counts, ","), "--d", strconv.Itoa(s.d),
		"--lw", strconv.FormatFloat(s.lw, 'g', -1, 64), "--lh", strconv.FormatFloat(s.lh, 'g', -1, 64),
		"--count", "1", "--first-seed", strconv.Itoa(seed))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return run{}, err
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] != "explicit" {
			continue
		}
		sec, _ := strconv.ParseFloat(f[2], 64)
		ev, _ := strconv.Atoi(f[3])
		obj, _ := strconv.ParseFloat(f[6], 64)
		zero, _ := strconv.Atoi(f[8])
		return run{setting: name, solver: "scipy", seed: seed, seconds: sec, evals: ev, objective: obj, gap: (obj - fs) / fs, zero: zero,
			note: strings.Join(f[9:], "_"), width: math.NaN()}, nil
	}
	return run{}, fmt.Errorf("no result line in %q", out)
}

// summary prints, per setting and solver, the medians (min-max) over the
// rounds as a Markdown table.
func summary(runs []run) {
	type key struct{ setting, solver string }
	var keys []key
	by := map[key][]run{}
	for _, r := range runs {
		k := key{r.setting, r.solver}
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], r)
	}
	fmt.Println()
	fmt.Println("| setting | solver | runs | seconds, median (min-max) | evaluations, median (min-max) | ms per evaluation | worst relative gap to f* | zero classes |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, k := range keys {
		rs := by[k]
		secs := make([]float64, len(rs))
		evs := make([]float64, len(rs))
		per := make([]float64, len(rs))
		worst, zmin, zmax := math.Inf(-1), math.MaxInt, 0
		for i, r := range rs {
			secs[i], evs[i], per[i] = r.seconds, float64(r.evals), 1e3*r.seconds/float64(r.evals)
			worst = math.Max(worst, r.gap)
			zmin, zmax = min(zmin, r.zero), max(zmax, r.zero)
		}
		z := strconv.Itoa(zmin)
		if zmax != zmin {
			z += "-" + strconv.Itoa(zmax)
		}
		fmt.Printf("| %s | %s | %d | %s | %s | %.3g | %.2g | %s |\n", k.setting, k.solver, len(rs), med(secs, "%.3g"), med(evs, "%.0f"), median(per), worst, z)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func med(v []float64, f string) string {
	if len(v) == 1 {
		return fmt.Sprintf(f, v[0])
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return fmt.Sprintf(f+" ("+f+"-"+f+")", median(v), lo, hi)
}

// resetPeakRSS resets the peak resident set size of the process (Linux:
// /proc/self/clear_refs), so that peakRSS measures one solve.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the peak resident set size in bytes (VmHWM of
// /proc/self/status), 0 where unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// solveRun solves setting s (named name, global minimum fs) once with set,
// and returns the run's line: time, evaluations, worst restart's gap,
// memory, and with cert the width of the best point's bracket.
func solveRun(name string, s setting, seed int, fs float64, solver string, set optimize.Settings, cert bool) run {
	p := &optimize.Problem{Counts: s.counts, Dim: s.d, LambdaW: s.lw, LambdaH: s.lh, ReLU: true}
	debug.FreeOSMemory() // a GC, and the heap returned to the system
	resetPeakRSS()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	res, err := optimize.Solve(p, set)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lb := res.LowerBound
	if cert && set.Certifier == nil {
		// The bracket of the best point, as nccheck solve --cert-tol 0 computes it.
		r, err := certificate.AtPoint(s.setting(), res.Point.W, res.Point.H, nil, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		lb = r.LowerBound
	} else if cert {
		lb = res.Restarts[res.Best].LowerBound
	}
	el := time.Since(t0).Seconds()
	runtime.ReadMemStats(&after)
	worst := res.Restarts[0]
	esc, note := 0, ""
	for i, rr := range res.Restarts {
		esc += rr.Escapes
		if rr.Objective > worst.Objective {
			worst = rr
		}
		note += fmt.Sprintf("r%d:%d/%.2g ", i, rr.Evaluations, (rr.Objective-fs)/fs)
	}
	if len(res.Restarts) == 1 {
		note = res.Restarts[0].Status.String()
	} else {
		note = "per-restart-evals/gap " + note
	}
	if res.Stats.PolishRounds > 0 {
		note += fmt.Sprintf("; polish: %d rounds, %d evals", res.Stats.PolishRounds, res.Stats.PolishEvaluations)
	}
	mem := fmt.Sprintf("memory: predicted %.0f MB, allocated %.0f MB, peak RSS %.0f MB;",
		float64(p.PredictMemory(set).Bytes)/1e6, float64(after.TotalAlloc-before.TotalAlloc)/1e6, float64(peakRSS())/1e6)
	x := run{setting: name, solver: solver, seed: seed, seconds: el, evals: res.Stats.Evaluations, objective: res.Objective,
		gap: (res.Objective - fs) / fs, zero: res.Restarts[res.Best].ZeroMeanClasses, escapes: esc,
		note: mem + " " + strings.TrimSpace(note), restarts: len(res.Restarts), width: res.Objective - lb}
	x.certified = x.width <= certTol*math.Max(1, math.Abs(res.Objective))
	if len(res.Restarts) > 1 {
		// Judge the worst restart: every one must reach f*.
		x.gap = (worst.Objective - fs) / fs
	}
	return x
}
