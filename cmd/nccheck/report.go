package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"nccheck"
	"nccheck/setting"
	"nccheck/verify"
)

const reportDescription = `
Merges the row files that 'nccheck verify --out' writes (JSON lines), from any
number of shards (--shard i/n) or interrupted runs, and renders them as verify
does, in every format and with the same plots, without recomputing anything:
rendering the merged rows of all shards gives the table of one unsharded run.

Rows with the same key (setting name, formula, setting) must be identical
apart from their wall time (seconds): duplicates are dropped, conflicting
rows are an error. A torn last line of a file (an interrupted write) is
ignored, with a note on stderr. With --suite or --grid (and --formula as the
run had it) the settings with no row are listed on stderr.

Exit status: 0 when every expected row is present and agree or out-of-scope,
1 when a row is not, or rows are missing, 2 on bad input (unreadable file,
conflicting rows, bad flags).`

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	suite := fs.String("suite", "", "built-in `suite` the rows come from, to list missing settings: "+strings.Join(nccheck.SuiteNames(), ", "))
	grid := fs.String("grid", "", "JSON grid `file` the rows come from, to list missing settings")
	theory := registerTheory(fs, "`theories` of the run, with --suite or --grid: "+theoryHelp)
	format := fs.String("format", "text", "output `format`: text, markdown, latex, csv or json (one object per row)")
	columns := fs.String("columns", "default", "table `columns`, as for verify")
	digits := fs.Int("digits", 2, "significant `digits` of the deviations (scientific notation)")
	plotDir := fs.String("plot", "", "write the verify figures (SVG and PNG) to this `directory`")
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
	theorySet, err := theory.set()
	if err != nil {
		return fail(err)
	}
	theories := theorySet.Names()
	var cases []verify.Case
	if *suite != "" || *grid != "" {
		if cases, err = settingsOf(*suite, *grid, &settingFlags{}); err != nil {
			return fail(err)
		}
	}

	var sets [][]verify.Row
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return fail(&setting.InputError{Field: "ROWS", Value: strconv.Quote(path), Reason: "cannot read: " + oneLine(errors.Unwrap(err).Error())})
		}
		rows, end, err := verify.ReadRows(f)
		st, _ := f.Stat()
		f.Close()
		if err != nil {
			return fail(&setting.InputError{Field: "ROWS", Value: strconv.Quote(path), Reason: err.Error()})
		}
		if st != nil && end < st.Size() {
			fmt.Fprintf(stderr, "nccheck report: %s: ignored a torn last line (an interrupted write)\n", path)
		}
		sets = append(sets, rows)
	}
	rows, err := verify.Merge(sets...)
	if err != nil {
		return fail(err)
	}
	missing := 0
	if cases != nil {
		have := verify.Keys(rows)
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
	if err := verify.Write(stdout, rows, verify.WriteOptions{Format: *format, Digits: *digits, Columns: cols}); err != nil {
		return failure(stderr, "report", err)
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
