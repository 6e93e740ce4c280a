package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"nccheck"
	"nccheck/internal/regfile"
	"nccheck/setting"
	"nccheck/verify"
	"nccheck/verify/render"
	"nccheck/verify/rowfile"
)

const reportDescription = `
Merges the row files that 'nccheck verify --out' writes (JSON lines), from any
number of shards (--shard i/n) or interrupted runs, and renders them as verify
does, in every format and with the same plots, without recomputing anything:
rendering the merged rows of all shards gives the table of one unsharded run.

Every file starts with the header verify writes (the grid's hash and the
flags that change results): files, or parts of a file resumed with --force,
whose headers differ are refused naming the flag, unless --force. Every row
is checked against itself (its key, its setting, its verdict recomputed from
its numbers with its header's tolerances) and, with --suite or --grid,
against the grid (index, name, key, theory); a bad row is refused with its
file and line number. Rows with the same key (setting name, theory,
setting) must be identical apart from their wall time (seconds): duplicates
are dropped, conflicting rows are an error. A torn last line of a file (an
interrupted write) is ignored, with a note on stderr. With --suite or --grid
the settings with no row are listed on stderr (for the theories of the
header, or of --theory).

Exit status: 0 when every expected row is present and agree, certified or
out-of-scope, 1 when a row is not, or rows are missing, 2 on bad input
(unreadable file, conflicting rows, bad flags).`

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	suite := fs.String("suite", "", "built-in `suite` the rows come from, to list missing settings: "+strings.Join(nccheck.SuiteNames(), ", "))
	grid := fs.String("grid", "", "JSON grid `file` the rows come from, to list missing settings")
	theory := registerTheory(fs, "`theories` of the run, checked against the files' headers (default: the headers'): "+theoryHelp)
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json (one object per row)")
	columns := fs.String("columns", "default", "table `columns`, as for verify")
	digits := fs.Int("digits", 2, "significant `digits` of the deviations (scientific notation)")
	plotDir := fs.String("plot", "", "write the verify figures (SVG and PNG) to this `directory`")
	force := fs.Bool("force", false, "read files whose headers differ (rows made with other flags, or of another grid than --suite/--grid) together")
	setUsage(fs, "[--suite NAME | --grid FILE] [flags] ROWS.jsonl...", reportDescription)
	files, done, status := parseInterspersed(fs, args, stdout, stderr)
	if done {
		return status
	}
	fail := func(err error) int { return badInput(stderr, "report", err) }
	if len(files) == 0 {
		return fail(errors.New("no row file: give the JSON-lines files that verify --out wrote"))
	}
	if *suite != "" && *grid != "" {
		return fail(errors.New("give at most one of --suite and --grid"))
	}
	cols, err := checkTableFlags(*format, *columns, *digits)
	if err != nil {
		return fail(err)
	}
	theorySet := theory.given()
	var theories []string
	if theorySet {
		theorySet, err := theory.set()
		if err != nil {
			return fail(err)
		}
		theories = theorySet.Names()
	}
	var cases []verify.Case
	if *suite != "" || *grid != "" {
		if cases, err = settingsOf(*suite, *grid, &settingFlags{}); err != nil {
			return fail(err)
		}
	}
	rows, header, err := readRowFiles(files, cases, theories, theorySet, *force, stderr)
	if err != nil {
		return fail(err)
	}
	if !theorySet {
		theories = header.Theories()
	}
	missing := 0
	if cases != nil {
		have := rowfile.Keys(rows)
		var names []string
		for _, c := range cases {
			for _, th := range theories {
				if !have[verify.KeyOf(c, th)] {
					missing++
					names = append(names, c.Name+" ("+th+")")
				}
			}
		}
		if missing > 0 {
			fmt.Fprintf(stderr, "nccheck report: %d of %d rows missing: %s\n", missing, len(cases)*len(theories), strings.Join(names, ", "))
		}
	}
	if err := render.Write(stdout, rows, render.WriteOptions{Format: *format, Digits: *digits, Columns: cols}); err != nil {
		return failure(stderr, "report", err)
	}
	if *format == "text" {
		for _, p := range verify.SELIPaths(rows) {
			fmt.Fprintln(stdout, p)
		}
	}
	if *plotDir != "" {
		if err := os.MkdirAll(*plotDir, 0o755); err != nil {
			return fail(&setting.InputError{Field: "--plot", Value: strconv.Quote(*plotDir), Reason: err.Error()})
		}
		if err := writePlots(*plotDir, cases, rows, *suite); err != nil {
			return failure(stderr, "report", err)
		}
	}
	if missing > 0 || !verify.AllPass(rows) {
		return exitFailed
	}
	return exitOK
}

// readRowFiles reads and merges the row files of a report. Every file must
// have a header, the headers must agree (the first file's is returned)
// unless force, and with cases the rows must belong to them (and the
// headers' grid hash be theirs, unless force). With theorySet the
// headers' theories must be theories.
func readRowFiles(files []string, cases []verify.Case, theories []string, theorySet, force bool, stderr io.Writer) ([]verify.Row, rowfile.Header, error) {
	var sets [][]verify.Row
	var first rowfile.Header
	firstFile := ""
	bad := func(path, reason string) error {
		return &setting.InputError{Field: "ROWS", Value: strconv.Quote(path), Reason: reason}
	}
	for _, path := range files {
		f, _, err := regfile.Open(path)
		if err != nil {
			return nil, first, bad(path, checkReason(err))
		}
		rs, err := rowfile.Read(f)
		f.Close()
		if err != nil {
			return nil, first, bad(path, err.Error())
		}
		if len(rs.Headers) == 0 {
			return nil, first, bad(path, "empty: no header line")
		}
		if rs.Torn {
			fmt.Fprintf(stderr, "nccheck report: %s: ignored a torn last line (an interrupted write)\n", path)
		}
		for _, h := range rs.Headers {
			if firstFile == "" {
				first, firstFile = h, path
				continue
			}
			if m := h.Mismatch(first); m != nil && !force {
				return nil, first, bad(path, fmt.Sprintf("its rows were made with --%s %s, those of %s with --%s %s; --force reads them together",
					m.Param, m.File, strconv.Quote(firstFile), m.Param, m.Run))
			}
		}
		if cases != nil {
			if want := verify.GridHash(cases); !force {
				for _, h := range rs.Headers {
					if h.Grid != want {
						return nil, first, bad(path, "its rows are of another grid than --suite/--grid (its header's grid hash differs); --force reads them anyway")
					}
				}
			}
			if err := rs.Check(cases, allTheories(rs.Headers, theories, theorySet)); err != nil {
				return nil, first, bad(path, err.Error())
			}
		}
		if theorySet && !force {
			for _, h := range rs.Headers {
				if got := strings.Join(h.Theories(), ","); got != strings.Join(theories, ",") {
					return nil, first, bad(path, fmt.Sprintf("its rows were made with --theory %s (not %s); --force reads them anyway", got, strings.Join(theories, ",")))
				}
			}
		}
		sets = append(sets, rs.Rows)
	}
	rows, err := rowfile.Merge(sets...)
	return rows, first, err
}

// allTheories is theories with --formula, else every formula the headers
// name.
func allTheories(headers []rowfile.Header, theories []string, theorySet bool) []string {
	if theorySet {
		return theories
	}
	var out []string
	for _, h := range headers {
		for _, f := range h.Theories() {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}
