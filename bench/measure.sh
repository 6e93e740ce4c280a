#!/usr/bin/env bash
# nccheck measure against its NumPy peer (bench/measure_numpy.py), side by
# side in one run, on a seeded CIFAR-size checkpoint (issue 16 item 5).
#
# Usage: bash bench/measure.sh [ROUNDS] [K]      (defaults: 7 rounds, K = 10)
#
# Writes the checkpoint (N = 50000, d = 512 float32, numpy.savez, 103 MB)
# with the peer's seeded generator into $BENCH_DIR (default
# /tmp/nccheck-bench) unless it is there, builds nccheck, reads the file once
# (page cache), then runs the two ROUNDS times, alternating, each under
# /usr/bin/time -v. Prints every run, then per program the best and the
# median wall time and the largest peak RSS, and the ratios NumPy / nccheck.
# The NumPy time is given twice: the process (interpreter start and numpy's
# import included) and its own clock around the reading and the computation
# ("numpy seconds"), the stricter comparison.
#
# Needs Debian's python3-numpy (and libopenblas0-pthread for a fast BLAS:
# `apt-get install -y python3-numpy libopenblas0-pthread`) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
k=${2:-10}
dir=${BENCH_DIR:-/tmp/nccheck-bench}
mkdir -p "$dir"
file="$dir/cifar-k$k.npz"
py=/usr/bin/python3
lw=5e-4
lh=5e-6
if [ ! -f "$file" ]; then
	echo "writing $file"
	$py bench/measure_numpy.py generate "$file.tmp.npz" "$k"
	mv "$file.tmp.npz" "$file"
fi
go build -o "$dir/nccheck" ./cmd/nccheck
cat "$file" >/dev/null
bytes=$(stat -c %s "$file")
echo "file: $file ($bytes bytes); $(nproc) cores; $(go version | cut -d' ' -f3); $($py -c 'import numpy; print("numpy", numpy.__version__)')"
echo "nccheck: $dir/nccheck measure --lambda-w $lw --lambda-h $lh $file"
echo "numpy:   $py bench/measure_numpy.py measure $file $lw $lh"

# run LABEL CMD...: one run under GNU time (peak RSS; the wall time from the
# clock around it, GNU time has centiseconds); prints "LABEL wall_s rss_kb [own_s]".
run() {
	local label=$1
	shift
	local out="$dir/out.$label" tv="$dir/time.$label"
	local t0 t1 wall rss own=""
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$tv" "$@" >"$out" 2>&1
	t1=$(date +%s%N)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}') # GNU time prints centiseconds
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv")
	if [ "$label" = numpy ]; then
		own=$(awk '/^numpy seconds:/ {print $3}' "$out")
	fi
	echo "$label $wall $rss $own"
}

results="$dir/results"
: >"$results"
run go "$dir/nccheck" measure --lambda-w $lw --lambda-h $lh "$file" >/dev/null # warm-up
run numpy $py bench/measure_numpy.py measure "$file" $lw $lh >/dev/null
for ((i = 1; i <= rounds; i++)); do
	run go "$dir/nccheck" measure --lambda-w $lw --lambda-h $lh "$file" | tee -a "$results"
	run numpy $py bench/measure_numpy.py measure "$file" $lw $lh | tee -a "$results"
done
echo "nccheck's objective and NC1, then the peer's:"
"$dir/nccheck" measure --lambda-w $lw --lambda-h $lh --format json "$file" |
	$py -c 'import json, sys; r = json.load(sys.stdin); print("  objective %.6g nc1 %.6g nc4 %.6g" % (r["objective"], r["metrics"]["nc1"], r["metrics"]["nc4"]))'
awk '/^(objective|nc1|nc4):/ {printf "  %s %s", $1, $2} END {print ""}' "$dir/out.numpy"
awk -v bytes="$bytes" '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
$1 == "go" { g[++ng] = $2; last = $2; if ($3 > grss) grss = $3 }
$1 == "numpy" { p[++np] = $2; o[++no] = $4; if ($3 > prss) prss = $3; if (last < $4) wins++ }
END {
	gb = median(g, ng); pb = median(p, np); ob = median(o, no)
	gmin = g[1]; pmin = p[1]; omin = o[1]
	printf "nccheck:        best %.3f s, median %.3f s, peak RSS %.0f MB (%.2fx the file)\n", gmin, gb, grss / 1024, grss * 1024 / bytes
	printf "numpy process:  best %.3f s, median %.3f s, peak RSS %.0f MB\n", pmin, pb, prss / 1024
	printf "numpy own time: best %.3f s, median %.3f s\n", omin, ob
	printf "ratio numpy / nccheck (medians): process %.2f, own time %.2f\n", pb / gb, ob / gb
	printf "rounds nccheck was faster than numpy'"'"'s own time: %d of %d\n", wins, ng
}' "$results"
