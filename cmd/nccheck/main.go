// Command nccheck checks the neural-collapse theorem of Dang, Tran, Nguyen and
// Ho (ICML 2024) numerically along two independent paths: the predicted
// global minimizer from its closed form in arbitrary precision, and a float64
// solver of the full training problem.
//
// Usage:
//
//	nccheck <command> [flags]
//
// Run "nccheck help" for the list of commands and "nccheck <command> -h" for
// the flags of one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"nccheck/internal/report"
	"nccheck/setting"
)

// command is one subcommand. run receives the arguments after the command
// name and returns the process exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// Exit statuses.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran, and its check failed (verify)
	exitBadInput = 2 // bad flags or values; a one-line reason is on stderr
	// exitInterrupted: the run was interrupted (SIGINT, SIGTERM; 128 + 2,
	// the shell's status of a command ended by SIGINT).
	exitInterrupted = 130
)

func commands() []command {
	cmds := []command{
		{"predict", "closed-form predicted global minimizer, in arbitrary precision", runPredict},
	}
	cmds = append(cmds, extraCommands()...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand; it is main without os.Exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitBadInput
	}
	name := args[0]
	switch name {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionText())
		return exitOK
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run([]string{"-h"}, stdout, stderr)
				}
			}
			fmt.Fprintf(stderr, "nccheck help: unknown command %q; run 'nccheck help'\n", args[1])
			return exitBadInput
		}
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "nccheck: unknown command %q; run 'nccheck help'\n", name)
	return exitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "nccheck checks the neural-collapse theorem for class-imbalanced cross-entropy")
	fmt.Fprintln(w, "learning with ReLU features (Dang, Tran, Nguyen, Ho, ICML 2024) numerically.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: nccheck <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help       this text; 'nccheck help <command>' or 'nccheck <command> -h' for its flags")
	fmt.Fprintln(w, "  version    the module version, commit and Go version of this binary (also --version)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 success, 1 a check failed, 2 bad input (one-line reason on stderr).")
}

// parseFlags parses args into fs. It prints the flag help on -h (returning
// done=true, status 0) and a one-line error on bad flags (done=true, status 2).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (done bool, status int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return true, exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "nccheck %s: %s; see 'nccheck %s -h'\n", fs.Name(), flagError(fs, err), fs.Name())
		return true, exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nccheck %s: %s; see 'nccheck %s -h'\n", fs.Name(), unexpectedArgument(args, fs.Arg(0)), fs.Name())
		return true, exitBadInput
	}
	return false, exitOK
}

// badInput prints a one-line reason for a bad input and returns status 2.
// The library names its inputs by field (setting.InputError.Field); the
// message names the command-line flag instead.
func badInput(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "nccheck %s: %s\n", cmd, oneLine(flagMessage(err)))
	return exitBadInput
}

// fieldFlags maps the fields and options the library names in its errors to
// the flags of the command line.
func fieldFlags() map[string]string {
	return map[string]string{
		setting.FieldCounts:                               "--n",
		setting.FieldDim:                                  "--d",
		setting.FieldLambdaW:                              "--lambda-w",
		setting.FieldLambdaH:                              "--lambda-h",
		setting.FieldLambdaB:                              "--lambda-b",
		setting.FieldBias:                                 "--bias",
		setting.FieldNoReLU:                               "--no-relu",
		setting.FieldLoss:                                 "--loss",
		setting.FieldCounts + "/" + setting.FieldDim:      "--n/--d",
		setting.FieldNoReLU + "/" + setting.FieldCounts:   "--no-relu/--n",
		setting.FieldLambdaW + "/" + setting.FieldLambdaH: "--lambda-w/--lambda-h",
		"Prec":        "--prec",
		"Theory":      "--theory",
		"Columns":     "--columns",
		"Shard":       "--shard",
		"CollapseTol": "--tol-collapse",
		"Fit":         "--fit",
	}
}

// flagMessage is err's message with the field of its *setting.InputError
// (if any) replaced by the flag that sets it.
func flagMessage(err error) string {
	msg := err.Error()
	var ie *setting.InputError
	if errors.As(err, &ie) {
		if flag, ok := fieldFlags()[ie.Field]; ok {
			msg = strings.Replace(msg, ie.Error(), ie.WithField(flag).Error(), 1)
		}
	}
	return msg
}

// failure prints a one-line reason for a computation that failed (for
// example one that went non-finite) and returns status 1.
func failure(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "nccheck %s: %s\n", cmd, oneLine(err.Error()))
	return exitFailed
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// setUsage installs a usage function that prints a synopsis, a description and
// every flag with its default, wrapped to report.TextWidth.
func setUsage(fs *flag.FlagSet, synopsis, description string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, report.WrapText(fmt.Sprintf("Usage: nccheck %s %s", fs.Name(), synopsis), "        "))
		fmt.Fprintln(w)
		for _, l := range strings.Split(strings.TrimSpace(description), "\n") {
			fmt.Fprintln(w, report.WrapText(l, leadingSpaces(l)))
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Flags:")
		fs.VisitAll(func(f *flag.Flag) {
			name, u := flag.UnquoteUsage(f)
			head := "  --" + f.Name
			if name != "" {
				head += " " + name
			}
			fmt.Fprintln(w, head)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				u += " (default " + f.DefValue + ")"
			}
			fmt.Fprintln(w, report.WrapText("      "+strings.ReplaceAll(u, "\n", " "), "      "))
		})
	}
}

// leadingSpaces is the indentation of l.
func leadingSpaces(l string) string { return l[:len(l)-len(strings.TrimLeft(l, " "))] }
