package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"nccheck/internal/report"
)

// flagError turns an error of flag.FlagSet.Parse into a one-line message
// that names flags with two dashes, as the help does, and for an unknown
// flag suggests the nearest ones the command has ("did you mean --lambda-w
// or --lambda-h?").
func flagError(fs *flag.FlagSet, err error) string {
	msg := oneLine(err.Error())
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		name = strings.TrimLeft(name, "-")
		s := fmt.Sprintf("unknown flag --%s", name)
		if near := nearestFlags(fs, name); len(near) > 0 {
			s += "; did you mean " + joinOr(near) + "?"
		}
		return s
	}
	// The flag package writes "-name" in its messages: "flag needs an
	// argument: -n", "invalid value "x" for flag -d: ...".
	for _, p := range []string{"argument: -", "for flag -"} {
		msg = strings.Replace(msg, p, p+"-", 1)
	}
	return msg
}

// nearestFlags returns up to three flags of fs close to name: the same
// name with '_' for '-', flags that start with it or contain it, or within
// an edit distance of 2.
func nearestFlags(fs *flag.FlagSet, name string) []string {
	type cand struct {
		flag string
		dist int
	}
	norm := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	var cs []cand
	fs.VisitAll(func(f *flag.Flag) {
		d := report.EditDistance(norm, f.Name)
		switch {
		case f.Name == norm:
			d = 0
		case strings.HasPrefix(f.Name, norm+"-") || strings.HasPrefix(f.Name, norm):
			d = 1
		case len(norm) >= 3 && strings.Contains(f.Name, norm):
			d = 2
		}
		if d <= 2 {
			cs = append(cs, cand{"--" + f.Name, d})
		}
	})
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dist < cs[j].dist })
	if len(cs) > 0 && cs[0].dist == 0 {
		cs = cs[:1] // the name itself with '-' for '_'
	}
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].flag)
	}
	return out
}

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// unexpectedArgument explains a stray positional argument; the usual cause
// is a list written with spaces ("--n 100, 200").
func unexpectedArgument(args []string, arg string) string {
	for i, a := range args {
		if a == arg && i > 0 && strings.HasSuffix(args[i-1], ",") {
			return fmt.Sprintf("unexpected argument %q after %q: lists take no spaces (write %s%s)", arg, args[i-1], args[i-1], arg)
		}
	}
	return fmt.Sprintf("unexpected argument %q", arg)
}
