# shellcheck shell=bash
# bench/lib.sh: what the benchmark scripts share. They are run by hand,
# never by CI: they print figures and whether each target was met.
# Servers: Postfix's smtp-sink, smtpsuite's own sink (its fault table
# delays replies) and tests/tools/smtp_delay (delays, stalls, STARTTLS),
# started on free ports through the server rig (tests/servers/lib.sh,
# via tests/e2e/load_lib.sh), which stops them on exit.
#   bench_init [BUILD_DIR]        binaries, the folder, the trap
#   bench_time FILE CMD...        runs CMD; FILE gets "elapsed user sys" (s)
#   bench_proc_cpu PID            its CPU so far, in clock ticks
#   bench_stats V...              "median (min to max)" of the values
#   bench_median V...             the median alone
#   bench_delay [ARGS]            smtp_delay on a free port (DELAY_PORT)
#   bench_sink [ARGS]             smtpsuite sink on a free port (SINK_PORT)
#   bench_stall PID AT_S STALL_MS a stall of a server: SIGSTOP, then SIGCONT

BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_ROOT=$(cd "$BENCH_HERE/.." && pwd)
. "$BENCH_ROOT/tests/e2e/load_lib.sh"

bench_init() {
  local build=${1:-$BENCH_ROOT/build/release}
  [ -x "$build/smtpsuite" ] || lt_fail "no $build/smtpsuite: run scripts/build release"
  lt_init "$build/smtpsuite"
  SMTP_DELAY=$build/tests/smtp_delay
  CLK_TCK=$(getconf CLK_TCK)
  CORES=$(nproc)
  cd "$BENCH_ROOT" || exit 1
  echo "# $(basename "$0") on $(uname -n), $CORES cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# $("$SMTPSUITE" --version | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_time() {
  local out=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$out" "$@"
}

bench_proc_cpu() {
  # fields 14 and 15 of /proc/PID/stat, after the command name
  sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

bench_stats() {
  $LT_PY -c 'import statistics, sys
v = sorted(float(x) for x in sys.argv[1:])
fmt = lambda x: ("%.3g" % x) if abs(x) < 1000 else ("%.0f" % x)
print("%s (%s to %s)" % (fmt(statistics.median(v)), fmt(v[0]), fmt(v[-1])))' "$@"
}

bench_median() {
  $LT_PY -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"
}

# bench_delay [smtp_delay args]: tests/tools/smtp_delay on a free port
# (DELAY_PORT); bench_delay_stop leaves its counts in $LT_DIR/delay.counts.
bench_delay() {
  lt_delay "$SMTP_DELAY" "$@"
}

bench_delay_stop() {
  lt_delay_stop
}

# bench_sink [sink args]: smtpsuite's own sink, quiet, no arrival log
# (SINK_PORT, SINK_PID); bench_sink_stop stops it.
bench_sink() {
  srv_sink -q --record /dev/null --max-connections 100000 "$@" >/dev/null
}

bench_sink_stop() {
  srv_stop_sink "$SINK_PID" "$SINK_DIR"
}

# bench_stall PID AT_S STALL_MS: in the background, stops the process AT_S
# seconds from now for STALL_MS (SIGSTOP, SIGCONT): the whole server
# stalls, its kernel still taking connections and bytes.
bench_stall() {
  ( sleep "$2"; kill -STOP "$1"; sleep "$($LT_PY -c "print($3 / 1000)")"; kill -CONT "$1" ) &
  SRV_STOPS+=("kill -CONT $1 2>/dev/null")
}

# bench_hist JSON STEP BASIS: "p50 p99 p99.9 max count" in microseconds,
# read from the stored buckets the way harness/hist.c reads them
# (docs/load.md: nearest rank, the highest value of the slot, kept
# within the exact min and max).
bench_hist() {
  $LT_PY - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h = [x for x in r["histograms"] if x["name"] == sys.argv[2] and x["basis"] == sys.argv[3]][0]
def highest(i):
    if i < 2048:
        return i
    b = i // 1024 - 1
    return ((i - b * 1024) << b) + (1 << b) - 1
def at(p):
    n, scaled = h["total"], int(round(p * 1e7))
    rank = max(1, -((-scaled * n) // (100 * 10**7)))
    seen = 0
    for i, c in h["buckets"]:
        seen += c
        if seen >= rank:
            return min(max(highest(i), h["min_us"]), h["max_us"])
    return h["max_us"]
print(at(50), at(99), at(99.9), h["max_us"], h["total"])
PY
}

# bench_table JSON: a markdown table of every step, both bases.
bench_table() {
  local f=$1 step
  echo "| step | basis | count | p50 | p99 | p99.9 | max |"
  echo "|---|---|---|---|---|---|---|"
  for step in $($LT_PY -c 'import json, sys
seen = []
for h in json.load(open(sys.argv[1]))["histograms"]:
    if h["name"] != "loop_lag" and h["name"] not in seen:
        seen.append(h["name"])
print(" ".join(seen))' "$f"); do
    for basis in sent intended; do
      set -- $(bench_hist "$f" "$step" "$basis")
      printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$step" "$basis" "$5" \
        "$(bench_ms "$1")" "$(bench_ms "$2")" "$(bench_ms "$3")" "$(bench_ms "$4")"
    done
  done
}

# bench_ms US: microseconds as milliseconds, 2 decimals.
bench_ms() {
  $LT_PY -c "print('%.2f ms' % ($1 / 1000))"
}

# bench_max_rate PORT SCENARIO SECONDS: sessions a second a closed run of
# 50 sessions achieves.
bench_max_rate() {
  "$SMTPSUITE" load -q --target "127.0.0.1:$1" --var sender=s@client.test \
    --var rcpt=r@sink.test --concurrency 50 --duration "$3s" --json "$LT_DIR/max.json" \
    "$2" >"$LT_DIR/max.out" 2>&1 || lt_fail "max rate: $(tail -3 "$LT_DIR/max.out")"
  lt_json "$LT_DIR/max.json" 'c["rate.achieved_milli"] / 1000'
}
