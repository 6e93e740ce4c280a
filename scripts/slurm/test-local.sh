#!/bin/bash
# test-local.sh: integration test of scripts/slurm/verify-array.sbatch on a
# one-node Slurm cluster started on this machine (not part of `go test`).
#
# Usage (as root, on a Debian 12 machine with no Slurm daemons running):
#
#   scripts/slurm/test-local.sh [GRID [NSHARDS]] 2>&1 | tee scripts/slurm/test-local.out
#
#   GRID      default scripts/slurm/test-grid.json (9 settings, a few seconds each)
#   NSHARDS   default 4 (uneven on purpose: 9 settings = 3 + 2 + 2 + 2)
#   KEEP=1    keep the work directory (it is kept anyway on FAIL)
#
# Steps: installs Debian's slurm-wlm, munge and parallel if missing (one
# apt-get update), starts munged (unless one runs), slurmctld and slurmd with a
# private slurm.conf in a temporary directory (/etc/slurm is not touched),
# builds nccheck, submits the array and the dependent report job through
# verify-array.sbatch (--formula both, with figures), waits for both, runs
# the same grid unsharded, and compares:
#   1. the shard files partition the grid: rows-<i> holds the indices c with
#      c mod n = i-1;
#   2. the rows: every JSON line of the shards equals the unsharded run's,
#      the seconds field aside;
#   3. the tables: verify's own text table of the unsharded run against the
#      report job's report.txt, and report in markdown, latex, csv and json
#      over the unsharded rows against the report job's report.<ext>;
#   4. the figures: verify --plot of the unsharded run against the report
#      job's plots/ (SVG and PNG, byte for byte);
#   5. the exit status: the report job's against the unsharded verify's;
#   6. report's merging rules: a duplicated shard file changes nothing, a
#      missing shard is listed (exit 1), a conflicting row is refused (exit 2);
#   7. GNU parallel as the no-cluster alternative gives the same table.
# Prints PASS or FAIL (exit 0 or 1); a trap stops every daemon it started (by
# process id) and cancels its jobs.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
grid=${1:-$here/test-grid.json}
nshards=${2:-4}
grid=$(cd "$(dirname "$grid")" && pwd)/$(basename "$grid")

t0=$(date +%s%N)
since() { # since T: seconds since date +%s%N was T, to 0.1 s
	local d=$((($(date +%s%N) - $1) / 100000000))
	echo "$((d / 10)).$((d % 10))"
}
log() { printf '[%6s s] %s\n' "$(since "$t0")" "$*"; }
fails=0
check() { # check NAME COMMAND...: run a comparison, count failures
	local name=$1
	shift
	if "$@"; then log "ok    $name"; else log "FAIL  $name"; fails=$((fails + 1)); fi
}

[ "$(id -u)" = 0 ] || { echo "test-local: run as root (it installs packages and starts daemons)" >&2; exit 2; }
[ -x /usr/local/go/bin/go ] && PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || { echo "test-local: go not found" >&2; exit 2; }

