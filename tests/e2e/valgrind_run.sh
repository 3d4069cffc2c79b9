#!/usr/bin/env bash
# smtpsuite under valgrind: the run verb (smoke suite, JSON,
# JUnit and HTML reports) and the sink, each must end with no memory
# error and no definite or indirect leak (--error-exitcode=1). Registered
# for builds without sanitizers (valgrind and ASan do not mix).
set -u
. "$(dirname "$0")/../servers/lib.sh"
srv_init "$1"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$SRV_DIR/out
mkdir -p "$OUT"
VG=(valgrind --quiet --error-exitcode=1 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --track-fds=no)

# The sink under valgrind, stopped by SIGTERM at the end.
port_file=$OUT/sink.port
"${VG[@]}" "$SMTPSUITE" sink --listen 127.0.0.1:0 --port-file "$port_file" -q \
  > "$OUT/sink.log" 2>&1 &
vsink=$!
for _ in $(seq 1 200); do [ -s "$port_file" ] && break; sleep 0.1; done
[ -s "$port_file" ] || srv_fail "the sink under valgrind did not start"
port=$(cat "$port_file")

"${VG[@]}" "$SMTPSUITE" run "$ROOT/cases/suites/smoke.suite" \
  --target-file "$ROOT/cases/targets/sink.target" --target "127.0.0.1:$port" \
  --json "$OUT/r.json" --junit "$OUT/r.xml" --html "$OUT/r.html" -q \
  > "$OUT/run.log" 2>&1
rc=$?
cat "$OUT/run.log"
[ "$rc" = 0 ] || srv_fail "run under valgrind exited $rc"

kill -TERM "$vsink"
wait "$vsink"
src=$?
cat "$OUT/sink.log"
[ "$src" = 0 ] || srv_fail "the sink under valgrind exited $src"
echo "PASS: valgrind_run"
