#!/bin/bash
# The case library against the sink under every configuration of
# tests/mutation/combos.tsv (profiles mx, submission, lmtp, 554-greeting,
# implicit-tls; extensions on and off): every case PASSes under at least
# one of them, none is SKIPped under all, and nothing FAILs or ERRORs
# against the conformant sink (mx). The library's conventions are checked first
# (tests/e2e/library.py lint), and `smtpsuite check cases/` must be clean.
# Slow cases are left to tests/e2e/library_slow.sh.
# Usage: library_profiles.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
# The submission-tls combination's user (library.py plan writes the users file).
export SINK_PASS=library-pass-$$ SINK_TOKEN=library-token-$$
LIB="$SRV_PY $HERE/library.py"
OUT=$SRV_DIR/profiles

"$SMTPSUITE" check --cases-dir "$ROOT/cases" "$ROOT/cases" \
  || srv_fail "smtpsuite check cases/ is not clean"
$LIB lint "$SMTPSUITE" "$ROOT"
$LIB plan "$SMTPSUITE" "$ROOT" "$OUT" > /dev/null

pids=()
stops=()
while IFS=$'\t' read -r name target args ff; do
  # shellcheck disable=SC2086 # the options are words
  srv_sink --quiet $args --fault-file "$ff" > /dev/null
  stops+=("$SINK_PID $SINK_DIR")
  "$SMTPSUITE" run --cases-dir "$ROOT/cases" "$ROOT/cases" --tags 'not slow and not load and not delivery' \
    --allow-intrusive -j 200 -q --no-color --target-file "$ROOT/cases/targets/$target" \
    --target "127.0.0.1:$SINK_PORT" --json "$OUT/base-$name.json" \
    > "$OUT/base-$name.log" 2>&1 &
  pids+=($!)
done < "$OUT/combos.tsv"
for p in "${pids[@]}"; do wait "$p" || true; done
for s in "${stops[@]}"; do
  # shellcheck disable=SC2086
  srv_stop_sink $s
done
grep -l -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$OUT"/*.log 2>/dev/null &&
  srv_fail "smtpsuite run logged a sanitizer report (see the files above)"
[ -z "$SRV_BAD" ] || srv_fail "a sink ended badly (see above)"
$LIB judge-profiles "$ROOT" "$OUT"
echo "PASS: library_profiles"
