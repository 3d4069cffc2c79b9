#!/usr/bin/env bash
# smtpsuite run interrupted by SIGINT or SIGTERM: no new case starts,
# running ones get the grace period, every report is still written,
# complete (every case exactly once), valid and marked incomplete, and
# the exit code is 130. The sink delays its greeting so cases are slow.
set -u
. "$(dirname "$0")/../servers/lib.sh"
srv_init "$1"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$SRV_DIR/out
mkdir -p "$OUT"
srv_sink --quiet --fault 'CONNECT -> delay 2s'

# caught PID SIGNAL: the process has a handler for SIGNAL (INT or TERM).
caught() {
  local mask bit
  mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$mask" ] || return 1
  bit=$([ "$2" = INT ] && echo 2 || echo 15)
  (( (16#$mask >> (bit - 1)) & 1 ))
}

# run SIGNAL GRACE AFTER NAME: starts the smoke suite with two jobs, sends
# SIGNAL after AFTER seconds, checks the exit code and the reports.
run() {
  local sig=$1 grace=$2 after=$3 name=$4
  "$SMTPSUITE" run "$ROOT/cases/suites/smoke.suite" -j 2 --grace "$grace" \
    --target-file "$ROOT/cases/targets/sink.target" --target "127.0.0.1:$SINK_PORT" \
    --json "$OUT/$name.json" --junit "$OUT/$name.xml" --html "$OUT/$name.html" \
    > "$OUT/$name.log" 2>&1 &
  local pid=$!
  # The clock starts once the process catches the signal (its handlers
  # are in place, SigCgt in /proc): before main() nothing can be
  # reported, and a sanitizer build takes a while to get there.
  local i
  for ((i = 0; i < 500; i++)); do
    caught "$pid" "$sig" && break
    sleep 0.01
  done
  sleep "$after"
  kill "-$sig" "$pid"
  local rc=0
  wait "$pid" || rc=$?
  cat "$OUT/$name.log"
  [ "$rc" = 130 ] || srv_fail "$name: exit $rc, want 130"
  for f in json xml html; do
    [ -s "$OUT/$name.$f" ] || srv_fail "$name: no $f report"
    ls "$OUT/$name.$f".tmp.* >/dev/null 2>&1 && srv_fail "$name: a temporary $f file was left"
  done
  xmllint --noout --schema "$ROOT/tests/schema/junit.xsd" "$OUT/$name.xml" ||
    srv_fail "$name: the JUnit file does not validate"
  /usr/bin/python3 "$HERE/junit_counts.py" "$OUT/$name.xml" "$OUT/$name.json" --ids ||
    srv_fail "$name: JUnit and JSON disagree"
  /usr/bin/python3 - "$OUT/$name.json" "$OUT/$name.html" "$ROOT/cases/suites/smoke.suite" "$name" <<'PY' || srv_fail "$name: reports incomplete"
import json, re, sys
res = json.load(open(sys.argv[1]))
html = open(sys.argv[2]).read()
want = []
for line in open(sys.argv[3]):
    line = line.strip()
    if line and not line.startswith("#"):
        want.append(re.search(r"^id:\s*(\S+)", open(sys.argv[3].rsplit("/", 1)[0] + "/" + line).read(), re.M).group(1))
ids = [c["id"] for c in res["cases"]]
assert res["incomplete"] is True, "not marked incomplete"
assert sorted(ids) == sorted(want), f"cases {ids} want {want}"
notrun = [c for c in res["cases"] if c["verdict"] == "NOTRUN"]
assert notrun, "nothing marked NOTRUN"
for c in notrun:
    assert c.get("reason", "").startswith(("not run", "interrupted")), c
for i in want:
    n = html.count(f'data-id="{i}"')
    assert n == 1, f"{i} appears {n} times in the HTML"
assert "incomplete" in html.lower(), "HTML not marked incomplete"
print(f"{sys.argv[4]}: {len(ids)} cases, {len(notrun)} not run, reports complete")
PY
}

run INT 200ms 1 sigint-cut
run TERM 10s 1 sigterm-grace
# With a long grace the two running cases finish: they pass.
python3 - "$OUT/sigterm-grace.json" <<'PY' || srv_fail "sigterm-grace: running cases did not finish"
import json, sys
res = json.load(open(sys.argv[1]))
done = [c for c in res["cases"] if c["verdict"] == "PASS"]
assert len(done) >= 2, [c["verdict"] for c in res["cases"]]
PY
# Random moments (issue: nothing lost, proven): the seed is printed so a
# failure can be replayed with RANDOM_SEED=N.
seed=${RANDOM_SEED:-$(( $(date +%s) % 32768 ))}
echo "random kills, seed $seed"
RANDOM=$seed
for k in 1 2 3 4 5 6; do
  sigs=(INT TERM)
  sig=${sigs[$((RANDOM % 2))]}
  after=$(printf '0.%02d' $((RANDOM % 100)))
  [ $((RANDOM % 2)) = 1 ] && after=$((1 + RANDOM % 4)).$((RANDOM % 10))
  grace=$((RANDOM % 3))s
  echo "-- kill $k: SIG$sig after ${after}s, grace $grace"
  run "$sig" "$grace" "$after" "random-$k"
done
echo "PASS: run_interrupt"