work=$(mktemp -d /tmp/nccheck-slurm.XXXXXX)
started=() # "name pid" of the daemons this script started
jobs_submitted=""
cleanup() {
	local st=$?
	trap - EXIT INT TERM
	if [ -n "$jobs_submitted" ] && command -v scancel >/dev/null; then
		scancel $jobs_submitted 2>/dev/null
	fi
	local i
	for ((i = ${#started[@]} - 1; i >= 0; i--)); do
		set -- ${started[$i]}
		if kill -0 "$2" 2>/dev/null; then
			kill "$2" 2>/dev/null
			for _ in $(seq 50); do kill -0 "$2" 2>/dev/null || break; sleep 0.2; done
			kill -0 "$2" 2>/dev/null && kill -9 "$2" 2>/dev/null
			log "stopped $1 (pid $2)"
		fi
	done
	if [ "$st" = 0 ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$work"
	else
		log "work directory kept: $work"
	fi
	exit "$st"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "test-local: grid $grid, $nshards shards, work directory $work"
log "machine: $(hostname -s), $(nproc) cpus, $(free -m | awk '/^Mem:/{print $2}') MB, $(. /etc/os-release && echo "$PRETTY_NAME")"

# 1. Packages.
need=()
for p in slurm-wlm munge parallel; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]} (apt-get update, then install)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$work/apt.log" 2>&1 &&
		apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$work/apt.log" 2>&1 ||
		{ tail -20 "$work/apt.log"; log "apt-get failed"; exit 1; }
	log "installed"
else
	log "slurm-wlm, munge and parallel already installed"
fi
log "versions: slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm), munge $(dpkg-query -W -f='${Version}' munge), parallel $(parallel --version | head -1 | awk '{print $3}')"

# 2. munged: reuse a running one, else start one (as the munge user).
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	log "munged already running: using it"
else
	if [ ! -s /etc/munge/munge.key ]; then
		mkdir -p /etc/munge
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
		log "created /etc/munge/munge.key"
	fi
	chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
	mkdir -p /run/munge /var/log/munge /var/lib/munge
	chown munge:munge /run/munge /var/log/munge /var/lib/munge
	setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground >"$work/munged.out" 2>&1 &
	started+=("munged $!")
	for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
	munge -n | unmunge >/dev/null || { cat "$work/munged.out"; log "munged did not start"; exit 1; }
	log "started munged (pid $!)"
fi

# 3. slurmctld and slurmd with a private configuration.
if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
	log "a slurmctld or slurmd already runs on this machine: not starting a second cluster"
	exit 1
fi
host=$(hostname -s)
mkdir -p "$work/etc" "$work/state" "$work/spool" "$work/log" "$work/run"
export SLURM_CONF=$work/etc/slurm.conf
cat >"$SLURM_CONF" <<EOF
# one-node test cluster of scripts/slurm/test-local.sh
ClusterName=nccheck-test
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=3600
MailProg=/bin/true
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
$(slurmd -C | head -1)
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
log "slurm.conf: $(grep -c . "$SLURM_CONF") lines, node: $(slurmd -C | head -1)"
/usr/sbin/slurmctld -D -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
started+=("slurmctld $!")
/usr/sbin/slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
started+=("slurmd $!")
state=
for _ in $(seq 120); do
	state=$(sinfo -h -n "$host" -o %T 2>/dev/null)
	[ "$state" = idle ] && break
	sleep 0.5
done
if [ "$state" != idle ]; then
	log "node not idle after 60 s (state '$state')"
	tail -5 "$work/log/slurmctld.log" "$work/log/slurmd.log"
	exit 1
fi
log "cluster up: $(sinfo -h -o '%P %a %D %T %C')  (partition avail nodes state cpus A/I/O/T)"

# 4. Build once.
cd "$root" || exit 1
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -vc '^??')
if CGO_ENABLED=0 go build -trimpath -o "$work/nccheck" ./cmd/nccheck 2>"$work/build.log"; then
	log "built nccheck from the working tree (HEAD $commit, $dirty modified files)"
else
	log "the working tree does not build (someone is mid-edit?): building the last commit $commit"
	head -5 "$work/build.log"
	git clone -q "$root" "$work/src" &&
		(cd "$work/src" && CGO_ENABLED=0 go build -trimpath -o "$work/nccheck" ./cmd/nccheck) ||
		{ log "build failed"; exit 1; }
	log "built nccheck from commit $commit"
fi
ncc=$work/nccheck

# 5. Submit the array and the report job.
sweep=$work/sweep
log "submitting: verify-array.sbatch -b nccheck -p -s --cpus-per-task=1 -s --mem-per-cpu=1G -s --time=00:10:00 $(basename "$grid") $nshards sweep --formula both"
"$here/verify-array.sbatch" -b "$ncc" -p -s --cpus-per-task=1 -s --mem-per-cpu=1G -s --time=00:10:00 \
	"$grid" "$nshards" "$sweep" --formula both || { log "submission failed"; exit 1; }
# shellcheck disable=SC1091
. "$sweep/jobids"
jobs_submitted="$ARRAY_JOB $REPORT_JOB"
t_submit=$(date +%s%N)

# 6. Wait for both jobs (squeue forgets them when they end).
last=
for _ in $(seq 1200); do
	now=$(squeue -h -j "$ARRAY_JOB,$REPORT_JOB" -o '%i:%T' 2>/dev/null | sort | tr '\n' ' ')
	[ "$now" != "$last" ] && [ -n "$now" ] && log "squeue: $now"
	last=$now
	[ -z "$now" ] && break
	sleep 0.5
done
[ -z "$now" ] || { log "jobs still queued after 10 min"; exit 1; }
log "array and report jobs finished, $(since "$t_submit") s after submission"
jobinfo() { # jobinfo JOBID: one line per job record
	scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | awk -F= '
		/^JobId=/ {if (id) print line; id=$2; line="job " $2}
		/^ArrayJobId=/ {line=$2}
		/^ArrayTaskId=/ {line=line "_" $2 " (job " id ")"}
		/^JobState=|^ExitCode=|^RunTime=|^StartTime=|^EndTime=/ {line=line " " $0}
		END {if (id) print line}'
}
jobinfo "$ARRAY_JOB" | sort -t_ -k2n | while read -r l; do log "  $l"; done
jobinfo "$REPORT_JOB" | while read -r l; do log "  $l"; done
report_exit=$(scontrol show job "$REPORT_JOB" | grep -o 'ExitCode=[0-9]*' | cut -d= -f2)
report_state=$(scontrol show job "$REPORT_JOB" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
report_start=$(scontrol show job "$REPORT_JOB" | grep -o 'StartTime=[^ ]*' | cut -d= -f2)
array_end=$(scontrol show job "$ARRAY_JOB" | grep -o 'EndTime=[^ ]*' | cut -d= -f2 | sort | tail -1)
bad_tasks=$(jobinfo "$ARRAY_JOB" | grep -vc 'JobState=COMPLETED')
[ "$bad_tasks" = 0 ] || log "$bad_tasks array tasks did not complete"
for i in $(seq "$nshards"); do
	log "  shard $i log: $(grep '^shard .*verify exit' "$sweep"/logs/verify-*_"$i".out)"
done
log "report job log (tail):"
tail -3 "$sweep"/logs/report-*.out | sed 's/^/    /'

# 7. The same grid unsharded.
log "unsharded: nccheck verify --grid $(basename "$grid") --formula both -j $(nproc) --out unsharded.jsonl --plot plots-unsharded"
t1=$(date +%s%N)
"$ncc" verify --grid "$grid" --formula both -j "$(nproc)" --out "$work/unsharded.jsonl" \
	--plot "$work/plots-unsharded" >"$work/unsharded.txt" 2>"$work/unsharded.err"
verify_exit=$?
log "unsharded run: exit $verify_exit, $(since "$t1") s, $(grep -c '^{"index"' "$work/unsharded.jsonl") rows"

# 8. Compare.
strip() { grep -v '"nccheck_rows"' "$@" | sed 's/"seconds":[^,}]*,\{0,1\}//'; } # the wall time may differ; headers aside
partition_ok() {
	local i c ok=0
	for i in $(seq "$nshards"); do
		for c in $(grep -o '^{"index":[0-9]*' "$sweep/rows-$i.jsonl" | cut -d: -f2); do
			[ $((c % nshards)) = $((i - 1)) ] || { echo "    rows-$i.jsonl holds index $c"; ok=1; }
		done
	done
	return $ok
}
check "shards partition the grid (rows-i: index mod $nshards = i-1; $(for i in $(seq "$nshards"); do printf '%s ' "$(grep -c '^{"index"' "$sweep/rows-$i.jsonl")"; done)rows)" partition_ok
check "rows: shards == unsharded (JSON lines, seconds aside)" \
	diff <(cat "$sweep"/rows-*.jsonl | strip | sort) <(strip "$work/unsharded.jsonl" | sort)
check "text table: report job == unsharded verify" diff "$sweep/report.txt" "$work/unsharded.txt"
for f in markdown:md latex:tex csv:csv json:json; do
	"$ncc" report --grid "$grid" --formula both --format "${f%%:*}" "$work/unsharded.jsonl" >"$work/unsharded.${f#*:}" 2>/dev/null
	if [ "${f#*:}" = json ]; then
		check "json rows: report job == report of the unsharded rows (seconds aside)" \
			diff <(strip "$sweep/report.json") <(strip "$work/unsharded.json")
	else
		check "${f%%:*} table: report job == report of the unsharded rows" diff "$sweep/report.${f#*:}" "$work/unsharded.${f#*:}"
	fi
done
check "figures: report job's plots/ == unsharded verify --plot ($(ls "$work/plots-unsharded" | tr '\n' ' '))" \
	diff -r "$sweep/plots" "$work/plots-unsharded"
check "exit status: report job $report_exit ($report_state) == unsharded verify $verify_exit" \
	[ "$report_exit" = "$verify_exit" ]
check "all $nshards array tasks COMPLETED" [ "$bad_tasks" = 0 ]
check "dependency: report job started ($report_start) after the last task ended ($array_end)" \
	[ ! "$report_start" \< "$array_end" ]

# A rerun shard resumes: keep only the rows of the first setting shard 1
# finished (as if the task had been killed after it), resubmit shard 1.
full=$(grep -c . "$sweep/rows-1.jsonl")
first=$(grep -m1 -o '^{"index":[0-9]*' "$sweep/rows-1.jsonl" | cut -d: -f2)
# The header line first (the row file's grid hash and flags), then the rows.
{ head -1 "$sweep/rows-1.jsonl"; grep "^{\"index\":$first," "$sweep/rows-1.jsonl"; } >"$work/rows-1.head" && cp "$work/rows-1.head" "$sweep/rows-1.jsonl"
log "rerun of shard 1 with $(grep -c . "$work/rows-1.head") of its $full rows left (those of grid index $first): sbatch --wait --array=1 ... verify-array.sbatch -m shard ..."
t1=$(date +%s%N)
sbatch --wait --quiet --array=1 --output="$sweep/logs/verify-%A_%a.out" --cpus-per-task=1 --mem-per-cpu=1G --time=00:10:00 \
	"$here/verify-array.sbatch" -m shard -b "$sweep/nccheck" "$sweep/grid.json" "$nshards" "$sweep" --formula both
st=$?
log "      rerun: sbatch exit $st, $(since "$t1") s; $(tail -1 "$(ls -t "$sweep"/logs/verify-*_1.out | head -1)")"
check "rerun shard: $(grep -c . "$sweep/rows-1.jsonl") of $full rows again, the kept rows not rerun, same table" \
	eval '[ "$(grep -c . "$sweep/rows-1.jsonl")" = "$full" ] && head -n "$(grep -c . "$work/rows-1.head")" "$sweep/rows-1.jsonl" | cmp -s - "$work/rows-1.head" &&
		"$ncc" report --grid "$grid" --formula both "$sweep"/rows-*.jsonl 2>/dev/null | diff - "$work/unsharded.txt"'

# report's merging rules on the shard files.
"$ncc" report --grid "$grid" --formula both "$sweep"/rows-*.jsonl "$sweep/rows-1.jsonl" >"$work/dup.txt" 2>"$work/dup.err"
check "duplicate shard file: identical rows dropped, same table (exit $?)" diff "$work/dup.txt" "$work/unsharded.txt"
files=()
for i in $(seq $((nshards - 1))); do files+=("$sweep/rows-$i.jsonl"); done
"$ncc" report --grid "$grid" --formula both "${files[@]}" >/dev/null 2>"$work/missing.err"
st=$?
log "      without rows-$nshards.jsonl: exit $st, stderr: $(cut -c1-150 "$work/missing.err")..."
want=$(grep -c . "$sweep/rows-$nshards.jsonl")
check "missing shard: exit 1 and its $want rows listed" \
	grep -q "^nccheck report: $want of $(wc -l <"$work/unsharded.jsonl") rows missing" "$work/missing.err"
sed '1s/"numeric_objective":\([0-9]\)/"numeric_objective":1\1/' "$sweep/rows-1.jsonl" >"$work/conflict.jsonl"
"$ncc" report --grid "$grid" --formula both "$sweep"/rows-*.jsonl "$work/conflict.jsonl" >/dev/null 2>"$work/conflict.err"
st=$?
log "      with one changed row: exit $st, stderr: $(cut -c1-150 "$work/conflict.err")..."
check "conflicting row: refused with exit 2" [ "$st" = 2 ]

# GNU parallel, the no-cluster alternative.
mkdir -p "$work/par"
log "GNU parallel: parallel -j $(nproc) nccheck verify --grid $(basename "$grid") --formula both -j 1 --shard {}/$nshards --out par/rows-{}.jsonl ::: $(seq -s ' ' "$nshards")"
t1=$(date +%s%N)
parallel --will-cite -j "$(nproc)" "$ncc" verify --grid "$grid" --formula both -j 1 --shard '{}/'"$nshards" \
	--out "$work/par/rows-{}.jsonl" ::: $(seq "$nshards") >/dev/null 2>&1
log "GNU parallel: exit $? (the number of failed shards; a shard with a counterexample row exits 1), $(since "$t1") s"
"$ncc" report --grid "$grid" --formula both "$work"/par/rows-*.jsonl >"$work/par/report.txt" 2>"$work/par/report.err"
check "GNU parallel shards: report == unsharded verify (exit $?)" diff "$work/par/report.txt" "$work/unsharded.txt"

log "merged table (report.txt of the report job):"
sed 's/^/    /' "$sweep/report.txt"
if [ "$fails" = 0 ]; then
	log "PASS"
	exit 0
fi
log "FAIL ($fails checks)"
exit 1
